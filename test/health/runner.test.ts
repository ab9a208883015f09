import { afterAll, describe, expect, it } from 'vitest';
import { startLiveness, waitReady } from '../../src/health/runner.js';
import type { ResolvedProbe, ResolvedProbeTiming } from '../../src/spec/resolved.js';
import type { Clock, HealthStatus, ProbeResult } from '../../src/api/types.js';
import { until } from '../helpers.js';
import { startFixture, type FixtureProcess } from './fixture-process.js';

const timing: ResolvedProbeTiming = { initialDelay: 0, interval: 30, timeout: 1000, successThreshold: 1, failureThreshold: 3 };

/** A custom probe answering from a script of verdicts (the last one repeats), recording start times. */
function scripted(verdicts: boolean[], extra: Partial<ResolvedProbeTiming> = {}, duration = 0) {
  const starts: number[] = [];
  const probe: ResolvedProbe = {
    ...timing,
    ...extra,
    type: 'custom',
    check: async () => {
      starts.push(performance.now());
      if (duration > 0) await new Promise((resolve) => setTimeout(resolve, duration));
      return verdicts[Math.min(starts.length - 1, verdicts.length - 1)] as boolean;
    },
  };
  return { probe, starts };
}

/** The real clock, counting the timers it holds, so a test can prove none is left behind. */
function countingClock(): Clock & { pending: Set<NodeJS.Timeout> } {
  const pending = new Set<NodeJS.Timeout>();
  return {
    pending,
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        fn();
      }, ms);
      pending.add(timer);
      return timer;
    },
    clearTimeout(timer) {
      pending.delete(timer as NodeJS.Timeout);
      clearTimeout(timer as NodeJS.Timeout);
    },
  };
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

const ctx = (signal: AbortSignal, clock?: Clock) => ({ name: 'svc', pid: 1, signal, ...(clock ? { clock } : {}) });

const started: FixtureProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((proc) => proc.stop()));
});

describe('waitReady', () => {
  it('needs successThreshold passes in a row; a failure resets the count', async () => {
    const { probe, starts } = scripted([true, true, false, true, true, true, false], { successThreshold: 3 });
    const seen: boolean[] = [];
    const result = await waitReady(probe, { ...ctx(new AbortController().signal), onResult: (r) => seen.push(r.ok) });
    expect(result).toEqual({ ok: true });
    expect(starts).toHaveLength(6);
    expect(seen).toEqual([true, true, false, true, true, true]);
  });

  it('waits initialDelay, then `interval` from the END of each check (never faster with a slow check)', async () => {
    const before = performance.now();
    const { probe, starts } = scripted([false, false, false, true], { initialDelay: 100, interval: 60 }, 80);
    await waitReady(probe, ctx(new AbortController().signal));
    expect((starts[0] as number) - before).toBeGreaterThanOrEqual(95);
    for (let i = 1; i < starts.length; i++) {
      // check (80 ms) + interval (60 ms), measured loosely for a busy machine (timers never fire early).
      expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(135);
    }
  });

  it('rejects with the reason when its signal aborts, and checks no more', async () => {
    const { probe, starts } = scripted([false]);
    const controller = new AbortController();
    const clock = countingClock();
    const waiting = waitReady(probe, ctx(controller.signal, clock));
    await until(() => starts.length >= 2, 2000, 'two checks');
    const reason = new Error('start timeout');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    const checks = starts.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(starts.length).toBe(checks);
    expect(clock.pending.size).toBe(0);
  });

  it('becomes ready against a late TCP listener and reports the HTTP status of a server', async () => {
    const tcp = startFixture('health-tcp-late.mjs', ['300']);
    started.push(tcp);
    const port = Number(await tcp.line());
    const ready = await waitReady({ ...timing, type: 'tcp', port, host: '127.0.0.1' }, ctx(new AbortController().signal));
    expect(ready).toMatchObject({ ok: true, data: { port } });
    expect(tcp.lines).toContain('listening');

    const web = startFixture('health-http.mjs');
    started.push(web);
    const url = `http://127.0.0.1:${await web.line()}/`;
    const probe: ResolvedProbe = { ...timing, type: 'http', url, method: 'GET', status: [200, 299], body: undefined };
    expect(await waitReady(probe, ctx(new AbortController().signal))).toMatchObject({ ok: true, data: { status: 200 } });
  });

  it('refuses event-driven probes', async () => {
    await expect(waitReady({ ...timing, type: 'ipc' }, ctx(new AbortController().signal))).rejects.toThrow(TypeError);
  });
});

describe('startLiveness', () => {
  it('goes warning → critical → failed with failureThreshold 3, calls onFailed once and stops', async () => {
    const { probe, starts } = scripted([true, false, false, false, false]);
    const rec = recorder();
    const clock = countingClock();
    const runner = startLiveness([probe], ctx(new AbortController().signal, clock), rec.callbacks);
    await until(() => rec.failed.length > 0, 3000, 'failure');
    expect(rec.statuses).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(runner.status).toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(starts).toHaveLength(4);
    expect(rec.failed).toHaveLength(1);
    expect(clock.pending.size).toBe(0);
  });

  it('has no critical step below failureThreshold 3', async () => {
    const two = recorder();
    startLiveness([scripted([false], { failureThreshold: 2 }).probe], ctx(new AbortController().signal), two.callbacks);
    const one = recorder();
    startLiveness([scripted([false], { failureThreshold: 1 }).probe], ctx(new AbortController().signal), one.callbacks);
    await until(() => two.failed.length > 0 && one.failed.length > 0, 3000, 'failures');
    expect(two.statuses).toEqual(['warning', 'failed']);
    expect(one.statuses).toEqual(['failed']);
  });

  it('recovers after successThreshold passes, and a pass resets the failure run', async () => {
    const { probe } = scripted([false, false, true, false, true, true, true], { successThreshold: 2, failureThreshold: 3 });
    const rec = recorder();
    const controller = new AbortController();
    startLiveness([probe], ctx(controller.signal), rec.callbacks);
    await until(() => rec.statuses.includes('healthy'), 3000, 'recovery');
    controller.abort();
    // F → warning, F → critical, T (1 of 2: stays critical), F → warning (the run restarted), T, T → healthy.
    expect(rec.statuses).toEqual(['warning', 'critical', 'warning', 'healthy']);
    expect(rec.failed).toHaveLength(0);
  });

  it('reports only changes, starting from initialStatus', async () => {
    const { probe, starts } = scripted([true]);
    const rec = recorder();
    const controller = new AbortController();
    startLiveness([probe], { ...ctx(controller.signal), initialStatus: 'healthy' }, rec.callbacks);
    await until(() => starts.length >= 4, 3000, 'four checks');
    controller.abort();
    expect(rec.statuses).toEqual([]);
  });

  it('takes the worst of several probes and names the probe that changed it', async () => {
    const good = scripted([true]);
    const bad = scripted([false], { initialDelay: 60, failureThreshold: 4 });
    const rec = recorder();
    const controller = new AbortController();
    startLiveness([good.probe, bad.probe], ctx(controller.signal), rec.callbacks);
    await until(() => rec.failed.length > 0, 3000, 'failure');
    expect(rec.statuses).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(rec.indexes).toEqual([0, 1, 1, 1]);
    expect(rec.failed[0]?.index).toBe(1);
  });

  it('fails an HTTP server that turns unhealthy', async () => {
    const web = startFixture('health-http.mjs', ['300']);
    started.push(web);
    const url = `http://127.0.0.1:${await web.line()}/`;
    const rec = recorder();
    const probe: ResolvedProbe = { ...timing, interval: 50, type: 'http', url, method: 'GET', status: [200, 299], body: undefined };
    startLiveness([probe], ctx(new AbortController().signal), rec.callbacks);
    await until(() => rec.failed.length > 0, 5000, 'failure');
    expect(rec.statuses).toEqual(['healthy', 'warning', 'critical', 'failed']);
    expect(rec.failed[0]?.result).toMatchObject({ ok: false, data: { status: 500 } });
  });

  it('stops everything when the incarnation aborts: no check, timer or socket left', async () => {
    const web = startFixture('health-http.mjs');
    started.push(web);
    const url = `http://127.0.0.1:${await web.line()}/`;
    const count = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const sockets = count();
    const custom = scripted([true], {}, 20);
    const httpProbe: ResolvedProbe = { ...timing, type: 'http', url, method: 'GET', status: [200, 299], body: undefined };
    const clock = countingClock();
    const controller = new AbortController();
    const rec = recorder();
    startLiveness([custom.probe, httpProbe, httpProbe], ctx(controller.signal, clock), rec.callbacks);
    await until(() => custom.starts.length >= 3, 3000, 'three checks');
    controller.abort();
    const checks = custom.starts.length;
    await until(() => clock.pending.size === 0 && count() === sockets, 2000, 'timers and sockets released');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(custom.starts.length).toBe(checks);
    expect(clock.pending.size).toBe(0);
    expect(rec.statuses).toEqual(['healthy']);
  });

  it('stop() ends the loops too', async () => {
    const { probe, starts } = scripted([true]);
    const runner = startLiveness([probe], ctx(new AbortController().signal), recorder().callbacks);
    await until(() => starts.length >= 2, 3000, 'two checks');
    runner.stop();
    const checks = starts.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(starts.length).toBe(checks);
  });
});
