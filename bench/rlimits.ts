/**
 * What the launch prelude costs (src/os/prelude.ts): spawn-to-exit of `true` through spawnChild
 * with `rlimits` (the `/bin/sh` prelude, `ulimit` builtins, `exec`) against the same spawnChild
 * without, interleaved, medians. Notes: the `prlimit` binary as the alternative prelude, and a
 * cgroup's mkdir + join + rmdir where the host has a delegated cgroup.
 * Run alone: `npx tsx bench/rlimits.ts`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cgroupHost, TreeCgroup } from '../src/os/cgroup.js';
import { spawnChild } from '../src/os/spawn.js';
import { resolveManagerOptions, resolveProcessSpec } from '../src/spec/resolve.js';
import { median, type BenchFigure } from './lib.js';

const RUNS = 200;
const DEFAULTS = resolveManagerOptions({}).defaults;
const LIMITS = { memory: 4 * 1024 ** 3, openFiles: 1024, processes: 4096, cpuTime: 60, coreSize: 0 };

const plain = resolveProcessSpec({ name: 'true', command: 'true' }, DEFAULTS);
const limited = resolveProcessSpec({ name: 'true', command: 'true', rlimits: LIMITS }, DEFAULTS);

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function timeSpawn(start: () => Promise<ChildProcess>): Promise<number> {
  const t0 = performance.now();
  await exited(await start());
  return performance.now() - t0;
}

async function withCgroup(): Promise<number> {
  const host = cgroupHost();
  if (!host) return Number.NaN;
  const t0 = performance.now();
  const cgroup = TreeCgroup.create(host, 'bench', false) as TreeCgroup;
  await exited(await spawnChild(plain, undefined, undefined, 0, { cgroup: cgroup.dir }));
  await cgroup.remove(2000);
  return performance.now() - t0;
}

const hasPrlimit = spawnSync('sh', ['-c', 'command -v prlimit']).status === 0;
const PRLIMIT = ['--as=4294967296', '--nofile=1024', '--nproc=4096', '--cpu=60', '--core=0'];

function viaPrlimit(): Promise<ChildProcess> {
  const child = spawn('prlimit', [...PRLIMIT, 'true'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve) => child.once('spawn', () => resolve(child)));
}

export async function run(): Promise<BenchFigure[]> {
  const without: number[] = [];
  const withLimits: number[] = [];
  const prlimit: number[] = [];
  const cgroup: number[] = [];
  // Warm-up: the first spawns pay for loading code paths.
  for (let i = 0; i < 10; i++) {
    await timeSpawn(() => spawnChild(plain));
    await timeSpawn(() => spawnChild(limited));
  }
  for (let i = 0; i < RUNS; i++) {
    without.push(await timeSpawn(() => spawnChild(plain)));
    withLimits.push(await timeSpawn(() => spawnChild(limited)));
    if (hasPrlimit) prlimit.push(await timeSpawn(viaPrlimit));
    cgroup.push(await withCgroup());
  }
  const notes = [`median of ${RUNS} interleaved runs each; added by the prelude: ${(median(withLimits) - median(without)).toFixed(2)} ms per spawn`];
  if (hasPrlimit) notes.push(`the prlimit binary instead (an extra exec): ${median(prlimit).toFixed(2)} ms`);
  if (cgroupHost()) notes.push(`a cgroup of its own (mkdir, join after spawn, rmdir once empty): ${median(cgroup).toFixed(2)} ms`);
  else notes.push('no delegated cgroup v2 on this host: the cgroup figure is not measured');
  return [
    {
      name: 'spawn-to-exit of `true` with all five rlimits (sh prelude)',
      unit: 'ms',
      value: median(withLimits),
      baseline: median(without),
      baselineName: 'spawnChild without rlimits',
      notes,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatFigure } = await import('./lib.js');
  for (const figure of await run()) console.log(formatFigure(figure));
}
