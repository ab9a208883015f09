import { afterEach, describe, expect, it } from 'vitest';
import { ShutdownError, InvalidSpecError } from '../../src/api/errors.js';
import type { EventName, EventPayload, JobEvent } from '../../src/api/events.js';
import { JobRunner } from '../../src/jobs/runner.js';
import type { WorkerHost } from '../../src/process/worker.js';
import { resolveManagerOptions } from '../../src/spec/resolve.js';
import type { JobResult, JobSpec } from '../../src/api/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/api/types.js';
import { systemClock } from '../../src/util/clock.js';
import { FakeClock } from '../clock.js';
import { alive, fixture, NODE, until } from '../helpers.js';

interface Recorded {
  event: EventName;
  payload: EventPayload<EventName>;
}

/** A runner on a host that records every event; closed after each test. */
function setup(maxConcurrentJobs = 4, clock: Clock = systemClock): { runner: JobRunner; events: Recorded[]; of: <E extends EventName>(e: E) => EventPayload<E>[] } {
  const events: Recorded[] = [];
  const host: WorkerHost = {
    clock,
    emit: (event, payload) => void events.push({ event, payload }),
    polledReadiness: () => Promise.reject(new Error('no polled readiness in these tests')),
  };
  const runner = new JobRunner({ host, defaults: resolveManagerOptions(undefined).defaults, maxConcurrentJobs, random: () => 0.5 });
  runners.push(runner);
  const of = <E extends EventName>(e: E): EventPayload<E>[] => events.filter((r) => r.event === e).map((r) => r.payload as EventPayload<E>);
  return { runner, events, of };
}

const runners: JobRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});

const job = (name: string, script: string, args: string[] = [], extra: Partial<JobSpec> = {}): JobSpec => ({
  name,
  command: NODE,
  args: [fixture(script), ...args],
  ...extra,
});

const lines = (result: JobResult): string[] => result.output.map((l) => l.line);

describe('JobRunner: how a job ends', () => {
  it('succeeds on exit 0 with its output, attempts and duration, and emits `job`', async () => {
    const { runner, of } = setup();
    const result = await runner.run(job('ok', 'job-print.mjs', ['0', 'hello', 'world']));
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0, signal: null, attempts: 1 });
    expect(lines(result)).toEqual(['hello', 'world']);
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.durationMs).toBeLessThan(20_000);
    const [event] = of('job') as JobEvent[];
    expect(event).toMatchObject({ name: 'ok', status: 'succeeded', attempts: 1, path: ['ok'] });
    expect(event?.pid).toBe(of('spawn')[0]?.pid);
  });

  it('fails on another exit code and reports it in an `exit` event', async () => {
    const { runner, of } = setup();
    const result = await runner.run(job('bad', 'job-print.mjs', ['3', 'oops']));
    expect(result).toMatchObject({ status: 'failed', exitCode: 3, signal: null, attempts: 1 });
    expect(lines(result)).toEqual(['oops']);
    expect(of('exit')).toMatchObject([{ name: 'bad', exitCode: 3, class: 'abnormal', willRestart: false }]);
  });

  it('counts `successExitCodes` as success', async () => {
    const { runner } = setup();
    const result = await runner.run(job('code3', 'job-print.mjs', ['3'], { successExitCodes: [3] }));
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 3 });
  });

  it('fails with a missing binary instead of rejecting, and emits `start-failed`', async () => {
    const { runner, of } = setup();
    const result = await runner.run({ name: 'nobin', command: 'procvisor-no-such-binary-xyz' });
    expect(result).toMatchObject({ status: 'failed', exitCode: null, signal: null, attempts: 1, output: [] });
    expect(of('start-failed')[0]?.error.message).toMatch(/not found/);
  });

  it('masks secrets in the output tail and keeps only `output.lines` lines', async () => {
    const { runner } = setup();
    const spec = job('secret', 'job-print.mjs', ['0', 'one', 'two', 'token=hunter2', 'last'], { output: { lines: 2, mask: ['hunter2'] } });
    const result = await runner.run(spec);
    expect(lines(result)).toEqual(['token=***', 'last']);
  });

  it('judges a job that exits before its readiness probe passes by its exit', async () => {
    const { runner } = setup();
    const ok = await runner.run(job('early', 'job-print.mjs', ['0', 'bye'], { readiness: { type: 'log', pattern: /never printed/ } }));
    expect(ok).toMatchObject({ status: 'succeeded', exitCode: 0 });
    const bad = await runner.run(job('early2', 'job-print.mjs', ['2'], { readiness: { type: 'log', pattern: /never printed/ } }));
    expect(bad).toMatchObject({ status: 'failed', exitCode: 2 });
  });
});

describe('JobRunner: timeout', () => {
  it('stops a job over its timeout by the ladder, and its whole tree with it', async () => {
    const clock = new FakeClock(Date.now());
    const { runner, of } = setup(4, clock);
    let pids: number[] = [];
    try {
      const running = runner.run(job('slow', 'job-tree.mjs', [], { timeout: '3s', shutdown: { timeout: '2s' } }));
      // The tree is up (it reported itself); then the job's time runs out on the clock.
      await until(() => of('output').length > 0, 10_000, 'the tree report');
      await clock.advance(2999);
      expect(of('stop')).toEqual([]);
      await clock.advance(1);
      const result = await running;
      expect(result.output[0]?.line).toMatch(/grandchildren/);
      const report = JSON.parse(result.output[0]?.line ?? '{}') as { pid: number; grandchildren: number[] };
      pids = [report.pid, ...report.grandchildren];
      expect(pids).toHaveLength(3);
      expect(result).toMatchObject({ status: 'timed-out', exitCode: null, signal: 'SIGTERM', attempts: 1 });
      expect(result.durationMs).toBe(3000);
      // Resolved only once the tree is gone: the same-group grandchild and the one in its own session.
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    }
  });

  it('also covers the wait for readiness', async () => {
    const { runner } = setup();
    const result = await runner.run(job('unready', 'job-stamp.mjs', ['60000'], { timeout: 300, readiness: { type: 'log', pattern: /never printed/ } }));
    expect(result).toMatchObject({ status: 'timed-out', attempts: 1 });
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('retries a timed-out attempt and reports `timed-out` when the last one timed out too', async () => {
    const { runner, of } = setup();
    const result = await runner.run(job('slow2', 'job-stamp.mjs', ['60000'], { timeout: 250, retries: 1, retryBackoff: { type: 'fixed', delay: 10 } }));
    expect(result).toMatchObject({ status: 'timed-out', attempts: 2 });
    expect(of('spawn')).toHaveLength(2);
  });
});

describe('JobRunner: cancellation', () => {
  it('stops a running job when its signal aborts: status `cancelled`, process gone', async () => {
    const { runner, of } = setup();
    const controller = new AbortController();
    const running = runner.run(job('long', 'job-stamp.mjs', ['60000']), { signal: controller.signal });
    await until(() => of('output').some((e) => e.line.startsWith('start')), 10_000, 'the job to start');
    const pid = of('spawn')[0]?.pid as number;
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ status: 'cancelled', attempts: 1, signal: 'SIGTERM' });
    expect(lines(result)[0]).toMatch(/^start \d+$/);
    expect(alive(pid)).toBe(false);
    expect(of('stop')).toHaveLength(1);
  });

  it('does not spawn a job whose signal is already aborted', async () => {
    const { runner, of } = setup();
    const result = await runner.run(job('never', 'job-stamp.mjs'), { signal: AbortSignal.abort() });
    expect(result).toEqual({ status: 'cancelled', exitCode: null, signal: null, attempts: 0, durationMs: 0, output: [] });
    expect(of('spawn')).toHaveLength(0);
    expect(of('job')).toMatchObject([{ name: 'never', status: 'cancelled' }]);
  });

  it('takes a queued job out of the queue when its signal aborts', async () => {
    const { runner, of } = setup(1);
    const first = new AbortController();
    const running = runner.run(job('first', 'job-stamp.mjs', ['60000']), { signal: first.signal });
    const second = new AbortController();
    const queued = runner.run(job('second', 'job-stamp.mjs'), { signal: second.signal });
    await until(() => runner.queued === 1, 5000, 'the second job to queue');
    second.abort();
    expect(await queued).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(runner.queued).toBe(0);
    first.abort();
    expect(await running).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(of('spawn').map((e) => e.name)).toEqual(['first']);
  });

  it('cancels a job waiting between retries without another attempt', async () => {
    const { runner, of } = setup();
    const controller = new AbortController();
    const running = runner.run(job('wait', 'job-print.mjs', ['1'], { retries: 3, retryBackoff: { type: 'fixed', delay: '60s' } }), { signal: controller.signal });
    await until(() => of('restart').length === 1, 10_000, 'the retry to be scheduled');
    controller.abort();
    expect(await running).toMatchObject({ status: 'cancelled', attempts: 1, exitCode: 1 });
    expect(of('spawn')).toHaveLength(1);
  });

  it('close() cancels running and queued jobs, and refuses new ones', async () => {
    const { runner } = setup(1);
    const running = runner.run(job('a', 'job-stamp.mjs', ['60000']));
    const queued = runner.run(job('b', 'job-stamp.mjs'));
    await until(() => runner.running === 1 && runner.queued === 1, 5000, 'one running, one queued');
    await runner.close();
    expect(await running).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(await queued).toMatchObject({ status: 'cancelled', attempts: 0 });
    await expect(runner.run(job('c', 'job-stamp.mjs'))).rejects.toBeInstanceOf(ShutdownError);
  });
});

describe('JobRunner: retries', () => {
  it('retries a failing job until it succeeds, counting attempts, with exit and restart events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procvisor-jobs-'));
    try {
      const { runner, of } = setup();
      const spec = job('flaky', 'job-flaky.mjs', [join(dir, 'count'), '3'], { retries: 5, retryBackoff: { type: 'fixed', delay: 20 } });
      const result = await runner.run(spec);
      expect(result).toMatchObject({ status: 'succeeded', exitCode: 0, attempts: 3 });
      expect(lines(result)).toEqual(['run 3']);
      expect(of('exit').map((e) => e.willRestart)).toEqual([true, true, false]);
      expect(of('restart')).toMatchObject([{ attempt: 1, delay: 20 }, { attempt: 2, delay: 20 }]);
      expect(of('spawn').map((e) => e.restarts)).toEqual([0, 1, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up after `retries` more attempts and reports the last failure', async () => {
    const { runner } = setup();
    const result = await runner.run(job('fails', 'job-print.mjs', ['4', 'no'], { retries: 2, retryBackoff: { type: 'fixed', delay: 0 } }));
    expect(result).toMatchObject({ status: 'failed', exitCode: 4, attempts: 3 });
    expect(lines(result)).toEqual(['no']);
  });

  it('retries a spawn failure too', async () => {
    const { runner } = setup();
    const result = await runner.run({ name: 'nobin', command: 'procvisor-no-such-binary-xyz', retries: 1, retryBackoff: { type: 'fixed', delay: 0 } });
    expect(result).toMatchObject({ status: 'failed', attempts: 2 });
  });
});

describe('JobRunner: concurrency', () => {
  it('runs at most `maxConcurrentJobs` at once and queues the rest', async () => {
    const { runner } = setup(2);
    const results = await Promise.all([1, 2, 3, 4].map((i) => runner.run(job(`c${i}`, 'job-stamp.mjs', ['300']))));
    const spans = results.map((r) => {
      expect(r.status).toBe('succeeded');
      const [start, end] = lines(r).map((l) => Number(l.split(' ')[1]));
      return { start: start as number, end: end as number };
    });
    // The most spans covering one instant: checked at every start.
    const overlap = Math.max(...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length));
    expect(overlap).toBe(2);
    expect(runner.running).toBe(0);
  });
});

describe('JobRunner: invalid input', () => {
  it('rejects with a InvalidSpecError before spawning anything', async () => {
    const { runner, of } = setup();
    const bad = (spec: unknown): Promise<JobResult> => runner.run(spec as JobSpec);
    await expect(bad({ name: 'x', command: NODE, restart: 'permanent' })).rejects.toThrow(/`restart`.*absent in a job spec/);
    await expect(bad({ name: 'x', command: NODE, timout: '1s' })).rejects.toThrow(/did you mean `timeout`/);
    await expect(bad({ name: 'x', command: NODE, retries: -1 })).rejects.toBeInstanceOf(InvalidSpecError);
    await expect(runner.run(job('x', 'job-print.mjs'), { signal: 'stop' as unknown as AbortSignal })).rejects.toThrow(/`signal` to be an AbortSignal/);
    expect(of('spawn')).toHaveLength(0);
  });
});
