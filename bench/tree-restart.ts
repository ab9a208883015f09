/**
 * Cost of a one-for-all group restart: a tree of 10 children, one crashes, until all 10 run again
 * (9 bystanders stopped in reverse order, then 10 starts in order, backoff 0), against the least any
 * launcher must do: 10 raw sequential `child_process.spawn` calls of the same fixture, each waiting
 * for its 'spawn' event. Its notes give the raw floor of the whole restart too: those spawns plus
 * nine raw stops one at a time, which no ordered restart can undercut.
 *
 * Standalone: `npx tsx bench/tree-restart.ts`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProcessManager as Manager } from '../src/index.js';
import { formatFigure, median, procvisor, type BenchFigure } from './lib.js';

const { ProcessManager } = await procvisor();

const CHILDREN = 10;
const RUNS = 7;
const FIXTURE = fileURLToPath(new URL('../test/fixtures/sup-puppet.sh', import.meta.url));

/**
 * 10 sequential raw spawns, each awaited until 'spawn'. Same options as procvisor's (own process
 * group): on Linux a spawn without `detached` costs several times more, which would flatter the
 * ratio. Then the least a one-for-all restart's stops cost: all but the first stopped one at a
 * time in reverse order, each by SIGTERM to its group and a wait for its exit, as OTP orders them.
 */
async function rawSpawnsAndStops(): Promise<{ spawns: number; stops: number }> {
  const children = [];
  const start = performance.now();
  for (let i = 0; i < CHILDREN; i++) {
    const child = spawn('sh', [FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    await once(child, 'spawn');
    children.push(child);
  }
  const spawns = performance.now() - start;
  // Let the fixtures reach their idle loop, as the bystanders of a group restart have.
  await Promise.all(children.map((child) => once(child.stdout, 'data')));
  const stopFrom = performance.now();
  for (const child of children.slice(1).reverse()) {
    const exited = once(child, 'exit');
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
  }
  const stops = performance.now() - stopFrom;
  const first = children[0];
  if (first) await Promise.all([once(first, 'exit'), first.kill('SIGKILL')]);
  return { spawns, stops };
}

/** One group restart: returns the total and the time until the last bystander stopped. */
async function groupRestart(pm: Manager): Promise<{ total: number; stopped: number }> {
  const victim = pm.get('c4')?.pid;
  if (victim === undefined) throw new Error('c4 is not running');
  let ready = 0;
  let stops = 0;
  let stopped = 0;
  const start = performance.now();
  const done = new Promise<void>((resolve) => {
    const onStop = (): void => {
      if (++stops === CHILDREN - 1) stopped = performance.now() - start;
    };
    const onReady = (e: { name: string }): void => {
      if (e.name === 'tree' || ++ready < CHILDREN) return;
      pm.off('ready', onReady);
      pm.off('stop', onStop);
      resolve();
    };
    pm.on('stop', onStop);
    pm.on('ready', onReady);
  });
  process.kill(victim, 'SIGKILL');
  await done;
  return { total: performance.now() - start, stopped };
}

/** Runs the benchmark and returns its figure. */
export async function run(): Promise<BenchFigure[]> {
  const pm = new ProcessManager({ backoff: { type: 'fixed', delay: 0 }, intensity: { maxRestarts: 1000, period: 1000 } });
  const raw: number[] = [];
  const rawStops: number[] = [];
  const totals: number[] = [];
  const stops: number[] = [];
  try {
    await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      intensity: { maxRestarts: 1000, period: 1000 },
      children: Array.from({ length: CHILDREN }, (_, i) => ({ name: `c${i}`, command: 'sh', args: [FIXTURE] })),
    });
    await rawSpawnsAndStops(); // warm-up
    await groupRestart(pm);
    // Interleaved, so a busy machine slows both sides alike.
    for (let i = 0; i < RUNS; i++) {
      const baseline = await rawSpawnsAndStops();
      raw.push(baseline.spawns);
      rawStops.push(baseline.stops);
      const { total, stopped } = await groupRestart(pm);
      totals.push(total);
      stops.push(stopped);
    }
  } finally {
    await pm.shutdown();
  }
  const value = median(totals);
  const floor = median(raw) + median(rawStops);
  return [
    {
      name: `one-for-all restart of ${CHILDREN} children`,
      unit: 'ms',
      value,
      baseline: median(raw),
      baselineName: `${CHILDREN} sequential child_process.spawn`,
      goal: { ratio: 1.2 },
      notes: [
        `crash of one child until all ${CHILDREN} run again (no readiness probe, backoff 0), median of ${RUNS} runs`,
        `of which stopping the ${CHILDREN - 1} bystanders one at a time (SIGTERM, wait for exit): ${median(stops).toFixed(2)} ms`,
        `raw floor of the same work: the spawns + ${CHILDREN - 1} raw stops in reverse order (${median(rawStops).toFixed(2)} ms) = ${floor.toFixed(2)} ms, ${(floor / median(raw)).toFixed(2)}× the baseline`,
      ],
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
