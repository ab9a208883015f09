/**
 * The manager's `restartBudget` with real processes on the fake clock: restarts beyond it wait,
 * across entries, first come first served, each told by a `restart-delayed` event; none waits for
 * ever; a stop withdraws a waiting restart; intensity still gives up at once.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { until } from '../helpers.js';
import { manager, poke, puppet, reach, runningAgain, states } from './helpers.js';
import { of, recordPolicy, steps } from './policy-helpers.js';

const now = { type: 'fixed' as const, delay: 0 };

describe('restartBudget', () => {
  it('delays restarts across entries once spent, grants them in request order, and starves none', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock, backoff: now, restartBudget: { max: 2, period: '10s' } });
    const seen = recordPolicy(pm);
    for (const name of ['a', 'b', 'c', 'd']) await pm.start(puppet(name));
    const t0 = clock.now();
    await runningAgain(pm, { a: poke(pm, 'a') });
    await clock.advance(1000);
    await runningAgain(pm, { b: poke(pm, 'b') });
    // The budget is spent (a at t0, b at t0 + 1 s): d asks first, then c.
    const d = poke(pm, 'd');
    await until(() => of(seen, 'restart-delayed').length === 1, 10_000, 'd delayed');
    const c = poke(pm, 'c');
    await until(() => of(seen, 'restart-delayed').length === 2, 10_000, 'c delayed');
    expect(of(seen, 'restart-delayed').map((e) => [e.name, e.delay, e.position, e.reason])).toEqual([
      ['d', 9001, 1, 'budget'],
      ['c', 10_001, 2, 'budget'],
    ]);
    // Their own restarts were decided at once (backoff 0); only the start waits.
    expect(of(seen, 'restart').map((e) => e.name)).toEqual(['a', 'b', 'd', 'c']);
    expect(states(pm, ['c', 'd'])).toEqual({ c: 'backoff', d: 'backoff' });
    const mark = seen.length;
    expect(clock.nextDue).toBe(t0 + 10_001);
    await clock.advance(9000);
    expect(steps(seen.slice(mark), ['spawn'])).toEqual([]);

    await clock.advance(1);
    await runningAgain(pm, { d });
    expect(pm.get('c')?.state).toBe('backoff');
    await clock.advance(1000);
    await runningAgain(pm, { c });
    expect(steps(seen.slice(mark), ['spawn'])).toEqual(['spawn:d', 'spawn:c']);
    expect(clock.pending).toBe(0);
  });

  it('lets a stop withdraw a waiting restart, so the next one moves up', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock, backoff: now, restartBudget: { max: 1, period: 10_000 } });
    const seen = recordPolicy(pm);
    for (const name of ['a', 'b', 'c']) await pm.start(puppet(name));
    const t0 = clock.now();
    await runningAgain(pm, { a: poke(pm, 'a') });
    poke(pm, 'b');
    await until(() => of(seen, 'restart-delayed').length === 1, 10_000, 'b delayed');
    const c = poke(pm, 'c');
    await until(() => of(seen, 'restart-delayed').length === 2, 10_000, 'c delayed');
    expect(of(seen, 'restart-delayed').map((e) => [e.name, e.delay, e.position])).toEqual([
      ['b', 10_001, 1],
      ['c', 20_002, 2],
    ]);
    await pm.stop('b');
    expect(pm.get('b')?.state).toBe('stopped');
    expect(clock.nextDue).toBe(t0 + 10_001);
    await clock.advance(10_001);
    await runningAgain(pm, { c });
    expect(pm.get('b')?.state).toBe('stopped');
    expect(of(seen, 'spawn', 'b')).toHaveLength(1);
  });

  it('only delays: an entry over its own intensity still gives up at once', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock, backoff: now, restartBudget: { max: 1, period: 10_000 } });
    const seen = recordPolicy(pm);
    await pm.start(puppet('a'));
    await pm.start(puppet('b', [], { intensity: { maxRestarts: 1, period: 60_000 } }));
    await runningAgain(pm, { a: poke(pm, 'a') });
    const b = poke(pm, 'b');
    await until(() => of(seen, 'restart-delayed').length === 1, 10_000, 'b delayed');
    await clock.advance(10_001);
    await runningAgain(pm, { b });
    // The budget is spent again (b's own grant), but b's second restart exceeds its intensity.
    poke(pm, 'b');
    await reach(pm, 'b', 'failed');
    expect(of(seen, 'exit', 'b').map((e) => e.willRestart)).toEqual([true, false]);
    expect(of(seen, 'give-up', 'b')).toHaveLength(1);
    expect(of(seen, 'restart-delayed')).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('is validated up front, naming the field', () => {
    expect(() => manager({ restartBudget: { max: 0, period: '10s' } })).toThrow(/`restartBudget\.max`/);
    expect(() => manager({ restartBudget: { max: 3 } as never })).toThrow(/`restartBudget\.period`/);
    expect(() => manager({ restartBudget: { max: 3, period: '10s', burst: 1 } as never })).toThrow(/unknown option `restartBudget\.burst`/);
    expect(() => manager({ restartBudget: false })).not.toThrow();
  });
});
