/**
 * Start-to-ready of a test fixture: a small HTTP server, ready when `/` answers, started
 *   - by `useFixture()`'s hook (what a vitest or node:test file pays per fixture),
 *   - by `startFixture()` with `port: 'auto'` (claims a port, substitutes `{port}`, records the fork),
 *   - and, as the baseline, by a bare `pm.start()` of the same spec on a port picked beforehand.
 * Medians of `RUNS` rounds, the three taking turns in each round. Each is stopped before the next
 * starts. Goal: the fixture helpers add at most 10 % to the bare start.
 *
 * Standalone: `npx tsx bench/fixtures.ts`.
 */
import { pathToFileURL } from 'node:url';
import { ProcessManager } from '../src/index.js';
import { DeferredFixture } from '../src/testing/deferred.js';
import { startFixture } from '../src/testing/fixture.js';
import type { BenchFigure } from './lib.js';
import { formatFigure, freePort, median } from './lib.js';

const RUNS = Number(process.env.PROCVISOR_BENCH_RUNS ?? 15);

const SERVER = `require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')`;

function spec(port: number | '{port}'): { command: string; args: string[]; readiness: { type: 'http'; url: string; interval: number } } {
  return {
    command: process.execPath,
    args: ['-e', SERVER, String(port)],
    readiness: { type: 'http', url: `http://127.0.0.1:${port}/`, interval: 10 },
  };
}


export async function run(): Promise<BenchFigure[]> {
  const pm = new ProcessManager();
  const bare: number[] = [];
  const fixture: number[] = [];
  const hook: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const port = await freePort();
      let t = performance.now();
      await pm.start({ name: `bare-${i}`, ...spec(port) });
      bare.push(performance.now() - t);
      await pm.remove(`bare-${i}`);

      t = performance.now();
      const started = await startFixture({ name: 'fixture', port: 'auto', ...spec('{port}') });
      fixture.push(performance.now() - t);
      await started.stop();

      const deferred = new DeferredFixture({ name: 'hooked', port: 'auto', ...spec('{port}') });
      t = performance.now();
      await deferred.start();
      hook.push(performance.now() - t);
      await deferred.stop();
    }
  } finally {
    await pm.shutdown();
  }
  const baseline = median(bare);
  return [
    { name: 'fixture start-to-ready, startFixture()', unit: 'ms', value: median(fixture), baseline, baselineName: 'bare pm.start()', goal: { ratio: 1.1 } },
    { name: "fixture start-to-ready, useFixture()'s hook", unit: 'ms', value: median(hook), baseline, baselineName: 'bare pm.start()', goal: { ratio: 1.1 } },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
