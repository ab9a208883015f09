/**
 * Cost of a one-for-all group restart: a tree of 10 children, one crashes, until all 10 run again
 * (9 bystanders stopped in reverse order, then 10 starts in order, backoff 0), against the least any
 * launcher must do: 10 raw sequential `child_process.spawn` calls of the same fixture, each waiting
 * for its 'spawn' event.
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
 * 10 sequential raw spawns, each awaited until 'spawn'; the children are killed afterwards. Same
 * options as procvisor's (own process group): on Linux a spawn without `detached` costs several
 * times more, which would flatter the ratio.
 */
async function rawSpawns(): Promise<number> {
  const children = [];
  const start = performance.now();
  for (let i = 0; i < CHILDREN; i++) {
    const child = spawn('sh', [FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    await once(child, 'spawn');
    children.push(child);
  }
  const elapsed = performance.now() - start;
  await Promise.all(children.map((child) => (child.kill('SIGKILL'), once(child, 'exit'))));
  return elapsed;
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
  const totals: number[] = [];
  const stops: number[] = [];
  try {
    await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      intensity: { maxRestarts: 1000, period: 1000 },
      children: Array.from({ length: CHILDREN }, (_, i) => ({ name: `c${i}`, command: 'sh', args: [FIXTURE] })),
    });
    await rawSpawns(); // warm-up
    await groupRestart(pm);
    // Interleaved, so a busy machine slows both sides alike.
    for (let i = 0; i < RUNS; i++) {
      raw.push(await rawSpawns());
      const { total, stopped } = await groupRestart(pm);
      totals.push(total);
      stops.push(stopped);
    }
  } finally {
    await pm.shutdown();
  }
  const value = median(totals);
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
      ],
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
