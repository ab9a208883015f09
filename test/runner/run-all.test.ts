/**
 * `pm.runAll()` with real processes: the result, kill-others on failure and on success, every
 * success rule, the group's own limit, restarts, the caller's signal, the group's timeout, a
 * shutdown in the middle, and the options checked before anything spawns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidSpecError, ProcessManager, ShutdownError, TimeoutError } from '../../src/index.js';
import type { JobSpec, ManagerOptions, RunAllResult, SuccessCondition } from '../../src/index.js';
import { exitCodeOf, judge as judgeRule, type Ended } from '../../src/runner/success.js';
import { FakeClock } from '../clock.js';
import { alive, fixture, NODE, track, until } from '../helpers.js';
import { nextEvent, payloads, record } from '../manager/support.js';

const dir = mkdtempSync(join(tmpdir(), 'procvisor-run-all-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** A fresh path in the test's directory, for files commands signal each other with. */
const file = (): string => join(dir, `f${files++}`);

function manager(options: ManagerOptions = {}): ProcessManager {
  return track(new ProcessManager({ maxConcurrentJobs: 16, ...options }));
}

const script = (name: string, fixtureName: string, ...args: string[]): JobSpec => ({ name, command: NODE, args: [fixture(fixtureName), ...args] });
/** A command acting out `runner-say.mjs` arguments. */
const say = (name: string, ...acts: string[]): JobSpec => script(name, 'runner-say.mjs', ...acts);
/** A command that exits with `code` at once. */
const exits = (name: string, code: number): JobSpec => ({ name, command: NODE, args: ['-e', `process.exit(${code})`] });
/** A command that touches `path` once up, then runs until stopped. */
const sleeper = (name: string, path: string): JobSpec => say(name, `touch:${path}`, 'hold');
/** A command that waits for `path` to exist, then exits with `code`. */
const after = (name: string, path: string, code: number): JobSpec => script(name, 'runner-after.mjs', path, String(code));

const statuses = (r: RunAllResult): string[] => r.results.map((c) => c.status);

describe('runAll: the result', () => {
  it('is ok with exit code 0 when every command succeeds, one result per spec in order', async () => {
    const pm = manager();
    const result = await pm.runAll([exits('a', 0), say('b', 'o:hi'), exits('c', 0)]);
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.results).toMatchObject([
      { name: 'a', index: 0, status: 'succeeded', exitCode: 0, signal: null, killed: false, started: true, restarts: 0 },
      { name: 'b', index: 1, status: 'succeeded', exitCode: 0 },
      { name: 'c', index: 2, status: 'succeeded', exitCode: 0 },
    ]);
    for (const command of result.results) expect(command.durationMs).toBeGreaterThan(0);
  });

  it('is not ok when one command fails, with its exit code', async () => {
    const pm = manager();
    const result = await pm.runAll([exits('good', 0), exits('bad', 3), exits('fine', 0)]);
    expect(result).toMatchObject({ ok: false, exitCode: 3 });
    expect(statuses(result)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(result.results[1]).toMatchObject({ exitCode: 3, killed: false });
  });

  it('resolves ok for no commands', async () => {
    const pm = manager();
    expect(await pm.runAll([])).toEqual({ ok: true, exitCode: 0, results: [] });
  });

  it('reports a command that could not spawn as failed (exit code 1), with its error', async () => {
    const pm = manager();
    const result = await pm.runAll([{ name: 'ghost', command: 'procvisor-no-such-binary-xyz' }]);
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.results[0]).toMatchObject({ status: 'failed', exitCode: null, started: true });
    expect(result.results[0]?.error?.name).toBe('SpawnFailedError');
  });
});

describe('runAll: killOthersOn', () => {
  it("'failure': a failing command stops a long-running one at once (killed), and it is blamed", async () => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const up = file();
    const started = performance.now();
    const result = await pm.runAll([sleeper('server', up), after('tests', up, 3)], { killOthersOn: ['failure'] });
    expect(performance.now() - started).toBeLessThan(4000);
    expect(result).toMatchObject({ ok: false, exitCode: 3 });
    expect(result.results).toMatchObject([
      { name: 'server', status: 'cancelled', signal: 'SIGTERM', killed: true, started: true },
      { name: 'tests', status: 'failed', exitCode: 3, killed: false },
    ]);
    const server = payloads(seen, 'spawn').find((e) => e.name === 'server');
    expect(server && alive(server.pid)).toBe(false);
  });

  it("'failure' leaves the others alone when every command succeeds", async () => {
    const pm = manager();
    const up = file();
    const result = await pm.runAll([say('first', `touch:${up}`), after('second', up, 0)], { killOthersOn: ['failure'] });
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.results.map((c) => c.killed)).toEqual([false, false]);
  });

  it("'success': a command that succeeds stops the others; killed by the signal they count as failures, as in concurrently", async () => {
    const pm = manager();
    const up = file();
    const specs = [sleeper('server', up), after('tests', up, 0)];
    const all = await pm.runAll(specs, { killOthersOn: ['success'] });
    expect(all).toMatchObject({ ok: false, exitCode: 1 });
    expect(all.results).toMatchObject([
      { name: 'server', status: 'cancelled', killed: true },
      { name: 'tests', status: 'succeeded', killed: false },
    ]);
    // The usual fix: judge the tests alone.
    const up2 = file();
    const onlyTests = await pm.runAll([sleeper('server', up2), after('tests', up2, 0)], { killOthersOn: ['success'], success: 'command-tests' });
    expect(onlyTests).toMatchObject({ ok: true, exitCode: 0 });
  });

  it('counts a killed command that exits 0 on SIGTERM as a success', async () => {
    const pm = manager();
    const up = file();
    const result = await pm.runAll([script('graceful', 'runner-term.mjs', up), after('done', up, 0)], { killOthersOn: ['success', 'failure'] });
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.results[0]).toMatchObject({ status: 'cancelled', exitCode: 0, killed: true });
  });

  it('cancels commands not started yet (killed, never started, left out of the rule)', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const result = await pm.runAll([exits('boom', 5), exits('later', 0), exits('never', 0)], { killOthersOn: ['failure'], maxConcurrent: 1 });
    expect(result).toMatchObject({ ok: false, exitCode: 5 });
    expect(result.results.slice(1)).toMatchObject([
      { name: 'later', status: 'cancelled', killed: true, started: false, exitCode: null, restarts: 0, durationMs: 0 },
      { name: 'never', status: 'cancelled', killed: true, started: false },
    ]);
    expect(payloads(seen, 'spawn').map((e) => e.name)).toEqual(['boom']);
  });
});

describe('runAll: success', () => {
  // One at a time, so the order in which they end is the order of the specs.
  const judge = (pm: ProcessManager, specs: JobSpec[], success: SuccessCondition): Promise<RunAllResult> => pm.runAll(specs, { success, maxConcurrent: 1 });
  const okThenBad = (): JobSpec[] => [exits('ok', 0), exits('bad', 4)];
  const badThenOk = (): JobSpec[] => [exits('bad', 4), exits('ok', 0)];

  it("'first' and 'last': the first or last command to end decides", async () => {
    const pm = manager();
    expect(await judge(pm, okThenBad(), 'first')).toMatchObject({ ok: true, exitCode: 0 });
    expect(await judge(pm, okThenBad(), 'last')).toMatchObject({ ok: false, exitCode: 4 });
    expect(await judge(pm, badThenOk(), 'first')).toMatchObject({ ok: false, exitCode: 4 });
    expect(await judge(pm, badThenOk(), 'last')).toMatchObject({ ok: true, exitCode: 0 });
  });

  it("'command-NAME' and 'command-INDEX': only those commands decide", async () => {
    const pm = manager();
    expect(await judge(pm, okThenBad(), 'command-ok')).toMatchObject({ ok: true, exitCode: 0 });
    expect(await judge(pm, okThenBad(), 'command-bad')).toMatchObject({ ok: false, exitCode: 4 });
    expect(await judge(pm, okThenBad(), 'command-0')).toMatchObject({ ok: true, exitCode: 0 });
    expect(await judge(pm, okThenBad(), 'command-1')).toMatchObject({ ok: false, exitCode: 4 });
  });

  it("'!command-NAME' and '!command-INDEX': every command but those decides", async () => {
    const pm = manager();
    expect(await judge(pm, okThenBad(), '!command-bad')).toMatchObject({ ok: true, exitCode: 0 });
    expect(await judge(pm, okThenBad(), '!command-ok')).toMatchObject({ ok: false, exitCode: 4 });
    expect(await judge(pm, okThenBad(), '!command-1')).toMatchObject({ ok: true, exitCode: 0 });
  });

  it("'command-X' fails when X never started (cancelled by kill-others)", async () => {
    const pm = manager();
    const result = await pm.runAll([exits('boom', 0), exits('target', 0)], { success: 'command-target', killOthersOn: ['success'], maxConcurrent: 1 });
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.results[1]).toMatchObject({ started: false, killed: true });
  });
});

describe('the success rule, over commands in the order they ended', () => {
  const end = (name: string, index: number, exitCode: number | null, success = exitCode === 0): Ended => ({ name, index, success, exitCode });
  // Ended in this order: c (index 2) failed with 7, a (0) succeeded, b (1) failed by a signal, a2 (3, also named `a`) failed with 9.
  const ended = [end('c', 2, 7), end('a', 0, 0), end('b', 1, null), end('a', 3, 9)];
  const cases: [SuccessCondition, boolean, number][] = [
    ['all', false, 7],
    ['first', false, 7],
    ['last', false, 9],
    ['command-a', false, 9],
    ['command-0', true, 0],
    ['command-b', false, 1],
    ['!command-c', false, 1],
    ['!command-2', false, 1],
  ];
  it.each(cases)('%s → ok %s, exit code %s', (rule, ok, code) => {
    const verdict = judgeRule(rule, ended);
    expect(verdict.ok).toBe(ok);
    expect(exitCodeOf(verdict)).toBe(code);
  });

  it('holds with no command started, and blames nobody for a target that never started', () => {
    expect(judgeRule('all', [])).toEqual({ ok: true, blamed: undefined });
    expect(judgeRule('command-z', [end('a', 0, 0)])).toEqual({ ok: false, blamed: undefined });
    // A failure with exit code 0 (0 not among its successExitCodes) still makes the run's code non-zero.
    expect(exitCodeOf(judgeRule('all', [end('odd', 0, 0, false)]))).toBe(1);
  });
});

describe('runAll: maxConcurrent', () => {
  it('runs one at a time, in order, with maxConcurrent 1', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn', 'job']);
    await pm.runAll([say('a', 'o:1'), say('b', 'o:2'), say('c', 'o:3')], { maxConcurrent: 1 });
    expect(seen.map((r) => `${r.event}:${r.payload.name}`)).toEqual(['spawn:a', 'job:a', 'spawn:b', 'job:b', 'spawn:c', 'job:c']);
    const spawns = payloads(seen, 'spawn');
    const jobs = payloads(seen, 'job');
    for (let i = 1; i < spawns.length; i++) expect(spawns[i]?.time).toBeGreaterThanOrEqual(jobs[i - 1]?.time ?? Infinity);
  });

  it('never runs more than maxConcurrent at once, and starts the waiting ones in order', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn', 'job']);
    const up = [file(), file(), file(), file()];
    // Each command holds until the one after it is up, so two run together at every moment.
    const specs = [after('a', up[1] as string, 0), say('b', `touch:${up[1]}`, 'exit:0'), say('c', 'o:c'), say('d', 'o:d')];
    const result = await pm.runAll(specs, { maxConcurrent: 2 });
    expect(result.ok).toBe(true);
    let running = 0;
    let most = 0;
    for (const { event } of seen) {
      running += event === 'spawn' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
    expect(payloads(seen, 'spawn').map((e) => e.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it("takes none of the manager's maxConcurrentJobs slots: with a limit of 1, two commands run at once", async () => {
    const pm = manager({ maxConcurrentJobs: 1 });
    const seen = record(pm, ['spawn', 'job', 'job-queued']);
    const both = new Promise<void>((resolve) => {
      let spawned = 0;
      pm.on('spawn', () => {
        if (++spawned === 2) resolve();
      });
    });
    const running = pm.runAll([sleeper('a', file()), sleeper('b', file())], { timeout: '20s' });
    await both;
    expect(payloads(seen, 'job-queued')).toEqual([]);
    expect(pm.jobs().map((j) => j.name).sort()).toEqual(['a', 'b']);
    await pm.shutdown();
    const result = await running;
    expect(result.results.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
  });
});

describe('runAll: restartTries', () => {
  it('runs a failing command again N times, then gives up with its last exit', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn', 'restart']);
    const result = await pm.runAll([exits('flaky', 2)], { restartTries: 2, restartDelay: '20ms' });
    expect(result).toMatchObject({ ok: false, exitCode: 2 });
    expect(result.results[0]).toMatchObject({ status: 'failed', exitCode: 2, restarts: 2 });
    expect(payloads(seen, 'spawn')).toHaveLength(3);
    expect(payloads(seen, 'restart').map((e) => e.delay)).toEqual([20, 20]);
  });

  it('stops restarting once the command succeeds', async () => {
    const pm = manager();
    const result = await pm.runAll([script('flaky', 'runner-flaky.mjs', file(), '1')], { restartTries: 3 });
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.results[0]).toMatchObject({ status: 'succeeded', restarts: 1 });
  });

  it('kills the others on failure only once the restarts are spent', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const up = file();
    const result = await pm.runAll([sleeper('server', up), after('tests', up, 3)], { killOthersOn: ['failure'], restartTries: 2 });
    expect(result.results).toMatchObject([
      { name: 'server', status: 'cancelled', killed: true, restarts: 0 },
      { name: 'tests', status: 'failed', exitCode: 3, restarts: 2 },
    ]);
    expect(payloads(seen, 'spawn').map((e) => e.name)).toEqual(['server', 'tests', 'tests', 'tests']);
  });

  it("keeps a spec's own retries over restartTries", async () => {
    const pm = manager();
    const result = await pm.runAll([{ ...exits('own', 2), retries: 1 }, exits('default', 2)], { restartTries: 2 });
    expect(result.results.map((c) => c.restarts)).toEqual([1, 2]);
  });
});

describe('runAll: signal, timeout, shutdown', () => {
  it('stops everything when the signal aborts: running ones cancelled, waiting ones never started; not ok', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const controller = new AbortController();
    const [up1, up2] = [file(), file()];
    const running = pm.runAll([sleeper('one', up1), sleeper('two', up2), exits('three', 0)], { signal: controller.signal, maxConcurrent: 2 });
    await until(() => payloads(seen, 'spawn').length === 2, 10_000, 'both sleepers');
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.results).toMatchObject([
      { name: 'one', status: 'cancelled', killed: false, started: true },
      { name: 'two', status: 'cancelled', killed: false, started: true },
      { name: 'three', status: 'cancelled', killed: false, started: false },
    ]);
    expect(payloads(seen, 'spawn').filter((e) => alive(e.pid))).toEqual([]);
  });

  it('spawns nothing for a signal already aborted', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const result = await pm.runAll([exits('a', 0), exits('b', 0)], { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.results.map((c) => [c.status, c.started])).toEqual([['cancelled', false], ['cancelled', false]]);
    expect(payloads(seen, 'spawn')).toEqual([]);
  });

  it('ends commands still running or waiting `timed-out` when the group timeout runs out (manager clock)', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const spawned = nextEvent(pm, 'spawn', (e) => e.name === 'slow', 10_000);
    const running = pm.runAll([say('slow', 'hold'), say('queued', 'o:never')], { timeout: '5s', maxConcurrent: 1 });
    await spawned;
    await clock.advance(4999);
    expect(pm.jobs().map((j) => j.name)).toEqual(['slow']);
    await clock.advance(1);
    const result = await running;
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.results).toMatchObject([
      { name: 'slow', status: 'timed-out', signal: 'SIGTERM', started: true, killed: false },
      { name: 'queued', status: 'timed-out', started: false },
    ]);
    for (const command of result.results) {
      expect(command.error).toBeInstanceOf(TimeoutError);
      expect(command.error?.message).toMatch(/within 5000 ms/);
    }
  });

  it('ends with the manager: a shutdown cancels the group, with a ShutdownError', async () => {
    const pm = manager();
    const spawned = nextEvent(pm, 'spawn', (e) => e.name === 'long', 10_000);
    const running = pm.runAll([say('long', 'hold'), exits('after', 0)], { maxConcurrent: 1 });
    await spawned;
    await pm.shutdown();
    const result = await running;
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.results).toMatchObject([
      { name: 'long', status: 'cancelled', started: true },
      { name: 'after', status: 'cancelled', started: false },
    ]);
    for (const command of result.results) expect(command.error).toBeInstanceOf(ShutdownError);
    await expect(pm.runAll([exits('late', 0)])).rejects.toBeInstanceOf(ShutdownError);
  });
});

describe('runAll: invalid arguments, before anything spawns', () => {
  it('rejects bad options with an InvalidArgumentError naming the field', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const specs = [exits('web', 0), exits('api', 0)];
    const reject = async (options: unknown): Promise<InvalidArgumentError> => {
      const error: unknown = await pm.runAll(specs, options as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      return error as InvalidArgumentError;
    };
    const unknown = await reject({ success: 'command-x' });
    expect(unknown.path).toBe('success');
    expect(unknown.message).toMatch(/`x` names none; the commands are `web` \(0\), `api` \(1\)/);
    expect((await reject({ success: 'command-2' })).path).toBe('success');
    expect((await reject({ success: 'most' })).path).toBe('success');
    expect((await reject({ killOthersOn: ['fail'] })).path).toBe('killOthersOn[0]');
    expect((await reject({ killOthersOn: 'failure' })).path).toBe('killOthersOn');
    expect((await reject({ maxConcurrent: 0 })).path).toBe('maxConcurrent');
    expect((await reject({ maxConcurrent: 1.5 })).path).toBe('maxConcurrent');
    expect((await reject({ restartTries: -1 })).path).toBe('restartTries');
    expect((await reject({ restartDelay: 'soon' })).path).toBe('restartDelay');
    expect((await reject({ timeout: -5 })).path).toBe('timeout');
    expect((await reject({ signal: 'stop' })).path).toBe('signal');
    expect((await reject({ killOthers: ['failure'] })).message).toMatch(/did you mean `killOthersOn`/);
    expect((await reject('all')).path).toBe('');
    expect(payloads(seen, 'spawn')).toEqual([]);
  });

  it('rejects specs that are not an array, and an invalid spec before any other spawns', async () => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    await expect(pm.runAll({ name: 'a' } as never)).rejects.toMatchObject({ name: 'InvalidArgumentError', path: 'specs' });
    await expect(pm.runAll([exits('fine', 0), { name: 'broken', command: NODE, timeout: 'soon' } as never])).rejects.toBeInstanceOf(InvalidSpecError);
    expect(payloads(seen, 'spawn')).toEqual([]);
  });
});
