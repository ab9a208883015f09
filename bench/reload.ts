/**
 * `pm.reload()` of an instance group of 2 HTTP servers sharing a listening socket, under constant
 * HTTP load (a new connection per request), against the same group restarted in place replica by
 * replica (`pm.restart` of each; the other replica serves meanwhile): the time per instance, and
 * failed requests during each (notes). Medians of `RUNS` rounds, the two taking turns.
 *
 * Standalone: `npx tsx bench/reload.ts`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ProcessManager } from '../src/index.js';
import type { BenchFigure } from './lib.js';
import { formatFigure, freePort, median } from './lib.js';

const RUNS = Number(process.env.PROCVISOR_BENCH_RUNS ?? 5);
const SERVER = fileURLToPath(new URL('../test/fixtures/sockets-http.mjs', import.meta.url));


/** Runs `work` under a request loop; resolves with its duration and the failed requests. */
async function underLoad(port: number, work: () => Promise<void>): Promise<{ ms: number; failed: number; ok: number }> {
  let running = true;
  let failed = 0;
  let ok = 0;
  const loop = (async () => {
    while (running) {
      try {
        await (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })).text();
        ok++;
      } catch {
        failed++;
      }
    }
  })();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  running = false;
  await loop;
  return { ms, failed, ok };
}

export async function run(): Promise<BenchFigure[]> {
  const pm = new ProcessManager();
  const port = await freePort();
  try {
    await pm.start({ name: 'web', command: process.execPath, args: [SERVER], instances: 2, sockets: [{ port }], readiness: { type: 'log', pattern: /^listening \d+/ } });
    const reloads: { ms: number; failed: number; ok: number }[] = [];
    const restarts: { ms: number; failed: number; ok: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      reloads.push(await underLoad(port, () => pm.reload('web')));
      restarts.push(
        await underLoad(port, async () => {
          await pm.restart('web#0');
          await pm.restart('web#1');
        }),
      );
    }
    const perInstance = (s: { ms: number }[]): number => median(s.map((x) => x.ms)) / 2;
    const failedOf = (s: { failed: number; ok: number }[]): string => `${s.reduce((n, x) => n + x.failed, 0)} of ${s.reduce((n, x) => n + x.failed + x.ok, 0)}`;
    return [
      {
        name: 'reload, per instance, under HTTP load',
        unit: 'ms',
        value: perInstance(reloads),
        baseline: perInstance(restarts),
        baselineName: 'restart in place',
        notes: [`failed requests: reload ${failedOf(reloads)}, restart in place ${failedOf(restarts)}`],
      },
    ];
  } finally {
    await pm.shutdown();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
