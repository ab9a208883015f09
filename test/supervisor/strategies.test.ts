import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExitEvent, SupervisorRestartEvent } from '../../src/index.js';
import { alive, until } from '../helpers.js';
import { manager, pidOf, pids, poke, puppet, reach, record, runningAgain, trace, type Recorded } from './helpers.js';

function restarts(events: readonly Recorded[]): Pick<SupervisorRestartEvent, 'strategy' | 'child' | 'children'>[] {
  return events
    .filter((e) => e.event === 'supervisor:restart')
    .map((e) => {
      const { strategy, child, children } = e.payload as SupervisorRestartEvent;
      return { strategy, child, children };
    });
}

/** Events recorded after the first one matching `from`. */
function after(events: readonly Recorded[], from: (e: Recorded) => boolean): Recorded[] {
  const index = events.findIndex(from);
  return index < 0 ? [] : events.slice(index + 1);
}

const crashOf = (name: string) => (e: Recorded) => e.event === 'exit' && e.name === name;

describe('one-for-one', () => {
  it('restarts only the child that ended', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-one', children: [puppet('a'), puppet('b'), puppet('c')] });
    const before = pids(pm, ['a', 'b', 'c']);
    poke(pm, 'b');
    await runningAgain(pm, { b: before.b as number });
    expect(pids(pm, ['a', 'c'])).toEqual({ a: before.a, c: before.c });
    expect(restarts(events)).toEqual([{ strategy: 'one-for-one', child: 'b', children: ['b'] }]);
    const exit = events.find(crashOf('b'))?.payload as ExitEvent;
    expect([exit.exitCode, exit.class, exit.willRestart]).toEqual([1, 'abnormal', true]);
    expect(pm.get('b')?.restarts).toBe(1);
  });
});

describe('one-for-all', () => {
  it('stops the others in reverse order, then starts everyone in start order', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-all', children: [puppet('a'), puppet('b'), puppet('c')] });
    const before = pids(pm, ['a', 'b', 'c']);
    poke(pm, 'b');
    await runningAgain(pm, before);
    expect(trace(after(events, crashOf('b')), ['stop', 'spawn'])).toEqual(['stop:c', 'stop:a', 'spawn:a', 'spawn:b', 'spawn:c']);
    expect(restarts(events)).toEqual([{ strategy: 'one-for-all', child: 'b', children: ['a', 'b', 'c'] }]);
    expect(Object.values(before).some(alive)).toBe(false);
  });

  it('counts a group restart once toward intensity', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      intensity: { maxRestarts: 1, period: 60_000 },
      children: [puppet('a'), puppet('b'), puppet('c')],
    });
    const before = pids(pm, ['a', 'b', 'c']);
    poke(pm, 'a');
    await runningAgain(pm, before);
    expect(pm.get('tree')?.state).toBe('running');
    poke(pm, 'c');
    await reach(pm, 'tree', 'failed');
    expect(trace(events, ['supervisor:restart', 'supervisor:give-up'])).toEqual(['supervisor:restart:tree', 'supervisor:give-up:tree']);
  });

  it('removes temporary bystanders instead of restarting them', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      children: [puppet('a'), puppet('t', [], { restart: 'temporary' }), puppet('c')],
    });
    const before = pids(pm, ['a', 't', 'c']);
    poke(pm, 'a');
    await runningAgain(pm, { a: before.a as number, c: before.c as number });
    expect(pm.get('t')).toBeUndefined();
    expect(pm.list().map((s) => s.name)).toEqual(['tree', 'a', 'c']);
    expect(alive(before.t as number)).toBe(false);
    expect(restarts(events)).toEqual([{ strategy: 'one-for-all', child: 'a', children: ['a', 'c'] }]);
  });

  it('leaves children stopped by hand and transient children that ended normally stopped', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      children: [puppet('a'), puppet('manual'), puppet('done', [], { restart: 'transient' }), puppet('d')],
    });
    await pm.stop('manual');
    poke(pm, 'done', 'SIGUSR2');
    await reach(pm, 'done', 'exited');
    const ended = events.find(crashOf('done'))?.payload as ExitEvent;
    expect([ended.class, ended.willRestart]).toEqual(['normal', false]);
    const before = pids(pm, ['a', 'd']);
    poke(pm, 'd');
    await runningAgain(pm, before);
    expect(restarts(events)).toEqual([{ strategy: 'one-for-all', child: 'd', children: ['a', 'd'] }]);
    expect(pm.get('manual')?.state).toBe('stopped');
    expect(pm.get('done')?.state).toBe('exited');
    expect(trace(events, ['spawn']).filter((s) => s === 'spawn:manual' || s === 'spawn:done')).toEqual(['spawn:manual', 'spawn:done']);
  });

  it('applies the strategy again from a child that fails to start during a group restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procvisor-sup-'));
    const failing = join(dir, 'fail');
    const pm = manager({ backoff: { type: 'fixed', delay: 50 } });
    const events = record(pm);
    // The first restart attempt of b fails; the switch is removed when it does.
    pm.on('start-failed', () => rmSync(failing, { force: true }));
    await pm.start({ name: 'tree', strategy: 'one-for-all', children: [puppet('a'), puppet('b', [`fail-if=${failing}`]), puppet('c')] });
    const before = pids(pm, ['a', 'b', 'c']);
    writeFileSync(failing, '');
    poke(pm, 'a');
    await until(() => events.some((e) => e.event === 'start-failed'), 10_000, 'failed start of b');
    await runningAgain(pm, before);
    expect(restarts(events)).toEqual([
      { strategy: 'one-for-all', child: 'a', children: ['a', 'b', 'c'] },
      { strategy: 'one-for-all', child: 'b', children: ['a', 'b', 'c'] },
    ]);
    // The freshly started a is stopped again, c (never reached) is simply started.
    expect(trace(after(events, (e) => e.event === 'start-failed'), ['stop', 'spawn'])).toEqual(['stop:a', 'spawn:a', 'spawn:b', 'spawn:c']);
    expect(pm.get('tree')?.state).toBe('running');
  });
});

describe('rest-for-one', () => {
  it('restarts the failed child and those after it; earlier children keep their PIDs', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'rest-for-one', children: [puppet('a'), puppet('b'), puppet('c'), puppet('d')] });
    const before = pids(pm, ['a', 'b', 'c', 'd']);
    poke(pm, 'b');
    await runningAgain(pm, { b: before.b as number, c: before.c as number, d: before.d as number });
    expect(pidOf(pm, 'a')).toBe(before.a);
    expect(trace(after(events, crashOf('b')), ['stop', 'spawn'])).toEqual(['stop:d', 'stop:c', 'spawn:b', 'spawn:c', 'spawn:d']);
    expect(restarts(events)).toEqual([{ strategy: 'rest-for-one', child: 'b', children: ['b', 'c', 'd'] }]);
  });

  it('leaves earlier children alone when a later one fails to start during the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procvisor-sup-'));
    const failing = join(dir, 'fail');
    const pm = manager({ backoff: { type: 'fixed', delay: 50 } });
    const events = record(pm);
    pm.on('start-failed', () => rmSync(failing, { force: true }));
    await pm.start({
      name: 'tree',
      strategy: 'rest-for-one',
      children: [puppet('a'), puppet('b'), puppet('c', [`fail-if=${failing}`]), puppet('d')],
    });
    const before = pids(pm, ['a', 'b', 'c', 'd']);
    writeFileSync(failing, '');
    poke(pm, 'b');
    await until(() => events.some((e) => e.event === 'start-failed'), 10_000, 'failed start of c');
    await runningAgain(pm, { b: before.b as number, c: before.c as number, d: before.d as number });
    expect(restarts(events)).toEqual([
      { strategy: 'rest-for-one', child: 'b', children: ['b', 'c', 'd'] },
      { strategy: 'rest-for-one', child: 'c', children: ['c', 'd'] },
    ]);
    const spawnsOfB = events.filter((e) => e.event === 'spawn' && e.name === 'b');
    expect(spawnsOfB).toHaveLength(2);
    expect(pidOf(pm, 'b')).toBe(spawnsOfB[1]?.payload.pid);
    expect(pidOf(pm, 'a')).toBe(before.a);
    expect(trace(after(events, (e) => e.event === 'start-failed'), ['stop', 'spawn'])).toEqual(['spawn:c', 'spawn:d']);
  });
});

describe('exits during a group restart', () => {
  it('handles an exit that arrives while the group restarts after it, once', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-all', children: [puppet('a'), puppet('b', ['ready=400']), puppet('c')] });
    const first = pids(pm, ['a', 'b', 'c']);
    let second: number | undefined;
    // While b's second incarnation is starting, the fresh a crashes.
    pm.on('spawn', (e) => {
      if (e.name === 'b' && e.restarts === 1) second = poke(pm, 'a');
    });
    poke(pm, 'a');
    await until(() => second !== undefined, 10_000, 'second crash');
    await until(() => restarts(events).length === 2, 10_000, 'second group restart');
    await runningAgain(pm, { a: second as number, b: first.b as number, c: first.c as number });
    // The second crash is handled only after the first group restart completed (c started).
    const order = trace(events, ['supervisor:restart', 'ready']).filter((s) => s !== 'ready:tree');
    expect(order.slice(3)).toEqual([
      'supervisor:restart:tree', 'ready:a', 'ready:b', 'ready:c', 'supervisor:restart:tree', 'ready:a', 'ready:b', 'ready:c',
    ]);
    const exitsOfA = events.filter((e) => e.event === 'exit' && e.name === 'a').map((e) => e.payload.pid);
    expect(exitsOfA).toEqual([first.a, second]);
    expect(pm.get('a')?.restarts).toBe(2);
  });

  it('never doubles a restart when several children crash at once', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-all', children: [puppet('a'), puppet('b'), puppet('c')] });
    const before = pids(pm, ['a', 'b', 'c']);
    process.kill(before.a as number, 'SIGKILL');
    process.kill(before.c as number, 'SIGKILL');
    await runningAgain(pm, before);
    // Give a doubled restart the chance to show, then check the registry is settled.
    await until(() => pm.list().every((s) => s.state === 'running'), 5000, 'all running');
    const spawned = events.filter((e) => e.event === 'spawn').map((e) => e.payload.pid as number);
    expect(spawned.filter(alive).sort()).toEqual(Object.values(pids(pm, ['a', 'b', 'c'])).sort());
    // Each crash is at most one exit event (a crash that a group restart already covers is not
    // reported again), and every reported exit is exactly one group restart.
    const exits = events.filter((e) => e.event === 'exit').map((e) => e.name);
    expect(exits.length).toBeGreaterThanOrEqual(1);
    expect(exits.filter((n) => n === 'a').length).toBeLessThanOrEqual(1);
    expect(exits.filter((n) => n === 'c').length).toBeLessThanOrEqual(1);
    expect(restarts(events).length).toBe(exits.length);
    expect(pm.get('tree')?.state).toBe('running');
  });
});

describe('stops by hand during a group restart', () => {
  it('a child stopped while it restarts stays stopped and the rest of the group still starts', async () => {
    const pm = manager();
    await pm.start({ name: 'tree', strategy: 'one-for-all', children: [puppet('a'), puppet('b', ['ready=600']), puppet('c')] });
    const before = pids(pm, ['a', 'c']);
    let stopping: Promise<void> | undefined;
    pm.on('spawn', (e) => {
      if (e.name === 'b' && e.restarts === 1) stopping = pm.stop('b');
    });
    poke(pm, 'a');
    await runningAgain(pm, before);
    await stopping;
    expect(pm.get('b')?.state).toBe('stopped');
    expect(pm.get('tree')?.state).toBe('running');
  });
});
