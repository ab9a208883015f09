/**
 * `minUptime` with real processes on the fake clock: the `unstable` flag of `exit`, the backoff
 * reset an unstable start does not earn, and intensity counting unstable restarts like any other.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { manager, poke, puppet, reach, runningAgain } from './helpers.js';
import { of, recordPolicy } from './policy-helpers.js';

const backoff = { type: 'fixed' as const, delay: 0, resetAfter: 100 };
const roomy = { maxRestarts: 10, period: 60_000 };

describe('minUptime', () => {
  it('flags unstable starts and gives them no backoff reset; a stable run resets as before', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const seen = recordPolicy(pm);
    await pm.start(puppet('a', [], { backoff, intensity: roomy, minUptime: '1s' }));
    await runningAgain(pm, { a: poke(pm, 'a') });
    // Past `resetAfter` (100 ms) but short of `minUptime`: still unstable, so no reset.
    await clock.advance(500);
    await runningAgain(pm, { a: poke(pm, 'a') });
    // Exactly `minUptime`: a stable run, which resets the attempt.
    await clock.advance(1000);
    await runningAgain(pm, { a: poke(pm, 'a') });
    const exits = of(seen, 'exit', 'a');
    expect(exits.map((e) => e.unstable)).toEqual([true, true, undefined]);
    expect('unstable' in (exits[2] ?? {})).toBe(false);
    expect(exits.map((e) => e.willRestart)).toEqual([true, true, true]);
    expect(of(seen, 'restart', 'a').map((e) => e.attempt)).toEqual([1, 2, 1]);
  });

  it('changes nothing when off: no flag, and `resetAfter` alone resets the attempt', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const seen = recordPolicy(pm);
    await pm.start(puppet('a', [], { backoff, intensity: roomy }));
    await runningAgain(pm, { a: poke(pm, 'a') });
    await clock.advance(500);
    await runningAgain(pm, { a: poke(pm, 'a') });
    expect(of(seen, 'exit', 'a').every((e) => !('unstable' in e))).toBe(true);
    expect(of(seen, 'restart', 'a').map((e) => e.attempt)).toEqual([1, 1]);
  });

  it('counts unstable restarts toward intensity like any restart, and flags an end that is not restarted', async () => {
    const clock = new FakeClock(Date.now());
    // The manager's `minUptime` is the default of every process.
    const pm = manager({ clock, minUptime: 1000 });
    const seen = recordPolicy(pm);
    await pm.start(puppet('t', [], { backoff, restart: 'transient', intensity: { maxRestarts: 1, period: 60_000 } }));
    await runningAgain(pm, { t: poke(pm, 't') });
    // A normal end of a transient child: flagged, not restarted, not counted.
    poke(pm, 't', 'SIGUSR2');
    await reach(pm, 't', 'exited');
    await pm.start('t');
    await runningAgain(pm, { t: poke(pm, 't') });
    poke(pm, 't');
    await reach(pm, 't', 'failed');
    const exits = of(seen, 'exit', 't');
    expect(exits.map((e) => [e.class, e.willRestart, e.unstable])).toEqual([
      ['abnormal', true, true],
      ['normal', false, true],
      ['abnormal', true, true],
      ['abnormal', false, true],
    ]);
    expect(of(seen, 'restart', 't')).toHaveLength(2);
    expect(of(seen, 'give-up', 't')).toEqual([expect.objectContaining({ maxRestarts: 1, period: 60_000 })]);
  });

  it('is validated up front, naming the field', () => {
    const pm = manager();
    expect(() => pm.add(puppet('bad', [], { minUptime: '-1s' as never }))).toThrow(/`minUptime`/);
    expect(() => manager({ minUptime: 'soon' as never })).toThrow(/`minUptime`/);
  });
});
