/**
 * Backoff in trees, on the shared fake clock: what waits, what a stop cancels, and when the
 * attempt counter resets. A cancelled start is proven by time passing the due time with no timer
 * left and no spawn, not by sleeping.
 */
import { describe, expect, it } from 'vitest';
import type { RestartEvent } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { manager, pidOf, poke, puppet, reach, record, runningAgain } from './helpers.js';

const slow = { backoff: { type: 'fixed' as const, delay: 700 } };

/** Spawns of `name` recorded after index `from`. */
function spawnsAfter(events: ReturnType<typeof record>, from: number, name: string): number {
  return events.slice(from).filter((e) => e.event === 'spawn' && e.name === name).length;
}

describe('backoff', () => {
  it('shows `backoff` while waiting, and a stop of the child cancels the pending start at once', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-one', children: [puppet('a', [], slow), puppet('b')] });
    poke(pm, 'a');
    await reach(pm, 'a', 'backoff');
    expect(pm.list().find((s) => s.name === 'a')?.state).toBe('backoff');
    const mark = events.length;
    const started = Date.now();
    await pm.stop('a');
    expect(Date.now() - started).toBeLessThan(500);
    expect(pm.get('a')?.state).toBe('stopped');
    // Time past the backoff delay: the cancelled start must never happen.
    expect(clock.pending).toBe(0);
    await clock.advance(1000);
    expect(spawnsAfter(events, mark, 'a')).toBe(0);
    expect(pm.get('a')?.state).toBe('stopped');
    await pm.stop('a');
    expect(pm.get('a')?.state).toBe('stopped');
  });

  it('puts the whole group in `backoff`, and a stop of any ancestor cancels it', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const events = record(pm);
    await pm.start({
      name: 'outer',
      strategy: 'one-for-one',
      children: [{ name: 'inner', strategy: 'one-for-all', children: [puppet('a', [], slow), puppet('b')] }],
    });
    poke(pm, 'a');
    await reach(pm, 'a', 'backoff');
    expect(pm.get('b')?.state).toBe('backoff');
    const mark = events.length;
    await pm.stop('outer');
    expect([pm.get('a')?.state, pm.get('b')?.state, pm.get('inner')?.state]).toEqual(['stopped', 'stopped', 'stopped']);
    expect(clock.pending).toBe(0);
    await clock.advance(1000);
    expect(spawnsAfter(events, mark, 'a') + spawnsAfter(events, mark, 'b')).toBe(0);
  });

  it('cancels a pending start when the manager shuts down', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-one', children: [puppet('a', [], slow)] });
    poke(pm, 'a');
    await reach(pm, 'a', 'backoff');
    const mark = events.length;
    await pm.shutdown();
    expect(clock.pending).toBe(0);
    await clock.advance(1000);
    expect(spawnsAfter(events, mark, 'a')).toBe(0);
  });

  it('grows the attempt while restarts follow each other and resets it after `resetAfter` of uptime', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const events = record(pm);
    // No delay, so no timer: restarts follow at once, and only uptime moves the clock.
    const backoff = { type: 'fixed' as const, delay: 0, resetAfter: 300 };
    await pm.start({ name: 'tree', strategy: 'one-for-one', children: [puppet('a', [], { backoff })] });
    for (let i = 0; i < 2; i++) await runningAgain(pm, { a: poke(pm, 'a') });
    await clock.advance(299);
    await runningAgain(pm, { a: poke(pm, 'a') });
    // A stay of exactly `resetAfter`.
    await clock.advance(300);
    await runningAgain(pm, { a: poke(pm, 'a') });
    const attempts = events.filter((e) => e.event === 'restart').map((e) => (e.payload as RestartEvent).attempt);
    expect(attempts).toEqual([1, 2, 3, 1]);
    expect(pidOf(pm, 'a')).toBeGreaterThan(0);
  });
});
