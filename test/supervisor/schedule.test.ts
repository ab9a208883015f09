/**
 * `schedule.restart` with real processes on the fake clock: each occurrence is a timer on the
 * manager's clock (croner only computes the dates), a restart is graceful and never counted, and a
 * stop or removal cancels the schedule, proven by an empty timer queue and time passing.
 */
import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { alive } from '../helpers.js';
import { manager, pidOf, poke, puppet, reach, runningAgain } from './helpers.js';
import { of, recordPolicy, steps } from './policy-helpers.js';

const EVERY_5S = '*/5 * * * * *';

/** A start time 100 ms past a multiple of 10 s: the first occurrence of EVERY_5S is 4.9 s later. */
function aligned(): number {
  return Math.ceil(Date.now() / 10_000) * 10_000 + 100;
}

describe('schedule.restart', () => {
  it('restarts a running process on a seconds schedule, gracefully and uncounted, until it is stopped', async () => {
    const start = aligned();
    const clock = new FakeClock(start);
    const pm = manager({ clock });
    const seen = recordPolicy(pm);
    await pm.start(puppet('cron', [], { schedule: { restart: EVERY_5S } }));
    expect(clock.nextDue).toBe(start + 4900);
    const first = pidOf(pm, 'cron');
    await clock.advance(4899);
    expect(of(seen, 'schedule-due')).toEqual([]);
    await clock.advance(1);
    await runningAgain(pm, { cron: first });
    expect(alive(first)).toBe(false);
    // The next occurrence is armed, counted from this one.
    expect(clock.nextDue).toBe(start + 9900);
    const second = pidOf(pm, 'cron');
    await clock.advance(5000);
    await runningAgain(pm, { cron: second });

    expect(of(seen, 'schedule-due').map((e) => [e.schedule, e.time])).toEqual([
      [EVERY_5S, start + 4900],
      [EVERY_5S, start + 9900],
    ]);
    expect(of(seen, 'schedule-due')[0]?.pid).toBe(first);
    // Graceful (the stop ladder, then a start); not an exit, not a policy restart.
    expect(steps(seen, ['schedule-due', 'stop', 'spawn', 'exit', 'restart'])).toEqual([
      'spawn:cron', 'schedule-due:cron', 'stop:cron', 'spawn:cron', 'schedule-due:cron', 'stop:cron', 'spawn:cron',
    ]);
    expect(pm.get('cron')?.restarts).toBe(0);

    await pm.stop('cron');
    expect(clock.pending).toBe(0);
    await clock.advance(20_000);
    expect(of(seen, 'schedule-due')).toHaveLength(2);
    expect(pm.get('cron')?.state).toBe('stopped');
  });

  it('starts a process that ended by itself and was not restarted (a periodic job); removal cancels it', async () => {
    const start = aligned();
    const clock = new FakeClock(start);
    const pm = manager({ clock });
    const seen = recordPolicy(pm);
    await pm.start(puppet('job', [], { restart: 'never', schedule: { restart: EVERY_5S } }));
    poke(pm, 'job', 'SIGUSR2');
    await reach(pm, 'job', 'exited');
    await clock.advance(4900);
    await reach(pm, 'job', 'running');
    expect(steps(seen, ['schedule-due', 'stop', 'spawn', 'exit'])).toEqual(['spawn:job', 'exit:job', 'schedule-due:job', 'spawn:job']);

    await pm.remove('job');
    expect(clock.pending).toBe(0);
    await clock.advance(20_000);
    expect(of(seen, 'schedule-due')).toHaveLength(1);
  });

  it('rejects an invalid cron expression up front, naming `schedule.restart` and croner’s reason', () => {
    const pm = manager();
    const attempt = (restart: unknown) => () => pm.add(puppet('bad', [], { schedule: { restart } as never }));
    expect(attempt('61 * * * *')).toThrow(InvalidSpecError);
    expect(attempt('61 * * * *')).toThrow(/expected `schedule\.restart` to be a cron expression.*Invalid value for minute: 61/);
    expect(attempt('every day')).toThrow(/`schedule\.restart`.*space separated parts/);
    expect(attempt('0 0 30 2 *')).toThrow(/`schedule\.restart`.*matches no date/);
    try {
      attempt('* * *')();
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_SPEC', path: 'schedule.restart', value: '* * *' });
    }
    expect(() => pm.add(puppet('bad', [], { schedule: {} as never }))).toThrow(/`schedule\.restart`/);
    expect(pm.get('bad')).toBeUndefined();
  });

  it('is no option of a job', async () => {
    const pm = manager();
    await expect(pm.run({ name: 'j', command: 'true', schedule: { restart: EVERY_5S } } as never)).rejects.toThrow(/unknown option `schedule`/);
  });
});
