import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExitEvent, GiveUpEvent, SupervisorGiveUpEvent, SupervisorRestartEvent } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { alive, until } from '../helpers.js';
import { manager, pidOf, pids, poke, puppet, reach, record, runningAgain, trace, type Recorded } from './helpers.js';

/** Crashes `name` and waits until it runs again; returns the new PID. */
async function crashAndWait(pm: ReturnType<typeof manager>, name: string): Promise<number> {
  const old = poke(pm, name);
  await runningAgain(pm, { [name]: old });
  return pidOf(pm, name);
}

function payloads<T>(events: readonly Recorded[], event: Recorded['event'], name?: string): T[] {
  return events.filter((e) => e.event === event && (name === undefined || e.name === name)).map((e) => e.payload as T);
}

describe('restart intensity', () => {
  it('gives up when exceeded: stops the children in reverse, marks the tree failed, the rest runs on', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start(puppet('other'));
    await pm.start({
      name: 'tree',
      strategy: 'one-for-one',
      intensity: { maxRestarts: 2, period: 60_000 },
      children: [puppet('a'), puppet('b'), puppet('c')],
    });
    const other = pidOf(pm, 'other');
    const before = pids(pm, ['a', 'c']);
    await crashAndWait(pm, 'b');
    await crashAndWait(pm, 'b');
    poke(pm, 'b');
    await reach(pm, 'tree', 'failed');
    const giveup = payloads<SupervisorGiveUpEvent>(events, 'supervisor:give-up');
    expect(giveup).toHaveLength(1);
    expect(giveup[0]).toMatchObject({ name: 'tree', path: ['tree'], child: 'b', maxRestarts: 2, period: 60_000 });
    const sinceGiveup = events.slice(events.findIndex((e) => e.event === 'supervisor:give-up'));
    expect(trace(sinceGiveup, ['stop', 'spawn'])).toEqual(['stop:c', 'stop:a']);
    expect(Object.values(before).some(alive)).toBe(false);
    const treeExit = payloads<ExitEvent>(events, 'exit', 'tree');
    expect(treeExit).toEqual([expect.objectContaining({ class: 'shutdown', reason: 'give-up', willRestart: false })]);
    expect(pm.list().filter((s) => s.parent === 'tree').map((s) => s.state)).toEqual(['stopped', 'stopped', 'stopped']);
    // The rest of the manager is unaffected.
    expect(pidOf(pm, 'other')).toBe(other);
    expect(pm.get('other')?.state).toBe('running');

    // pm.restart revives it, with a fresh window.
    await pm.restart('tree');
    expect(pm.get('tree')?.state).toBe('running');
    expect(pm.list().filter((s) => s.parent === 'tree').map((s) => s.state)).toEqual(['running', 'running', 'running']);
    await crashAndWait(pm, 'b');
    expect(pm.get('tree')?.state).toBe('running');
  });

  it('never gives up while restarts are spaced beyond the period (sliding window)', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock, backoff: { type: 'fixed', delay: 0 } });
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-one',
      intensity: { maxRestarts: 1, period: 300 },
      children: [puppet('a')],
    });
    for (let i = 0; i < 4; i++) {
      // A gap just past the period: the previous restart leaves the window before the next crash.
      await clock.advance(301);
      await crashAndWait(pm, 'a');
    }
    expect(pm.get('tree')?.state).toBe('running');
    expect(pm.get('a')?.restarts).toBe(4);
    expect(payloads(events, 'supervisor:give-up')).toEqual([]);
  });

  it('counts every failed start attempt, so a child that cannot start brings its supervisor down', async () => {
    const failing = join(mkdtempSync(join(tmpdir(), 'procvisor-sup-')), 'fail');
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-one',
      intensity: { maxRestarts: 3, period: 60_000 },
      children: [puppet('a', [`fail-if=${failing}`])],
    });
    writeFileSync(failing, '');
    poke(pm, 'a');
    await reach(pm, 'tree', 'failed');
    // The crash is restart 1; failed starts are restarts 2 and 3; the third failed start exceeds.
    expect(trace(events, ['start-failed', 'supervisor:restart', 'supervisor:give-up'])).toEqual([
      'supervisor:restart:tree', 'start-failed:a', 'supervisor:restart:tree', 'start-failed:a', 'supervisor:restart:tree',
      'start-failed:a', 'supervisor:give-up:tree',
    ]);
  });

  it('marks a top-level process failed with a give-up event; the others run on', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start(puppet('steady'));
    await pm.start(puppet('flaky', [], { intensity: { maxRestarts: 1, period: 60_000 } }));
    const steady = pidOf(pm, 'steady');
    await crashAndWait(pm, 'flaky');
    poke(pm, 'flaky');
    await reach(pm, 'flaky', 'failed');
    expect(payloads<GiveUpEvent>(events, 'give-up')).toEqual([expect.objectContaining({ name: 'flaky', maxRestarts: 1, period: 60_000 })]);
    expect(payloads<ExitEvent>(events, 'exit', 'flaky').map((e) => e.willRestart)).toEqual([true, false]);
    expect(pidOf(pm, 'steady')).toBe(steady);
    await pm.restart('flaky');
    expect(pm.get('flaky')?.state).toBe('running');
  });
});

describe('escalation through nested supervisors', () => {
  const nested = (restart: 'permanent' | 'transient' | 'temporary') => ({
    name: 'outer',
    strategy: 'one-for-one' as const,
    children: [
      puppet('x'),
      {
        name: 'inner',
        strategy: 'one-for-one' as const,
        restart,
        intensity: { maxRestarts: 1, period: 60_000 },
        children: [puppet('p'), puppet('q')],
      },
    ],
  });

  it('restarts a permanent child supervisor from its static children', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start(nested('permanent'));
    await pm.start(puppet('dyn'), { parent: 'inner' });
    const before = pids(pm, ['x', 'p', 'q', 'dyn']);
    await crashAndWait(pm, 'p');
    poke(pm, 'p');
    await until(() => payloads(events, 'supervisor:give-up').length === 1, 10_000, 'inner gives up');
    await until(() => pm.get('inner')?.state === 'running' && pm.get('q')?.pid !== before.q && pm.get('q')?.state === 'running', 10_000, 'inner restarted');
    expect(payloads<SupervisorGiveUpEvent>(events, 'supervisor:give-up')[0]).toMatchObject({ name: 'inner', path: ['outer', 'inner'], child: 'p' });
    const outerRestart = payloads<SupervisorRestartEvent>(events, 'supervisor:restart', 'outer');
    expect(outerRestart).toEqual([expect.objectContaining({ strategy: 'one-for-one', child: 'inner', children: ['inner'] })]);
    expect(payloads<ExitEvent>(events, 'exit', 'inner')).toEqual([expect.objectContaining({ class: 'shutdown', reason: 'give-up', willRestart: true })]);
    // Runtime additions are gone; the static children run again; the sibling keeps its PID.
    expect(pm.get('dyn')).toBeUndefined();
    expect(alive(before.dyn as number)).toBe(false);
    expect(pm.list().filter((s) => s.parent === 'inner').map((s) => [s.name, s.state])).toEqual([
      ['p', 'running'],
      ['q', 'running'],
    ]);
    expect(pidOf(pm, 'x')).toBe(before.x);
    expect(pm.get('inner')?.restarts).toBe(1);
  });

  it('does not restart a transient child supervisor that gave up', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start(nested('transient'));
    const x = pidOf(pm, 'x');
    await crashAndWait(pm, 'p');
    poke(pm, 'p');
    await reach(pm, 'inner', 'failed');
    expect(payloads<ExitEvent>(events, 'exit', 'inner')).toEqual([expect.objectContaining({ class: 'shutdown', reason: 'give-up', willRestart: false })]);
    expect(payloads(events, 'supervisor:restart', 'outer')).toEqual([]);
    expect([pm.get('p')?.state, pm.get('q')?.state]).toEqual(['stopped', 'stopped']);
    expect(pm.get('outer')?.state).toBe('running');
    expect(pidOf(pm, 'x')).toBe(x);
  });

  it('removes a temporary child supervisor that gave up', async () => {
    const pm = manager();
    await pm.start(nested('temporary'));
    const q = pidOf(pm, 'q');
    await crashAndWait(pm, 'p');
    poke(pm, 'p');
    await until(() => pm.get('inner') === undefined, 10_000, 'inner removed');
    expect([pm.get('p'), pm.get('q')]).toEqual([undefined, undefined]);
    expect(alive(q)).toBe(false);
    expect(pm.list().map((s) => s.name)).toEqual(['outer', 'x']);
  });

  it('escalates further when the parent exceeds its own intensity', async () => {
    const pm = manager();
    const events = record(pm);
    const spec = nested('permanent');
    await pm.start({ ...spec, intensity: { maxRestarts: 0, period: 60_000 } });
    await crashAndWait(pm, 'p');
    poke(pm, 'p');
    await reach(pm, 'outer', 'failed');
    expect(trace(events, ['supervisor:give-up'])).toEqual(['supervisor:give-up:inner', 'supervisor:give-up:outer']);
    expect(payloads<SupervisorGiveUpEvent>(events, 'supervisor:give-up', 'outer')[0]?.child).toBe('inner');
    expect(pm.list().filter((s) => s.kind === 'process').map((s) => s.pid)).toEqual([undefined, undefined, undefined]);
  });
});
