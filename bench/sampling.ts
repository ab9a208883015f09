/**
 * Resource sampling cost, Linux only. With 500 idle processes running:
 * 1. one sampling round over all 500, tree totals included, against a minimal direct `/proc`
 *    reader (the stat file of each pid, nothing else) and against pidusage — goal ≤ 1.5× the reader;
 * 2. the host's CPU share while a Sampler samples all 500 every second — goal under 2 % of a core,
 *    beside the same host measured idle.
 *
 * Standalone: `npx tsx bench/sampling.ts`.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchFigure, Cost } from './lib.js';
import { formatFigure, interleaved } from './lib.js';
import { HAS_PROC, readStat } from '../src/os/proc.js';
import type { SampleTarget } from '../src/resources/backend.js';
import { PidusageBackend } from '../src/resources/pidusage-backend.js';
import { ProcBackend } from '../src/resources/proc-backend.js';
import { Sampler } from '../src/resources/sampler.js';

const PROCESSES = 500;
const RUNS = 31;
const CPU_WINDOW_MS = 10_000;
const WARM_UP_MS = 6000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `count` idle `sleep` processes, each the leader of its own process group. */
async function spawnIdle(count: number): Promise<number[]> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    child.unref();
    children.push(child);
  }
  const pids = children.map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
  // Measure `sleep` itself, not a half-exec'd copy of the host.
  const deadline = Date.now() + 30_000;
  while (!pids.every((pid) => readStat(pid)?.comm === 'sleep')) {
    if (Date.now() > deadline) throw new Error('idle processes did not start in time');
    await sleep(50);
  }
  return pids;
}

function killGroups(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The baseline: read each pid's stat and pick CPU and RSS out of it, nothing more. */
function directRound(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      sum += Number(fields[11]) + Number(fields[12]) + Number(fields[21]);
    } catch {
      // gone
    }
  }
  return sum;
}



const ms = (value: number): string => `${value.toFixed(2)} ms`;

/** CPU this process used over `ms` of wall time, in % of one core. */
async function cpuShare(ms: number): Promise<number> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(cpu);
  return ((used.user + used.system) / 1000 / (performance.now() - start)) * 100;
}

/** Runs the sampling bench and returns its figures. */
export async function run(): Promise<BenchFigure[]> {
  if (!HAS_PROC) {
    console.log('sampling bench: skipped (needs Linux /proc)');
    return [];
  }
  const pids = await spawnIdle(PROCESSES);
  const cleanup = (): void => killGroups(pids);
  process.once('exit', cleanup);
  try {
    const targets: SampleTarget[] = pids.map((pid) => ({ key: String(pid), pid }));
    const proc = new ProcBackend();
    const lean = new ProcBackend({ fds: false, io: false });
    const portable = new PidusageBackend();
    // CPU share first, before the timed rounds leave garbage and pidusage timers behind.
    await sleep(1000);
    const idle = await cpuShare(CPU_WINDOW_MS);
    let samples = 0;
    const sampler = new Sampler({ interval: 1000, backend: proc, onSample: () => samples++ });
    const firstStart = performance.now();
    for (const target of targets) sampler.add(target.key, target.pid);
    await sampler.sampleNow();
    const first = performance.now() - firstStart;
    // Steady state: the first rounds pay for the full scan, opening fds, JIT warm-up, and the
    // collection of the garbage left by spawning 500 processes.
    await sleep(WARM_UP_MS);
    const before = samples;
    const busy = await cpuShare(CPU_WINDOW_MS);
    const counted = samples - before;
    sampler.stop();
    const share: BenchFigure = {
      name: `host CPU while sampling ${PROCESSES} idle processes every 1 s`,
      unit: '% of one core',
      value: busy,
      baseline: idle,
      baselineName: 'same host, no sampler',
      goal: { max: 2 },
      notes: [
        `the sampler's own share (with sampling minus without): ${(busy - idle).toFixed(2)} % of one core`,
        `${counted} samples in the ${CPU_WINDOW_MS / 1000} s window, after ${WARM_UP_MS / 1000} s of warm-up; ${sampler.skipped} rounds skipped`,
        `first round (full scan, opening fds): ${ms(first)}`,
      ],
    };
    const { default: pidusage } = await import('pidusage');
    const check = await proc.round(targets);
    if (check.size !== PROCESSES) throw new Error(`expected ${PROCESSES} samples, got ${check.size}`);
    const t = await interleaved({
      direct: () => directRound(pids),
      proc: () => proc.round(targets),
      lean: () => lean.round(targets),
      pidusage: () => pidusage([...pids]),
      portable: () => portable.round(targets),
    }, RUNS, 3);
    const cost = (name: string): Cost => t[name] ?? { wall: Number.NaN, cpu: Number.NaN };
    const round: BenchFigure = {
      name: `one sampling round, ${PROCESSES} pids, tree totals + fds + io (/proc backend)`,
      unit: 'ms',
      value: cost('proc').wall,
      baseline: cost('direct').wall,
      baselineName: 'direct /proc stat reader (readFileSync per pid)',
      goal: { ratio: 1.5 },
      notes: [
        `CPU per round: /proc backend ${ms(cost('proc').cpu)}, direct reader ${ms(cost('direct').cpu)}, pidusage ${ms(cost('pidusage').cpu)}`,
        `same round without fds/io: ${ms(cost('lean').wall)} (CPU ${ms(cost('lean').cpu)}); fds held between rounds: ${proc.openFds}`,
        `pidusage backend (pidusage + ps snapshot for trees): ${ms(cost('portable').wall)} (CPU ${ms(cost('portable').cpu)}, ps not counted)`,
      ],
    };
    const versusPidusage: BenchFigure = {
      name: `one sampling round, ${PROCESSES} pids (/proc backend, tree totals + fds + io)`,
      unit: 'ms',
      value: cost('proc').wall,
      baseline: cost('pidusage').wall,
      baselineName: 'pidusage on the same pids (no tree totals, reads spread over the libuv pool)',
    };

    return [round, versusPidusage, share];
  } finally {
    cleanup();
    process.off('exit', cleanup);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
