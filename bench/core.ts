/**
 * Core figures of issue #2, each beside a raw baseline measured in the same run:
 * restart gap, starting 200 idle children, host memory per live child, cold import.
 * Run alone: `npx tsx bench/core.ts`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtEntry, formatFigure, median, procvisor, type BenchFigure } from './lib.js';

const { ProcessManager } = await procvisor();

const RESTARTS = 25;
const CHILDREN = 200;

/** Raw baseline: a loop that respawns `sh -c 'exit 1'` the moment it exits. */
function rawRestartGaps(): Promise<number[]> {
  return new Promise((resolve) => {
    const gaps: number[] = [];
    let exitedAt = 0;
    const once = (): void => {
      const child = spawn('sh', ['-c', 'exit 1'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.once('spawn', () => {
        if (exitedAt) gaps.push(performance.now() - exitedAt);
      });
      child.once('exit', () => {
        exitedAt = performance.now();
        if (gaps.length < RESTARTS) once();
        else resolve(gaps);
      });
    };
    once();
  });
}

async function procvisorRestartGaps(): Promise<number[]> {
  const pm = new ProcessManager({ orphans: 'kill' });
  const gaps: number[] = [];
  let exitedAt = 0;
  const done = new Promise<void>((resolve) => {
    pm.on('exit', () => {
      exitedAt = performance.now();
    });
    pm.on('spawn', () => {
      if (exitedAt) gaps.push(performance.now() - exitedAt);
      if (gaps.length >= RESTARTS) resolve();
    });
  });
  await pm.start({
    name: 'flap',
    command: 'sh',
    args: ['-c', 'exit 1'],
    backoff: { type: 'fixed', delay: 0 },
    intensity: { maxRestarts: 1_000_000, period: 1000 },
  });
  await done;
  await pm.shutdown();
  return gaps;
}

async function rawStart(n: number): Promise<number> {
  const start = performance.now();
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: n }, () => {
      const child = spawn('sleep', ['600'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      children.push(child);
      return new Promise((resolve) => child.once('spawn', resolve));
    }),
  );
  const elapsed = performance.now() - start;
  await Promise.all(
    children.map((child) => {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-(child.pid as number), 'SIGKILL');
      return gone;
    }),
  );
  return elapsed;
}

async function procvisorStart(n: number): Promise<number> {
  const pm = new ProcessManager();
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => pm.start({ name: `idle-${i}`, command: 'sleep', args: ['600'], shutdown: 'kill' })));
  const elapsed = performance.now() - start;
  await pm.shutdown();
  return elapsed;
}

/** Memory per live child, measured in a fresh Node process per variant (see memory-probe.ts). */
function memoryPerChild(variant: 'raw' | 'procvisor'): number {
  const probe = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', probe, variant, String(CHILDREN)], { encoding: 'utf8' });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  return (JSON.parse(line) as { perChild: number }).perChild;
}

/** Median wall time of `node -e <code>` over several runs, in ms. */
function nodeStartup(code: string, runs = 15): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  return median(times);
}

export async function run(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];

  // Interleaved rounds, so a change in machine load hits both sides alike.
  const rawGaps: number[] = [];
  const ourGaps: number[] = [];
  for (let i = 0; i < 3; i++) {
    rawGaps.push(...(await rawRestartGaps()));
    ourGaps.push(...(await procvisorRestartGaps()));
  }
  const raw = median(rawGaps);
  const ours = median(ourGaps);
  figures.push({ name: 'restart gap (exit event → next spawn event, zero backoff)', unit: 'ms', value: ours, baseline: raw, baselineName: 'raw child_process loop', goal: { ratio: 1.15 } });

  const rawStarts: number[] = [];
  const ourStarts: number[] = [];
  for (let i = 0; i < 3; i++) {
    rawStarts.push(await rawStart(CHILDREN));
    ourStarts.push(await procvisorStart(CHILDREN));
  }
  figures.push({ name: `starting ${CHILDREN} idle children`, unit: 'ms', value: median(ourStarts), baseline: median(rawStarts), baselineName: 'raw spawn', goal: { ratio: 1.3 } });

  const rawMems: number[] = [];
  const ourMems: number[] = [];
  for (let i = 0; i < 3; i++) {
    rawMems.push(memoryPerChild('raw'));
    ourMems.push(memoryPerChild('procvisor'));
  }
  const rawMem = median(rawMems);
  const ourMem = median(ourMems);
  figures.push({ name: 'host memory per live child', unit: 'KB', value: ourMem / 1024, baseline: rawMem / 1024, baselineName: 'raw spawn with piped stdio', goal: { ratio: 3 } });

  const dist = builtEntry();
  const bare = nodeStartup('');
  const withImport = nodeStartup(`await import(${JSON.stringify(pathToFileURL(dist).href)})`);
  figures.push({
    name: 'cold import of procvisor (over bare node)',
    unit: 'ms',
    value: withImport - bare,
    baseline: bare,
    baselineName: 'bare node startup',
    goal: { max: 25 },
    notes: [`node with import: ${withImport.toFixed(1)} ms, bare node: ${bare.toFixed(1)} ms`],
  });
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
