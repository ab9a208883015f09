import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLiveness, waitReady } from '../../src/health/runner.js';
import type { ResolvedProbe, ResolvedProbeTiming } from '../../src/spec/resolved.js';
import type { HealthStatus, ProbeResult } from '../../src/api/types.js';
import { driveClock, FakeClock, flushPromises } from '../clock.js';
import { until } from '../helpers.js';

const timing: ResolvedProbeTiming = { initialDelay: 0, interval: 30, timeout: 1000, successThreshold: 1, failureThreshold: 3 };

/**
 * A custom probe answering from a script of verdicts (the last one repeats), recording the clock
 * time each check starts. A check takes `duration` ms on the clock, and ends early when its signal
 * aborts, as a well-behaved check does.
 */
function scripted(clock: FakeClock, verdicts: boolean[], extra: Partial<ResolvedProbeTiming> = {}, duration = 0) {
  const starts: number[] = [];
  const probe: ResolvedProbe = {
    ...timing,
    ...extra,
    type: 'custom',
    check: async ({ signal }) => {
      starts.push(clock.now());
      if (duration > 0) {
        await new Promise<void>((resolve) => {
          const timer = clock.setTimeout(resolve, duration);
          const onAbort = (): void => {
            clock.clearTimeout(timer);
            resolve();
          };
          signal.addEventListener('abort', onAbort, { once: true });
        });
      }
      return verdicts[Math.min(starts.length - 1, verdicts.length - 1)] as boolean;
    },
  };
  return { probe, starts };
}

/** Advances `clock` timer by timer until `done()`; throws when no timer is left first. */
async function runUntil(clock: FakeClock, done: () => boolean, what: string): Promise<void> {
  while (!done()) {
    if (!(await clock.advanceToNext())) throw new Error(`No timer left at ${clock.now()} ms, and still no ${what}`);
  }
}

function recorder() {
  const statuses: HealthStatus[] = [];
  const failed: { result: ProbeResult; index: number }[] = [];
  const indexes: number[] = [];
  return {
    statuses,
    failed,
    indexes,
    callbacks: {
      onStatus(status: HealthStatus, _result: ProbeResult, index: number) {
        statuses.push(status);
        indexes.push(index);
      },
      onFailed(result: ProbeResult, index: number) {
        failed.push({ result, index });
      },
    },
  };
}

const ctx = (signal: AbortSignal, clock: FakeClock) => ({ name: 'svc', pid: 1, signal, clock });

/** Whether a promise has settled yet. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const settle = (): void => void (settled = true);
  promise.then(settle, settle);
  return { promise, settled: () => settled };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** An HTTP server in this process answering `status()`, counting the requests. */
async function httpServer(status: () => number = () => 200): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createHttpServer((_req, res) => {
    hits += 1;
    res.writeHead(status()).end('status');
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, hits: () => hits };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createTcpServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('waitReady', () => {
  it('needs successThreshold passes in a row; a failure resets the count', async () => {
    const clock = new FakeClock();
    const { probe, starts } = scripted(clock, [true, true, false, true, true, true, false], { successThreshold: 3 });
    const seen: boolean[] = [];
    const ready = tracked(waitReady(probe, { ...ctx(new AbortController().signal, clock), onCheck: (r) => seen.push(r.ok) }));
    await runUntil(clock, ready.settled, 'readiness');
    expect(await ready.promise).toEqual({ ok: true });
    expect(starts).toHaveLength(6);
    expect(seen).toEqual([true, true, false, true, true, true]);
  });

  it('waits initialDelay, then `interval` from the END of each check (never faster with a slow check)', async () => {
    const clock = new FakeClock();
    // Each check takes 80 ms on the clock.
    const { probe, starts } = scripted(clock, [false, false, false, true], { initialDelay: 100, interval: 60 }, 80);
    const ready = tracked(waitReady(probe, ctx(new AbortController().signal, clock)));
    await runUntil(clock, ready.settled, 'readiness');
    await ready.promise;
    expect(starts).toHaveLength(4);
    // Waits are lengthened by at most a tenth so that probes wake together, never shortened.
    expect(starts[0]).toBeGreaterThanOrEqual(100);
    expect(starts[0]).toBeLessThanOrEqual(110);
    for (let i = 1; i < starts.length; i++) {
      const gap = (starts[i] as number) - (starts[i - 1] as number);
      expect(gap).toBeGreaterThanOrEqual(80 + 60);
      expect(gap).toBeLessThanOrEqual(80 + 66);
    }
  });

  it('rejects with the reason when its signal aborts, and checks no more', async () => {
    const clock = new FakeClock();
    const { probe, starts } = scripted(clock, [false]);
    const controller = new AbortController();
    const waiting = waitReady(probe, ctx(controller.signal, clock));
    await runUntil(clock, () => starts.length >= 2, 'second check');
    const reason = new Error('start timeout');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(clock.pending).toBe(0);
    const checks = starts.length;
    await clock.advance(60_000);
    expect(starts.length).toBe(checks);
  });

  it('becomes ready once a late TCP listener is up, and reports the HTTP status of a server', async () => {
    const clock = new FakeClock();
    const port = await closedPort();
    const results: ProbeResult[] = [];
    const ready = waitReady({ ...timing, type: 'tcp', port, host: '127.0.0.1' }, { ...ctx(new AbortController().signal, clock), onCheck: (r) => results.push(r) });
    await until(() => results.length > 0, 5000, 'the first check');
    expect(results[0]).toMatchObject({ ok: false, message: expect.stringMatching(/ECONNREFUSED/) });
    const listener = createTcpServer((socket) => socket.end()).listen(port, '127.0.0.1');
    servers.push(listener);
    await once(listener, 'listening');
    // The loop rests (its one timer) until the clock moves: no second check yet.
    expect(results).toHaveLength(1);
    expect(clock.pending).toBe(1);
    expect(await clock.advanceToNext()).toBe(true);
    expect(await ready).toMatchObject({ ok: true, data: { port } });
    expect(results).toHaveLength(2);

    const web = await httpServer();
    const probe: ResolvedProbe = { ...timing, type: 'http', url: web.url, method: 'GET', status: [200, 299], body: undefined };
    expect(await waitReady(probe, ctx(new AbortController().signal, clock))).toMatchObject({ ok: true, data: { status: 200 } });
  });

  it('refuses event-driven probes', async () => {
    await expect(waitReady({ ...timing, type: 'ipc' }, ctx(new AbortController().signal, new FakeClock()))).rejects.toThrow(TypeError);
  });
});

describe('startLiveness', () => {
  it('goes warning → critical → failed with failureThreshold 3, calls onFailed once and stops', async () => {
    const clock = new FakeClock();
    const { probe, starts } = scripted(clock, [true, false, false, false, false]);
    const rec = recorder();
    const runner = startLiveness([probe], ctx(new AbortController().signal, clock), rec.callbacks);
    await runUntil(clock, () => rec.failed.length > 0, 'failure');
    expect(rec.statuses).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(runner.status).toBe('failed');
    expect(starts).toEqual([0, 30, 60, 90]);
    // Stopped for good: no timer left, and nothing happens however long we wait.
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(starts).toHaveLength(4);
    expect(rec.failed).toHaveLength(1);
  });

  it('has no critical step below failureThreshold 3', async () => {
    const clock = new FakeClock();
    const two = recorder();
    startLiveness([scripted(clock, [false], { failureThreshold: 2 }).probe], ctx(new AbortController().signal, clock), two.callbacks);
    const one = recorder();
    startLiveness([scripted(clock, [false], { failureThreshold: 1 }).probe], ctx(new AbortController().signal, clock), one.callbacks);
    await runUntil(clock, () => two.failed.length > 0 && one.failed.length > 0, 'failures');
    expect(two.statuses).toEqual(['warning', 'failed']);
    expect(one.statuses).toEqual(['failed']);
  });

  it('recovers after successThreshold passes, and a pass resets the failure run', async () => {
    const clock = new FakeClock();
    const { probe } = scripted(clock, [false, false, true, false, true, true, true], { successThreshold: 2, failureThreshold: 3 });
    const rec = recorder();
    const controller = new AbortController();
    startLiveness([probe], ctx(controller.signal, clock), rec.callbacks);
    await runUntil(clock, () => rec.statuses.includes('healthy'), 'recovery');
    controller.abort();
    // F → warning, F → critical, T (1 of 2: stays critical), F → warning (the run restarted), T, T → healthy.
    expect(rec.statuses).toEqual(['warning', 'critical', 'warning', 'healthy']);
    expect(rec.failed).toHaveLength(0);
  });

  it('reports only changes, starting from initialStatus', async () => {
    const clock = new FakeClock();
    const { probe, starts } = scripted(clock, [true]);
    const rec = recorder();
    const controller = new AbortController();
    startLiveness([probe], { ...ctx(controller.signal, clock), initialStatus: 'healthy' }, rec.callbacks);
    await runUntil(clock, () => starts.length >= 4, 'four checks');
    controller.abort();
    expect(rec.statuses).toEqual([]);
  });

  it('takes the worst of several probes and names the probe that changed it', async () => {
    const clock = new FakeClock();
    const good = scripted(clock, [true]);
    const bad = scripted(clock, [false], { initialDelay: 60, failureThreshold: 4 });
    const rec = recorder();
    const controller = new AbortController();
    startLiveness([good.probe, bad.probe], ctx(controller.signal, clock), rec.callbacks);
    await runUntil(clock, () => rec.failed.length > 0, 'failure');
    controller.abort();
    expect(rec.statuses).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(rec.indexes).toEqual([0, 1, 1, 1]);
    expect(rec.failed[0]?.index).toBe(1);
    expect(bad.starts[0]).toBe(60);
  });

  it('fails an HTTP server that turns unhealthy', async () => {
    const clock = new FakeClock();
    let status = 200;
    const web = await httpServer(() => status);
    const rec = recorder();
    const probe: ResolvedProbe = { ...timing, interval: 50, type: 'http', url: web.url, method: 'GET', status: [200, 299], body: undefined };
    startLiveness([probe], ctx(new AbortController().signal, clock), rec.callbacks);
    await driveClock(clock, () => rec.statuses.length > 0, { step: 55, what: 'the first check' });
    expect(rec.statuses).toEqual(['healthy']);
    status = 500;
    await driveClock(clock, () => rec.failed.length > 0, { step: 55, what: 'failure' });
    expect(rec.statuses).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(rec.failed[0]?.result).toMatchObject({ ok: false, data: { status: 500 } });
    expect(web.hits()).toBe(4);
  });

  it('stops everything when the incarnation aborts: no check, timer or socket left', async () => {
    const clock = new FakeClock();
    const count = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const sockets = count();
    const web = await httpServer();
    const custom = scripted(clock, [true], {}, 20);
    // A long check timeout: the clock runs ahead of the HTTP exchanges while the custom loop rests.
    const httpProbe: ResolvedProbe = { ...timing, timeout: 600_000, type: 'http', url: web.url, method: 'GET', status: [200, 299], body: undefined };
    const controller = new AbortController();
    const rec = recorder();
    startLiveness([custom.probe, httpProbe, httpProbe], ctx(controller.signal, clock), rec.callbacks);
    await driveClock(clock, () => custom.starts.length >= 3 && web.hits() >= 4, { step: 35, what: 'three custom checks and four HTTP ones' });
    expect(count()).toBeGreaterThan(sockets);
    controller.abort();
    // Timers go once the promise callbacks have run; sockets close asynchronously (both ends are here).
    await flushPromises();
    expect(clock.pending).toBe(0);
    // At most as many as before: sockets an earlier test left closing may go meanwhile too.
    await until(() => count() <= sockets, 2000, 'sockets released');
    const checks = custom.starts.length;
    const hits = web.hits();
    await clock.advance(60_000);
    expect(custom.starts.length).toBe(checks);
    expect(web.hits()).toBe(hits);
    expect(clock.pending).toBe(0);
    expect(rec.statuses).toEqual(['healthy']);
  });

  it('stop() ends the loops too', async () => {
    const clock = new FakeClock();
    const { probe, starts } = scripted(clock, [true]);
    const runner = startLiveness([probe], ctx(new AbortController().signal, clock), recorder().callbacks);
    await runUntil(clock, () => starts.length >= 2, 'two checks');
    runner.stop();
    expect(clock.pending).toBe(0);
    const checks = starts.length;
    await clock.advance(60_000);
    expect(starts.length).toBe(checks);
  });
});
