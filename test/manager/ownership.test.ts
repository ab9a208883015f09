/**
 * One owner per child, through the public API: the defects a review found in the seams between
 * the modules that used to share a child's state, each reproduced with real processes. Time comes
 * from the shared fake clock wherever a backoff or a timeout is involved.
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError, ProcessManager, InvalidArgumentError } from '../../src/index.js';
import type { Duration, HealthEvent } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { alive, fixture, NODE, track, until } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from './support.js';

/** A puppet (test/fixtures/sup-puppet.sh): started once it prints `ready`; SIGUSR1 exits 1. */
const puppet = (name: string) => ({
  name,
  command: 'sh',
  args: [fixture('sup-puppet.sh')],
  readiness: { type: 'log', pattern: /^ready$/ } as const,
  shutdown: { timeout: 3000 },
});

describe('a backoff function that throws', () => {
  it('ends a top-level entry failed with give-up and an error event; the exit says no restart', async () => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock }));
    const seen = record(pm, ['exit', 'restart', 'give-up', 'error', 'spawn']);
    const boom = new Error('backoff exploded');
    const handle = await pm.start({ ...puppet('p'), backoff: () => { throw boom; } });
    const gaveUp = nextEvent(pm, 'give-up');
    process.kill(handle.pid as number, 'SIGUSR1');
    await gaveUp;
    expect(handle.state).toBe('failed');
    expect(payloads(seen, 'exit')).toEqual([expect.objectContaining({ name: 'p', exitCode: 1, willRestart: false })]);
    expect(payloads(seen, 'error')).toEqual([expect.objectContaining({ name: 'p', error: boom })]);
    expect(payloads(seen, 'restart')).toEqual([]);
    // Nothing is scheduled: no restart will ever come.
    expect(clock.pending).toBe(0);
    expect(payloads(seen, 'spawn')).toHaveLength(1);
    // The entry can be revived by hand, like any failed entry.
    await pm.restart('p');
    expect(handle.state).toBe('running');
  });

  it('a backoff delay no timer can hold is the same fault, never a restart 1 ms later', async () => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock }));
    const seen = record(pm, ['restart', 'error']);
    const handle = await pm.start({ ...puppet('p'), backoff: () => 1e10 });
    const gaveUp = nextEvent(pm, 'give-up');
    process.kill(handle.pid as number, 'SIGUSR1');
    await gaveUp;
    expect(handle.state).toBe('failed');
    expect(payloads(seen, 'restart')).toEqual([]);
    expect(payloads(seen, 'error')[0]?.error.message).toMatch(/returned `10000000000`/);
  });

  it('inside a tree, faults the supervisor: its children stop and its parent restarts it', async () => {
    const pm = track(new ProcessManager({ backoff: { type: 'fixed', delay: 0 } }));
    const seen = record(pm, ['exit', 'error', 'supervisor:restart']);
    let calls = 0;
    await pm.start({
      name: 'outer',
      strategy: 'one-for-one',
      children: [
        {
          name: 'inner',
          strategy: 'one-for-one',
          children: [{ ...puppet('c'), backoff: () => (calls++ === 0 ? Number.NaN : 0) }],
        },
      ],
    });
    const first = pm.get('c')?.pid as number;
    const restarted = nextEvent(pm, 'supervisor:restart', (e) => e.name === 'outer');
    process.kill(first, 'SIGUSR1');
    await restarted;
    await pm.waitFor('c', 'running', { timeout: 10_000 });
    expect(payloads(seen, 'error')).toEqual([expect.objectContaining({ name: 'inner' })]);
    expect(payloads(seen, 'exit').find((e) => e.name === 'inner')).toMatchObject({ class: 'abnormal', reason: 'fault', willRestart: true });
    expect(pm.get('c')?.pid).not.toBe(first);
    expect(alive(first)).toBe(false);
  });
});

describe('waits on a child that is removed', () => {
  it('handle.waitFor and pm.waitFor reject with NotFoundError instead of hanging', async () => {
    const pm = track(new ProcessManager());
    const handle = pm.add(puppet('w'));
    const viaHandle = handle.waitFor('running');
    const viaManager = pm.waitFor('w', 'running');
    await pm.remove('w');
    await expect(viaHandle).rejects.toBeInstanceOf(NotFoundError);
    await expect(viaManager).rejects.toThrow(/removed while waiting for `running`/);
    // A wait on the removed child's handle now rejects at once, or resolves if it is already there.
    await expect(handle.waitFor('running')).rejects.toBeInstanceOf(NotFoundError);
    await expect(handle.waitFor('stopped')).resolves.toBeUndefined();
  });

  it('validates the state and the options of a wait (a typo never waits for ever)', async () => {
    const pm = track(new ProcessManager());
    pm.add(puppet('w'));
    await expect(pm.waitFor('w', 'runing' as 'running')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(pm.waitFor('w', 'running', { timeout: 1e10 })).rejects.toThrow(/at most 2147483647 ms/);
    await expect(pm.waitFor('w', 'running', { timeout: 'soon' as '1s' })).rejects.toBeInstanceOf(InvalidArgumentError);
    const controller = new AbortController();
    const waiting = pm.waitFor('w', 'running', { signal: controller.signal });
    controller.abort(new Error('gave up waiting'));
    await expect(waiting).rejects.toThrow('gave up waiting');
  });

  it('a wait times out on the manager clock', async () => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock }));
    pm.add(puppet('w'));
    const waiting = pm.waitFor('w', 'running', { timeout: '2s' });
    const outcome = waiting.then(() => 'resolved', (e: unknown) => e);
    await clock.advance(1999);
    await clock.advance(1);
    expect(await outcome).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('within 2000 ms (it is `idle`)') });
  });
});

describe('health from several sources', () => {
  it('a passing limits check never hides a failing liveness probe', async () => {
    const pm = track(new ProcessManager());
    const health: HealthEvent[] = [];
    pm.on('health', (e) => health.push(e));
    let failing = false;
    await pm.start({
      ...puppet('h'),
      liveness: { type: 'custom', interval: 20, failureThreshold: 1000, check: async () => !failing },
      sampling: { interval: 20 },
      limits: { memory: '10GB', action: 'warn' },
    });
    failing = true;
    await until(() => pm.get('h')?.health === 'warning', 5000, 'liveness to warn');
    // Several samples later, each saying the limits are fine: still warning.
    const samples = pm.listenerCount('usage');
    await nextEvent(pm, 'usage');
    await nextEvent(pm, 'usage');
    await nextEvent(pm, 'usage');
    expect(pm.listenerCount('usage')).toBe(samples);
    expect(pm.get('h')?.health).toBe('warning');
    expect(health.map((e) => `${e.previous}→${e.status} (${e.source})`)).toEqual(['unknown→healthy (liveness)', 'healthy→warning (liveness)']);
    failing = false;
    await until(() => pm.get('h')?.health === 'healthy', 5000, 'liveness to recover');
  });
});

describe('jobs and the attachments of supervised processes', () => {
  it('pm.run with ipc readiness becomes ready and succeeds, like pm.start', async () => {
    const pm = track(new ProcessManager());
    const ready = nextEvent(pm, 'ready', (e) => e.name === 'job');
    const result = await pm.run({
      name: 'job',
      command: NODE,
      args: [fixture('ipc-done.mjs')],
      ipc: true,
      readiness: { type: 'ipc' },
      startTimeout: 10_000,
    });
    expect(await ready).toMatchObject({ data: 'done' });
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
  });
});

describe('rest-for-one when the cause of a pending group restart is stopped by hand', () => {
  it('cancels the group restart: the children after it stay down (OTP hanging_restart_loop_rest_for_one)', async () => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock, backoff: { type: 'fixed', delay: 5000 } }));
    const seen = record(pm, ['spawn', 'restart', 'stop']);
    await pm.start({ name: 'tree', strategy: 'rest-for-one', children: [puppet('a'), puppet('b'), puppet('c')] });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => pm.get(n)?.pid as number) as [number, number, number];
    const restarting = nextEvent(pm, 'restart');
    process.kill(a, 'SIGUSR1');
    await restarting;
    await until(() => !alive(b) && !alive(c), 5000, 'b and c stopped by the strategy');
    expect([pm.get('a')?.state, pm.get('b')?.state, pm.get('c')?.state]).toEqual(['backoff', 'backoff', 'backoff']);
    await pm.stop('a');
    expect([pm.get('a')?.state, pm.get('b')?.state, pm.get('c')?.state]).toEqual(['stopped', 'stopped', 'stopped']);
    await clock.advance(10_000);
    expect(clock.pending).toBe(0);
    expect(payloads(seen, 'spawn')).toHaveLength(3);
    // Started again by hand, the earlier child first, they run.
    await pm.start('a');
    await pm.start('b');
    expect(pm.get('b')?.state).toBe('running');
    expect(pm.get('c')?.state).toBe('stopped');
  });

  it('a bystander stopped by hand is only left out: the rest of the group still restarts', async () => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock, backoff: { type: 'fixed', delay: 5000 } }));
    await pm.start({ name: 'tree', strategy: 'rest-for-one', children: [puppet('a'), puppet('b'), puppet('c')] });
    const restarting = nextEvent(pm, 'restart');
    process.kill(pm.get('a')?.pid as number, 'SIGUSR1');
    await restarting;
    await pm.stop('c');
    const cameBack = pm.waitFor('b', 'running', { timeout: 10_000 });
    await clock.advance(5000);
    await cameBack;
    expect([pm.get('a')?.state, pm.get('b')?.state, pm.get('c')?.state]).toEqual(['running', 'running', 'stopped']);
  });
});

describe('a temporary child that ends by itself', () => {
  it('leaves its evidence with the handle: exited, its last exit and its output', async () => {
    const pm = track(new ProcessManager());
    const handle = await pm.start(nodeSpec('fixture', 'emit-lines.mjs', ['o:ready', 'e:database is gone', 'exit:3'], { restart: 'temporary', readiness: READY_LINE }));
    await nextEvent(pm, 'exit');
    await until(() => pm.get('fixture') === undefined, 5000, 'removal');
    expect(handle.state).toBe('exited');
    expect(handle.lastExit).toMatchObject({ exitCode: 3, class: 'abnormal', reason: 'exit' });
    expect(handle.logs().map((l) => l.line)).toEqual(['ready', 'database is gone']);
    // Its name is free again.
    await pm.start(nodeSpec('fixture', 'idle.mjs', [], { readiness: READY_LINE }));
    expect(pm.get('fixture')?.state).toBe('running');
    expect(handle.state).toBe('exited');
  });
});

describe('shutdown options', () => {
  it.each([['bogus'], [-1], ['abc'], [Number.NaN], [1e10]])('rejects timeout %s with an InvalidArgumentError', async (timeout) => {
    const pm = new ProcessManager();
    await expect(pm.shutdown({ timeout: timeout as Duration })).rejects.toBeInstanceOf(InvalidArgumentError);
    await pm.shutdown();
  });

  it('rejects options that are not an object', async () => {
    const pm = new ProcessManager();
    await expect(pm.shutdown(5 as unknown as { timeout: number })).rejects.toThrow(/expected the options to be an options object/);
    await pm.shutdown();
  });
});
