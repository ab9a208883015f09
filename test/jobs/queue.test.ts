/**
 * Jobs say where they are and why they failed: a job waiting for a `maxConcurrentJobs` slot emits
 * `job-queued` and shows `queued` in `list()`; a running one shows its pid, one between retries
 * `backoff`; a job that never ran (a missing binary) or ran out of time carries the error; each
 * attempt sees its number in `PROCVISOR_RESTARTS`; `preferLocal` finds `node_modules/.bin` tools.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnFailedError, TimeoutError } from '../../src/api/errors.js';
import type { EventName, EventPayload } from '../../src/api/events.js';
import type { JobSpec } from '../../src/api/types.js';
import { JobRunner } from '../../src/jobs/runner.js';
import type { WorkerHost } from '../../src/process/worker.js';
import { resolveManagerOptions } from '../../src/spec/resolve.js';
import { systemClock } from '../../src/util/clock.js';
import { ProcessManager } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { alive, fixture, NODE, track, until } from '../helpers.js';

interface Recorded {
  event: EventName;
  payload: EventPayload<EventName>;
}

const runners: JobRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});

/** A runner on a host that records every event; closed after each test. */
function setup(maxConcurrentJobs = 4): { runner: JobRunner; of: <E extends EventName>(e: E) => EventPayload<E>[] } {
  const events: Recorded[] = [];
  const host: WorkerHost = {
    clock: systemClock,
    emit: (event, payload) => void events.push({ event, payload }),
    polledReadiness: () => Promise.reject(new Error('no polled readiness in these tests')),
  };
  const runner = new JobRunner({ host, defaults: resolveManagerOptions(undefined).defaults, maxConcurrentJobs, random: () => 0.5 });
  runners.push(runner);
  const of = <E extends EventName>(e: E): EventPayload<E>[] => events.filter((r) => r.event === e).map((r) => r.payload as EventPayload<E>);
  return { runner, of };
}

const job = (name: string, script: string, args: string[] = [], extra: Partial<JobSpec> = {}): JobSpec => ({
  name,
  command: NODE,
  args: [fixture(script), ...args],
  ...extra,
});

describe('JobRunner: queued jobs are visible', () => {
  it('a job waiting for a slot emits `job-queued` and is listed `queued` while the first runs', async () => {
    const { runner, of } = setup(1);
    const before = Date.now();
    const first = new AbortController();
    const running = runner.run(job('first', 'idle.mjs'), { signal: first.signal });
    const second = new AbortController();
    const queued = runner.run(job('second', 'idle.mjs'), { signal: second.signal });
    await until(() => of('spawn').length === 1 && runner.list()[0]?.pid !== undefined, 10_000, 'the first job to spawn');
    expect(of('job-queued')).toEqual([{ name: 'second', time: expect.any(Number), path: ['second'], position: 1, running: 1, limit: 1 }]);
    const pid = of('spawn')[0]?.pid;
    expect(runner.list()).toEqual([
      { name: 'first', state: 'running', attempts: 1, pid, since: expect.any(Number) },
      { name: 'second', state: 'queued', attempts: 0, pid: undefined, since: expect.any(Number) },
    ]);
    const [one, two] = runner.list();
    expect(one?.since).toBeGreaterThanOrEqual(before);
    expect(two?.since).toBeGreaterThanOrEqual(before);

    // The first ends: the second takes its slot and runs.
    first.abort();
    expect(await running).toMatchObject({ status: 'cancelled', attempts: 1 });
    await until(() => of('spawn').length === 2 && runner.list()[0]?.pid !== undefined, 10_000, 'the second job to spawn');
    expect(runner.list()).toEqual([{ name: 'second', state: 'running', attempts: 1, pid: of('spawn')[1]?.pid, since: expect.any(Number) }]);
    second.abort();
    expect(await queued).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(runner.list()).toEqual([]);
    expect(of('job-queued')).toHaveLength(1);
    expect([pid, of('spawn')[1]?.pid].filter((p) => p !== undefined && alive(p))).toEqual([]);
  });

  it('positions count from 1 in queue order; a job that gets a slot at once is never queued', async () => {
    const { runner, of } = setup(1);
    const controllers = [0, 1, 2].map(() => new AbortController());
    const results = ['a', 'b', 'c'].map((name, i) => runner.run(job(name, 'idle.mjs'), { signal: controllers[i]?.signal as AbortSignal }));
    expect(of('job-queued').map((e) => [e.name, e.position])).toEqual([
      ['b', 1],
      ['c', 2],
    ]);
    expect(runner.list().map((j) => [j.name, j.state])).toEqual([
      ['a', 'running'],
      ['b', 'queued'],
      ['c', 'queued'],
    ]);
    for (const controller of controllers) controller.abort();
    await Promise.all(results);
    expect(runner.list()).toEqual([]);
  });

  it('a job waiting to retry is listed `backoff`, with its attempts so far', async () => {
    const { runner, of } = setup();
    const controller = new AbortController();
    const running = runner.run(job('flaky', 'job-print.mjs', ['1'], { retries: 2, retryBackoff: { type: 'fixed', delay: '60s' } }), { signal: controller.signal });
    await until(() => of('restart').length === 1, 10_000, 'the retry to be scheduled');
    expect(runner.list()).toEqual([{ name: 'flaky', state: 'backoff', attempts: 1, pid: undefined, since: expect.any(Number) }]);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ status: 'cancelled', attempts: 1, exitCode: 1 });
    expect(result.error).toBeUndefined();
  });
});

describe('JobRunner: a failure says why', () => {
  it('a missing binary resolves `failed` with the SpawnFailedError, never a bare failure', async () => {
    const { runner, of } = setup();
    const result = await runner.run({ name: 'nobin', command: 'procvisor-no-such-binary-j5' });
    expect(result).toMatchObject({ status: 'failed', exitCode: null, signal: null, attempts: 1 });
    expect(result.error).toBeInstanceOf(SpawnFailedError);
    expect(result.error?.message).toBe('Cannot start `nobin`: command `procvisor-no-such-binary-j5` not found');
    expect((result.error as SpawnFailedError).errno).toBe('ENOENT');
    // The `job` event carries it too.
    expect(of('job')[0]?.error).toBe(result.error);
  });

  it('a job over its timeout carries a TimeoutError; one that exits carries none', async () => {
    const { runner } = setup();
    const slow = await runner.run(job('slow', 'idle.mjs', [], { timeout: 300 }));
    expect(slow).toMatchObject({ status: 'timed-out', attempts: 1 });
    expect(slow.error).toBeInstanceOf(TimeoutError);
    expect(slow.error?.message).toBe('Job `slow` ran longer than its timeout of 300 ms and was stopped');
    const exited = await runner.run(job('exits', 'job-print.mjs', ['3']));
    expect(exited).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(exited).not.toHaveProperty('error');
  });

  it('each attempt sees its number less one in PROCVISOR_RESTARTS', async () => {
    const { runner } = setup();
    const script = 'console.log(`restarts=${process.env.PROCVISOR_RESTARTS}`); process.exitCode = process.env.PROCVISOR_RESTARTS === "2" ? 0 : 1;';
    const result = await runner.run({ name: 'count', command: NODE, args: ['-e', script], retries: 3, retryBackoff: { type: 'fixed', delay: 10 } });
    expect(result).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(result.output.map((l) => l.line)).toEqual(['restarts=2']);
  });
});

describe('JobRunner: preferLocal', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  /** A project with `node_modules/.bin/<tool>` printing a marker, and a subdirectory to run in. */
  function project(tool: string): { root: string; sub: string } {
    scratch = mkdtempSync(join(tmpdir(), 'procvisor-prefer-local-'));
    const bin = join(scratch, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, tool), '#!/bin/sh\necho "local tool ran in $(pwd)"\n');
    chmodSync(join(bin, tool), 0o755);
    const sub = join(scratch, 'packages', 'app');
    mkdirSync(sub, { recursive: true });
    return { root: scratch, sub };
  }

  it.skipIf(process.platform === 'win32')('finds a tool in node_modules/.bin of the cwd and its parents; without it the tool is not found', async () => {
    const { runner } = setup();
    const tool = `procvisor-local-tool-${process.pid}`;
    const { root, sub } = project(tool);
    const here = await runner.run({ name: 'lint', command: tool, cwd: root, preferLocal: true });
    expect(here).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(here.output.map((l) => l.line)).toEqual([`local tool ran in ${root}`]);
    // From a nested package, the project's root node_modules/.bin is on the PATH too.
    const nested = await runner.run({ name: 'lint-app', command: tool, cwd: sub, preferLocal: true });
    expect(nested).toMatchObject({ status: 'succeeded' });
    const without = await runner.run({ name: 'lint-plain', command: tool, cwd: root });
    expect(without).toMatchObject({ status: 'failed', exitCode: null });
    expect(without.error).toBeInstanceOf(SpawnFailedError);
  });

  it.skipIf(process.platform === 'win32')("keeps the spec's own PATH after the local directories", async () => {
    const { runner } = setup();
    const { root } = project('unused');
    const result = await runner.run({
      name: 'path',
      command: NODE,
      args: ['-e', 'console.log(process.env.PATH)'],
      cwd: root,
      env: { PATH: '/opt/custom/bin' },
      preferLocal: true,
    });
    const path = result.output[0]?.line.split(':') ?? [];
    expect(path[0]).toBe(join(root, 'node_modules', '.bin'));
    expect(path.at(-1)).toBe('/opt/custom/bin');
    expect(path).toContain('/node_modules/.bin');
  });

  it('is validated as a boolean', async () => {
    const { runner } = setup();
    await expect(runner.run({ name: 'bad', command: 'true', preferLocal: 'yes' as unknown as boolean })).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      path: 'preferLocal',
    });
  });
});

describe('through the manager', () => {
  it('pm.jobs() lists a queued job, and every job event carries job: true', async () => {
    const pm = track(new ProcessManager({ maxConcurrentJobs: 1 }));
    const seen: { event: string; job: unknown }[] = [];
    for (const event of ['spawn', 'job-queued', 'job'] as const) pm.on(event, (e) => void seen.push({ event, job: e.job }));
    const first = new AbortController();
    const running = pm.run(job('first', 'idle.mjs'), { signal: first.signal });
    const queued = pm.run(job('second', 'idle.mjs'), { timeout: '30s' });
    await until(() => pm.jobs()[0]?.pid !== undefined, 10_000, 'the first job to spawn');
    expect(pm.jobs().map((j) => [j.name, j.state])).toEqual([
      ['first', 'running'],
      ['second', 'queued'],
    ]);
    first.abort();
    expect((await running).status).toBe('cancelled');
    await until(() => pm.jobs().length === 1 && pm.jobs()[0]?.state === 'running', 10_000, 'the second job to run');
    await pm.shutdown();
    expect((await queued).status).toBe('cancelled');
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.every((e) => e.job === true)).toBe(true);
  });

  it("a run's own timeout bounds the whole run, queue included: timed-out, with a TimeoutError", async () => {
    const clock = new FakeClock();
    const pm = track(new ProcessManager({ clock }));
    const spawned = new Promise<number>((resolve) => pm.on('spawn', (e) => resolve(e.pid)));
    const result = pm.run(job('long', 'idle.mjs'), { timeout: '2s' });
    const pid = await spawned;
    await clock.advance(2000);
    const done = await result;
    expect(done.status).toBe('timed-out');
    expect(done.error).toBeInstanceOf(TimeoutError);
    expect(done.error?.message).toMatch(/did not finish within 2000 ms/);
    expect(alive(pid)).toBe(false);
  });

  it('rejects malformed run options', async () => {
    const pm = track(new ProcessManager());
    await expect(pm.run(job('x', 'idle.mjs'), { timeout: 'soon' as '1s' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', path: 'timeout' });
  });
});
