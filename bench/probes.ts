/**
 * HTTP liveness cost. 200 processes each with an HTTP liveness probe every second would be 200
 * servers; the probe side is what costs the host, so ONE local HTTP server process answers them all.
 * Measured over the same window (default 10 s, `PROCVISOR_BENCH_SECONDS`), as the host's CPU share
 * in % of one core (process.cpuUsage over wall time):
 * - procvisor: 200 liveness runners (`startLiveness`, interval 1 s), one per simulated incarnation;
 *   `http:` probes go through the lean keep-alive client of src/health/http-lite.ts;
 * - baseline: a bare loop per target of raw `http.get` (Node's keep-alive global agent), waiting
 *   1 s after each response — the least any prober must do with node:http;
 * - notes: the same bare loop with global `fetch` (which the http probe does not use), and with the
 *   runner's wake-up coalescing, which is where part of the difference to the baseline comes from.
 * Each load runs `PROCVISOR_BENCH_WARMUP` seconds (default 10) before its window: at this load V8's
 * tiering and heap growth take about that long to settle, and every load (node:http's too) costs
 * two to three times more in its first seconds than in the steady state a supervisor spends its
 * hours in. `PROCVISOR_BENCH_WARMUP=2` gives the earlier, start-up inclusive figure.
 * Goal: procvisor under 5 % of one core. A second figure measures the CPU of one check run back to
 * back against a bare keep-alive `http.get`, which a busy machine distorts much less.
 *
 * Standalone: `npx tsx bench/probes.ts`.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { pathToFileURL } from 'node:url';
import { checkOnce } from '../src/health/probes.js';
import { startLiveness } from '../src/health/runner.js';
import { coalesced } from '../src/health/timers.js';
import type { ResolvedProbe } from '../src/spec/resolved.js';
import type { BenchFigure } from './lib.js';
import { formatFigure, median } from './lib.js';

const PROBES = 200;
const INTERVAL = 1_000;
const WINDOW_MS = Number(process.env.PROCVISOR_BENCH_SECONDS ?? 10) * 1_000;
const WARMUP_MS = Math.max(Number(process.env.PROCVISOR_BENCH_WARMUP ?? 10) * 1_000, INTERVAL * 2);
/** Starts are spread over one interval, as processes started at different times would be. */
const SPREAD = INTERVAL / PROBES;

// Counts the requests it serves; GET /count answers with the count (the probes' own tally).
const SERVER = `
let served = 0;
const server = require('node:http').createServer((req, res) => {
  if (req.url === '/count') return res.end(String(served));
  served += 1;
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

const TIMING = { initialDelay: 0, interval: INTERVAL, timeout: 1_000, successThreshold: 1, failureThreshold: 3 } as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests the server has answered so far. */
function served(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/count', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(Number(body)));
      })
      .on('error', reject);
  });
}

interface Load {
  failures: number;
  stop(): void;
}

/** Runs `start` for the warm-up (every loop started, tiered up), then measures the host's CPU share over the window. */
async function measure(port: number, start: () => Load): Promise<{ cpu: number; checks: number; failures: number }> {
  const load = start();
  await sleep(WARMUP_MS);
  const checks0 = await served(port);
  const failures0 = load.failures;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sleep(WINDOW_MS);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const checks = (await served(port)) - checks0;
  const result = { cpu: ((cpu.user + cpu.system) / 1000 / wall) * 100, checks, failures: load.failures - failures0 };
  load.stop();
  await sleep(200);
  return result;
}

function procvisorLiveness(url: string): Load {
  const controllers: AbortController[] = [];
  const load: Load = { failures: 0, stop: () => controllers.forEach((c) => c.abort()) };
  for (let i = 0; i < PROBES; i++) {
    const controller = new AbortController();
    controllers.push(controller);
    const probe: ResolvedProbe = {
      ...TIMING,
      initialDelay: i * SPREAD,
      type: 'http',
      url,
      method: 'GET',
      status: [200, 399],
      body: undefined,
    };
    startLiveness([probe], { name: `svc-${i}`, pid: undefined, signal: controller.signal }, {
      onStatus: (status) => {
        if (status !== 'healthy') load.failures += 1;
      },
      onFailed: () => {},
    });
  }
  return load;
}

/** `coalesce`: end each 1 s wait on a 50 ms tick, as the probe runner does. */
function bareLoops(get: (done: (ok: boolean) => void) => void, coalesce = false): Load {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const load: Load = {
    failures: 0,
    stop: () => {
      stopped = true;
      timers.forEach(clearTimeout);
    },
  };
  const later = (fn: () => void, ms: number): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const loop = (): void => {
    if (stopped) return;
    get((ok) => {
      if (!ok) load.failures += 1;
      later(loop, coalesce ? coalesced(INTERVAL, Date.now()) : INTERVAL);
    });
  };
  for (let i = 0; i < PROBES; i++) later(loop, i * SPREAD);
  return load;
}

function rawHttpGet(url: string, coalesce = false): Load {
  return bareLoops((done) => {
    http
      .get(url, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 200));
      })
      .on('error', () => done(false));
  }, coalesce);
}

function rawFetch(url: string): Load {
  return bareLoops((done) => {
    fetch(url).then(
      async (res) => {
        await res.arrayBuffer();
        done(res.status === 200);
      },
      () => done(false),
    );
  });
}

/** CPU µs per check, run back to back (no waits): the cost a check adds, free of timer effects. */
async function cpuPerCheck(fn: () => Promise<unknown>, runs = 2_000): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / runs;
}

async function perCheckFigures(url: string): Promise<{ ours: number; bare: number }> {
  const agent = new http.Agent({ keepAlive: true });
  const incarnation = new AbortController();
  const probe: ResolvedProbe = { ...TIMING, type: 'http', url, method: 'GET', status: [200, 399], body: undefined };
  const bare = (): Promise<void> =>
    new Promise((resolve) => {
      http.get(url, { agent }, (res) => res.resume().on('end', resolve)).on('error', () => resolve());
    });
  const ours = (): Promise<unknown> => checkOnce(probe, { name: 'svc', pid: undefined, signal: incarnation.signal });
  // Alternate and keep the medians: the machine may be busy with other work.
  const samples = { ours: [] as number[], bare: [] as number[] };
  for (let round = 0; round < 3; round++) {
    samples.bare.push(await cpuPerCheck(bare));
    samples.ours.push(await cpuPerCheck(ours));
  }
  incarnation.abort();
  agent.destroy();
  return { ours: median(samples.ours), bare: median(samples.bare) };
}

/** Runs the benchmark and returns its figures. */
export async function run(): Promise<BenchFigure[]> {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
      server.once('exit', () => reject(new Error('the HTTP server exited')));
    });
    const url = `http://127.0.0.1:${port}/health`;
    const baseline = await measure(port, () => rawHttpGet(url));
    const ours = await measure(port, () => procvisorLiveness(url));
    const viaFetch = await measure(port, () => rawFetch(url));
    const bareCoalesced = await measure(port, () => rawHttpGet(url, true));
    const perCheck = await perCheckFigures(url);
    return [
      {
        name: `host CPU, ${PROBES} HTTP liveness probes every ${INTERVAL / 1000} s`,
        unit: '%',
        value: ours.cpu,
        baseline: baseline.cpu,
        baselineName: `${PROBES} bare http.get loops`,
        goal: { max: 5 },
        notes: [
          `window ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s of warm-up; requests served: baseline ${baseline.checks}, procvisor ${ours.checks}`,
          `failures: baseline ${baseline.failures}, procvisor health changes away from healthy ${ours.failures}`,
          `the same bare loops with global fetch: ${viaFetch.cpu.toFixed(2)} % (${viaFetch.checks} requests)`,
          `the bare http.get loops with the runner's 50 ms wake-up coalescing: ${bareCoalesced.cpu.toFixed(2)} %`,
        ],
      },
      {
        name: 'CPU per HTTP check, back to back (checkOnce)',
        unit: 'µs',
        value: perCheck.ours,
        baseline: perCheck.bare,
        baselineName: 'http.get with a keep-alive agent',
        goal: { ratio: 1.25 },
        notes: [`${PROBES} checks/s at this cost: ${((perCheck.ours * PROBES) / 10_000).toFixed(2)} % of one core`],
      },
    ];
  } finally {
    server.kill('SIGKILL');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
