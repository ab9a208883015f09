/**
 * Liveness probes and heartbeats through `ProcessManager` with real processes: the four health
 * levels on the way to a restart, several probes at once, probes that stop with their incarnation,
 * and the heartbeat watchdog (timeout and phi detectors, over IPC and over output commands).
 */
import { createServer, type Server } from 'node:http';
import { describe, it } from 'vitest';
import { ProcessManager, type Handle, type ProcessSpec } from '../../src/index.js';
import { driveClock, FakeClock } from '../clock.js';
import { delay, track, until } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from '../manager/support.js';
import { freePort, ipcSpec, shSpec } from './integration-support.js';

function manager(clock?: FakeClock): ProcessManager {
  return track(
    new ProcessManager({
      backoff: { type: 'fixed', delay: 20 },
      intensity: { maxRestarts: 50, period: 60_000 },
      shutdown: { timeout: 2000 },
      ...(clock ? { clock } : {}),
    }),
  );
}

/**
 * Beats `count` times on the manager's fake clock, `every` ms apart: each beat is asked of the
 * it4-ipc.mjs child (`{ op: 'beat' }`) and is in once its answer is, then the clock moves. The
 * watchdog and the probes see that rhythm exactly, whatever the machine's load.
 */
async function beat(clock: FakeClock, handle: Handle, every: number, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await handle.request({ op: 'beat' });
    await clock.advance(every);
  }
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

/** it4-http.mjs on `port`, ready by HTTP, with an HTTP liveness probe; `/health` fails once `/break` was asked. */
function httpService(name: string, port: number, extra: Omit<ProcessSpec, 'name' | 'command'> = {}): ProcessSpec {
  const url = `http://127.0.0.1:${port}/health`;
  return nodeSpec(name, 'it4-http.mjs', [String(port)], {
    readiness: { type: 'http', url, interval: 50 },
    liveness: { type: 'http', url, interval: 100, failureThreshold: 3 },
    ...extra,
  });
}

describe.concurrent('liveness through the manager', () => {
  it('an HTTP server turning unhealthy goes warning → critical → failed, ends as abnormal (liveness) and is restarted', async ({ expect }) => {
    // The manager's clock is a fake one. It moves only once the server of the moment listens, so
    // no check fails for want of a server; then the probes' rests move with it.
    const clock = new FakeClock();
    const pm = manager(clock);
    const port = await freePort();
    const seen = record(pm, ['health', 'exit', 'spawn', 'ready', 'restart', 'stop', 'output']);
    const listening = (pid: number | undefined): boolean => payloads(seen, 'output').some((e) => e.line === `listening ${port}` && e.pid !== pid);
    const starting = pm.start(httpService('web', port));
    await until(() => listening(undefined), 10_000, 'the server');
    await driveClock(clock, () => payloads(seen, 'ready').length > 0, { step: 55, what: 'readiness' });
    const handle = await starting;
    const first = handle.pid as number;
    expect(handle.health).toBe('healthy');
    expect(await (await fetch(`http://127.0.0.1:${port}/break`)).text()).toBe('broken');
    await driveClock(clock, () => payloads(seen, 'exit').length > 0, { step: 105, what: 'the exit' });
    const [exit] = payloads(seen, 'exit');
    expect(exit).toMatchObject({ pid: first, reason: 'liveness', class: 'abnormal', willRestart: true });
    // The failing HTTP server was asked to stop (SIGTERM), it did not crash.
    expect(exit?.signal).toBe('SIGTERM');
    const health = payloads(seen, 'health').filter((e) => e.pid === first);
    expect(health.map((e) => e.status)).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(health.map((e) => e.previous)).toEqual(['unknown', 'healthy', 'warning', 'critical']);
    expect(health.every((e) => e.source === 'liveness')).toBe(true);
    for (const e of health.slice(1)) expect(e.result).toMatchObject({ ok: false, message: 'HTTP 500, expected 200-399', data: { status: 500 } });
    // Restarted after its backoff: a new incarnation, ready and healthy again.
    await driveClock(clock, () => payloads(seen, 'spawn').length > 1, { step: 25, what: 'the restart' });
    await until(() => listening(first), 10_000, 'the new server');
    await driveClock(clock, () => payloads(seen, 'ready').some((e) => e.pid !== first), { step: 55, what: 'readiness again' });
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
      expect(handle.state).toBe('exited') // the handle keeps how it ended;
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
    // The manager's clock is a fake one: the probes' rests and the watchdog move with it. Their
    // timeouts are long, as the clock runs ahead (through the custom probe's rests) while an HTTP
    // exchange is in flight.
    const clock = new FakeClock();
    const pm = manager(clock);
    const server = await countingServer();
    try {
      let checks = 0;
      const spec = nodeSpec('watched', 'idle.mjs', [], {
        readiness: READY_LINE,
        liveness: [
          { type: 'http', url: server.url, interval: 30, timeout: 600_000 },
          { type: 'custom', check: () => Promise.resolve(++checks > 0), interval: 30 },
        ],
        heartbeat: { timeout: 600_000 },
      });
      const missed = record(pm, ['heartbeat-missed', 'health']);
      await pm.start(spec);
      await driveClock(clock, () => server.hits() >= 3 && checks >= 3, { step: 35, what: 'a few probes' });
      // The HTTP probe keeps its connection alive between checks...
      expect(await server.connections()).toBeGreaterThanOrEqual(1);
      await pm.stop('watched');
      const hits = server.hits();
      const calls = checks;
      // However long the clock runs now (past any interval, and the watchdog's timeout), nothing happens.
      await clock.advance(3_600_000);
      expect(server.hits()).toBe(hits);
      expect(checks).toBe(calls);
      expect(payloads(missed, 'heartbeat-missed')).toEqual([]);
      expect(payloads(missed, 'health').map((e) => e.status)).toEqual(['healthy']);
      // ...and closed it with the incarnation (the server hears of it a moment later).
      let connections = await server.connections();
      for (const deadline = performance.now() + 2000; connections > 0 && performance.now() < deadline; ) {
        await delay(5);
        connections = await server.connections();
      }
      expect(connections).toBe(0);
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
    const clock = new FakeClock();
    const pm = manager(clock);
    const seen = record(pm, ['health', 'exit']);
    const exited = nextEvent(pm, 'exit', (e) => e.name === 'beating', 15_000);
    const handle = await pm.start(ipcSpec('beating', { readyData: 'up' }, { restart: 'temporary', liveness: { type: 'ipc', interval: 200 } }));
    // The probe runner is loaded on first use: its loop is armed on the clock a moment after the start.
    await until(() => clock.pending > 0, 10_000, 'the liveness loop to arm');
    // A beat before each check: all pass...
    await beat(clock, handle, 200, 4);
    expect(payloads(seen, 'health').map((e) => e.status)).toEqual(['healthy']);
    // ...then silence: three checks find no beat.
    await clock.advance(600);
    const exit = await exited;
    expect(exit).toMatchObject({ reason: 'liveness', class: 'abnormal' });
    expect(payloads(seen, 'health').map((e) => e.status)).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(payloads(seen, 'health')[1]?.result?.message).toBe('No heartbeat since the previous check');
  });
});

describe.concurrent('heartbeats through the manager', () => {
  it('an ipc child beating every 100 ms stays up', async ({ expect }) => {
    const clock = new FakeClock();
    const pm = manager(clock);
    const seen = record(pm, ['heartbeat-missed', 'exit']);
    const handle = await pm.start(ipcSpec('steady', {}, { heartbeat: { timeout: 600 } }));
    const pid = handle.pid;
    // 1.5 s of the watchdog's clock, a beat every 100 ms of it: over twice its timeout.
    await beat(clock, handle, 100, 15);
    // The watchdog is armed on this clock all along, due within its timeout.
    expect(clock.nextDue).toBeLessThanOrEqual(clock.now() + 600);
    expect(handle.pid).toBe(pid);
    expect(handle.state).toBe('running');
    expect(handle.health).toBe('healthy');
    expect(payloads(seen, 'heartbeat-missed')).toEqual([]);
    expect(payloads(seen, 'exit')).toEqual([]);
    await pm.stop('steady');
  });

  it('a child that stops beating: heartbeat-missed, health failed, abnormal exit (heartbeat), restarted', async ({ expect }) => {
    const clock = new FakeClock();
    const pm = manager(clock);
    const seen = record(pm, ['health', 'exit', 'heartbeat-missed', 'ready']);
    const handle = await pm.start(ipcSpec('quiet', {}, { heartbeat: { timeout: 500 } }));
    const first = handle.pid as number;
    const readyAt = clock.now();
    const exited = nextEvent(pm, 'exit', (e) => e.name === 'quiet', 10_000);
    // Four beats 100 ms apart (the last 300 ms after ready), then silence.
    await beat(clock, handle, 100, 4);
    await clock.advance(1000);
    const [missed] = payloads(seen, 'heartbeat-missed');
    // Exactly the timeout after the last beat: the beats counted (without them the watchdog would
    // have fired 500 ms after ready).
    expect(missed).toMatchObject({ pid: first, silence: 500, time: readyAt + 800 });
    expect(missed?.phi).toBeUndefined();
    const exit = await exited;
    expect(exit).toMatchObject({ pid: first, reason: 'heartbeat', class: 'abnormal', willRestart: true });
    expect(payloads(seen, 'health').find((e) => e.status === 'failed')).toMatchObject({ pid: first, source: 'heartbeat', previous: 'healthy' });
    // The restart waits out its backoff on the clock.
    await driveClock(clock, () => payloads(seen, 'ready').some((e) => e.pid !== first), { step: 25, what: 'the restart' });
    expect(handle.pid).not.toBe(first);
    await pm.stop('quiet');
  });

  it('the phi detector learns the rhythm and fires long before the timeout', async ({ expect }) => {
    const clock = new FakeClock();
    const pm = manager(clock);
    const exited = nextEvent(pm, 'exit', (e) => e.name === 'rhythm', 15_000);
    const seen = record(pm, ['heartbeat-missed']);
    const handle = await pm.start(ipcSpec('rhythm', {}, { restart: 'temporary', heartbeat: { timeout: 20_000, detector: 'phi', threshold: 8 } }));
    // Nine beats 200 ms apart, then silence.
    await beat(clock, handle, 200, 9);
    await clock.advance(5000);
    const [missed] = payloads(seen, 'heartbeat-missed');
    if (missed === undefined) throw new Error('no heartbeat-missed within 5 s of silence');
    // About 2.4 periods of silence with the default floor on the deviation: far below 20 s.
    expect(missed.silence).toBeGreaterThanOrEqual(300);
    expect(missed.silence).toBeLessThan(1000);
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
