/**
 * Liveness probes and heartbeats through `ProcessManager` with real processes: the four health
 * levels on the way to a restart, several probes at once, probes that stop with their incarnation,
 * and the heartbeat watchdog (timeout and phi detectors, over IPC and over output commands).
 */
import { createServer, type Server } from 'node:http';
import { describe, it } from 'vitest';
import { ProcessManager, type ProcessSpec } from '../../src/index.js';
import { delay, track, until } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from '../manager/support.js';
import { freePort, ipcSpec, shSpec } from './integration-support.js';

function manager(): ProcessManager {
  return track(
    new ProcessManager({ backoff: { type: 'fixed', delay: 20 }, intensity: { maxRestarts: 50, period: 60_000 }, shutdown: { timeout: 2000 } }),
  );
}

/** An HTTP server in this process that counts the requests it answers (200 while `healthy`). */
async function countingServer(): Promise<{ server: Server; url: string; hits: () => number; connections(): Promise<number>; close(): Promise<void> }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${port}/`,
    hits: () => hits,
    connections: () => new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** it4-http.mjs on `port`, ready by HTTP, with an HTTP liveness probe; `/health` fails after `unhealthyAfter` ms. */
function httpService(name: string, port: number, unhealthyAfter: number, extra: Omit<ProcessSpec, 'name' | 'command'> = {}): ProcessSpec {
  const url = `http://127.0.0.1:${port}/health`;
  return nodeSpec(name, 'it4-http.mjs', [String(port), String(unhealthyAfter)], {
    readiness: { type: 'http', url, interval: 50 },
    liveness: { type: 'http', url, interval: 100, failureThreshold: 3 },
    ...extra,
  });
}

describe.concurrent('liveness through the manager', () => {
  it('an HTTP server turning unhealthy goes warning → critical → failed, ends as abnormal (liveness) and is restarted', async ({ expect }) => {
    const pm = manager();
    const port = await freePort();
    const seen = record(pm, ['health', 'exit', 'spawn', 'ready', 'restart', 'stop']);
    const handle = await pm.start(httpService('web', port, 600));
    const first = handle.pid as number;
    expect(handle.health).toBe('healthy');
    const exit = await nextEvent(pm, 'exit', (e) => e.name === 'web', 10_000);
    expect(exit).toMatchObject({ pid: first, reason: 'liveness', class: 'abnormal', willRestart: true });
    // The failing HTTP server was asked to stop (SIGTERM), it did not crash.
    expect(exit.signal).toBe('SIGTERM');
    const health = payloads(seen, 'health').filter((e) => e.pid === first);
    expect(health.map((e) => e.status)).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(health.map((e) => e.previous)).toEqual(['unknown', 'healthy', 'warning', 'critical']);
    expect(health.every((e) => e.source === 'liveness')).toBe(true);
    for (const e of health.slice(1)) expect(e.result).toMatchObject({ ok: false, message: 'HTTP 500, expected 200-399', data: { status: 500 } });
    // Restarted: a new incarnation, ready and healthy again.
    await nextEvent(pm, 'ready', (e) => e.name === 'web' && e.pid !== first, 10_000);
    expect(handle.pid).not.toBe(first);
    expect(handle.restarts).toBe(1);
    expect(handle.health).toBe('healthy');
    expect(payloads(seen, 'restart')).toHaveLength(1);
    expect(payloads(seen, 'stop')).toEqual([]);
    await pm.stop('web');
  });

  it('several probes: the worst one sets the health, and any one reaching its threshold restarts', async ({ expect }) => {
    const pm = manager();
    const server = await countingServer();
    try {
      const seen = record(pm, ['health', 'exit', 'error']);
      let calls = 0;
      const flaky = async (): Promise<boolean> => {
        calls += 1;
        if (calls > 2) throw new Error(`check ${calls} broke`);
        return true;
      };
      const handle = await pm.start(
        nodeSpec('multi', 'idle.mjs', [], {
          readiness: READY_LINE,
          restart: 'temporary',
          liveness: [
            { type: 'http', url: server.url, interval: 50 },
            { type: 'custom', check: flaky, interval: 50, failureThreshold: 2 },
          ],
        }),
      );
      const exit = await nextEvent(pm, 'exit', (e) => e.name === 'multi', 10_000);
      expect(exit).toMatchObject({ reason: 'liveness', class: 'abnormal', willRestart: false });
      // `temporary`: not restarted, and removed from the manager.
      expect(pm.get('multi')).toBeUndefined();
      expect(handle.state).toBe('stopped');
      // The HTTP probe kept passing; the custom one decided (T = 2: warning, then failed).
      expect(server.hits()).toBeGreaterThanOrEqual(1);
      const health = payloads(seen, 'health');
      expect(health.map((e) => e.status)).toEqual(['healthy', 'warning', 'failed']);
      expect(health[1]?.result?.message).toBe('The custom check threw: check 3 broke');
      expect(payloads(seen, 'error')).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('probes stop the moment the incarnation ends: no probe traffic, timer or socket afterwards', async ({ expect }) => {
    const pm = manager();
    const server = await countingServer();
    try {
      let checks = 0;
      const spec = nodeSpec('watched', 'idle.mjs', [], {
        readiness: READY_LINE,
        liveness: [
          { type: 'http', url: server.url, interval: 30 },
          { type: 'custom', check: () => Promise.resolve(++checks > 0), interval: 30 },
        ],
        heartbeat: { timeout: 300 },
      });
      const missed = record(pm, ['heartbeat-missed', 'health']);
      await pm.start(spec);
      await until(() => server.hits() >= 3 && checks >= 3, 5000, 'a few probes');
      // The HTTP probe keeps its connection alive between checks...
      expect(await server.connections()).toBeGreaterThanOrEqual(1);
      await pm.stop('watched');
      const hits = server.hits();
      const calls = checks;
      await delay(400); // over ten intervals, and past the heartbeat timeout
      expect(server.hits()).toBe(hits);
      expect(checks).toBe(calls);
      expect(payloads(missed, 'heartbeat-missed')).toEqual([]);
      expect(payloads(missed, 'health').map((e) => e.status)).toEqual(['healthy']);
      // ...and closed it with the incarnation.
      expect(await server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('a process being stopped is not judged: no health change while it shuts down', async ({ expect }) => {
    const pm = manager();
    const port = await freePort();
    const seen = record(pm, ['health', 'exit', 'heartbeat-missed']);
    const url = `http://127.0.0.1:${port}/health`;
    // On SIGTERM the server closes at once but the process lingers 600 ms: a dozen failing checks.
    await pm.start(
      nodeSpec('leaving', 'it4-http.mjs', [String(port), 'Infinity', '0', '600'], {
        readiness: { type: 'http', url, interval: 50 },
        liveness: { type: 'http', url, interval: 50, failureThreshold: 2 },
      }),
    );
    const started = performance.now();
    await pm.stop('leaving');
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    expect(payloads(seen, 'health').map((e) => e.status)).toEqual(['healthy']);
    expect(payloads(seen, 'exit')).toEqual([]);
    expect(pm.get('leaving')?.state).toBe('stopped');
  });

  it('an ipc liveness probe follows the heartbeats through the health levels', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['health', 'exit']);
    await pm.start(
      ipcSpec('beating', { readyData: 'up', beatEvery: 50, beatFor: 700 }, { restart: 'temporary', liveness: { type: 'ipc', interval: 200 } }),
    );
    const exit = await nextEvent(pm, 'exit', (e) => e.name === 'beating', 15_000);
    expect(exit).toMatchObject({ reason: 'liveness', class: 'abnormal' });
    expect(payloads(seen, 'health').map((e) => e.status)).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(payloads(seen, 'health')[1]?.result?.message).toBe('No heartbeat since the previous check');
  });
});

describe.concurrent('heartbeats through the manager', () => {
  it('an ipc child beating every 100 ms stays up', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['heartbeat-missed', 'exit']);
    const handle = await pm.start(ipcSpec('steady', { beatEvery: 100 }, { heartbeat: { timeout: 600 } }));
    const pid = handle.pid;
    await delay(1500);
    expect(handle.pid).toBe(pid);
    expect(handle.state).toBe('running');
    expect(handle.health).toBe('healthy');
    expect(payloads(seen, 'heartbeat-missed')).toEqual([]);
    expect(payloads(seen, 'exit')).toEqual([]);
    await pm.stop('steady');
  });

  it('a child that stops beating: heartbeat-missed, health failed, abnormal exit (heartbeat), restarted', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['health', 'exit']);
    const handle = await pm.start(ipcSpec('quiet', { beatEvery: 100, beatFor: 400 }, { heartbeat: { timeout: 500 } }));
    const first = handle.pid as number;
    const readyAt = performance.now();
    const missed = await nextEvent(pm, 'heartbeat-missed', (e) => e.name === 'quiet', 10_000);
    // The beats counted: without them the watchdog would have fired 500 ms after ready.
    expect(performance.now() - readyAt).toBeGreaterThanOrEqual(700);
    expect(missed.pid).toBe(first);
    expect(missed.silence).toBeGreaterThanOrEqual(490);
    expect(missed.phi).toBeUndefined();
    const exit = await nextEvent(pm, 'exit', (e) => e.name === 'quiet', 10_000);
    expect(exit).toMatchObject({ pid: first, reason: 'heartbeat', class: 'abnormal', willRestart: true });
    expect(payloads(seen, 'health').find((e) => e.status === 'failed')).toMatchObject({ pid: first, source: 'heartbeat', previous: 'healthy' });
    await nextEvent(pm, 'ready', (e) => e.name === 'quiet' && e.pid !== first, 20_000);
    expect(handle.pid).not.toBe(first);
    await pm.stop('quiet');
  });

  it('the phi detector learns the rhythm and fires long before the timeout', async ({ expect }) => {
    const pm = manager();
    const exited = nextEvent(pm, 'exit', (e) => e.name === 'rhythm', 15_000);
    await pm.start(
      ipcSpec('rhythm', { beatEvery: 200, beatFor: 1700 }, { restart: 'temporary', heartbeat: { timeout: 20_000, detector: 'phi', threshold: 8 } }),
    );
    const missed = await nextEvent(pm, 'heartbeat-missed', (e) => e.name === 'rhythm', 10_000);
    // About 2.4 periods of silence with the default floor on the deviation: far below 20 s.
    expect(missed.silence).toBeGreaterThanOrEqual(300);
    expect(missed.silence).toBeLessThan(5000);
    expect(missed.phi).toBeGreaterThanOrEqual(8);
    expect(await exited).toMatchObject({ reason: 'heartbeat', class: 'abnormal' });
  });

  it('heartbeats from `::procvisor::heartbeat` lines feed the watchdog', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['output']);
    await pm.start(shSpec('shell', 'it4-commands.sh', ['', '6'], { restart: 'temporary', heartbeat: { timeout: 400 } }));
    const readyAt = performance.now();
    const missed = await nextEvent(pm, 'heartbeat-missed', (e) => e.name === 'shell', 10_000);
    // Six beats 100 ms apart kept it alive past the first 400 ms.
    expect(performance.now() - readyAt).toBeGreaterThanOrEqual(700);
    expect(missed.silence).toBeGreaterThanOrEqual(390);
    await until(() => payloads(seen, 'output').some((e) => e.line === 'silent'), 5000, 'the silent line');
    expect(payloads(seen, 'output').filter((e) => e.line.includes('::procvisor::'))).toEqual([]);
  });
});
