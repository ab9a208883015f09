import { describe, expect, it } from 'vitest';
import { createHeartbeatMonitor, type HeartbeatMissed } from '../../src/health/heartbeat.js';
import { zForPhi } from '../../src/health/phi.js';
import type { ResolvedHeartbeat } from '../../src/spec/resolved.js';
import type { Clock } from '../../src/api/types.js';
import { systemClock } from '../../src/util/clock.js';
import { FakeClock } from '../clock.js';
import { until } from '../helpers.js';

function watch(spec: ResolvedHeartbeat) {
  const clock = new FakeClock();
  const missed: (HeartbeatMissed & { at: number })[] = [];
  const monitor = createHeartbeatMonitor(spec, { clock, onMissed: (m) => missed.push({ ...m, at: clock.now() }) });
  /** Beats every `every` ms, `count` times. */
  const beatEvery = async (every: number, count: number, jitter: (i: number) => number = () => 0): Promise<void> => {
    for (let i = 0; i < count; i++) {
      await clock.advance(every + jitter(i));
      monitor.beat();
    }
  };
  return { clock, missed, monitor, beatEvery };
}

const timeoutSpec: ResolvedHeartbeat = { timeout: 1000, detector: 'timeout', threshold: 8 };
const phiSpec: ResolvedHeartbeat = { timeout: 5000, detector: 'phi', threshold: 8 };

describe('timeout detector', () => {
  it('is armed at start and fires once when no beat comes', async () => {
    const { clock, missed } = watch(timeoutSpec);
    await clock.advance(999);
    expect(missed).toEqual([]);
    await clock.advance(1);
    expect(missed).toEqual([{ silence: 1000, at: 1000 }]);
    await clock.advance(10_000);
    expect(missed).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('stays quiet while beats come in time, then fires one timeout after the last beat', async () => {
    const { clock, missed, beatEvery } = watch(timeoutSpec);
    await beatEvery(900, 20);
    expect(missed).toEqual([]);
    const last = clock.now();
    await clock.advance(2000);
    expect(missed).toEqual([{ silence: 1000, at: last + 1000 }]);
  });

  it('does nothing after stop(), and ignores beats after it fired', async () => {
    const stopped = watch(timeoutSpec);
    stopped.monitor.stop();
    await stopped.clock.advance(5000);
    expect(stopped.missed).toEqual([]);
    expect(stopped.clock.pending).toBe(0);

    const fired = watch(timeoutSpec);
    await fired.clock.advance(1000);
    fired.monitor.beat();
    await fired.clock.advance(5000);
    expect(fired.missed).toHaveLength(1);
    expect(fired.monitor.phi()).toBeUndefined();
  });

  it('works on the real clock with an unref’d timer', async () => {
    const spec: ResolvedHeartbeat = { timeout: 80, detector: 'timeout', threshold: 8 };
    const missed: HeartbeatMissed[] = [];
    const monitor = createHeartbeatMonitor(spec, { onMissed: (m) => missed.push(m) });
    // The same real clock, passed explicitly and watched, to see the timer it is given.
    const timers: NodeJS.Timeout[] = [];
    const watched: Clock = {
      now: systemClock.now,
      setTimeout: (fn, ms) => {
        const timer = systemClock.setTimeout(fn, ms) as NodeJS.Timeout;
        timers.push(timer);
        return timer;
      },
      clearTimeout: systemClock.clearTimeout,
    };
    const other = createHeartbeatMonitor(spec, { clock: watched, onMissed: () => {} });
    try {
      expect(timers).toHaveLength(1);
      expect(timers[0]?.hasRef()).toBe(false);
      await until(() => missed.length > 0, 3000, 'the watchdog');
      expect(missed[0]?.silence).toBeGreaterThanOrEqual(79);
    } finally {
      monitor.stop();
      other.stop();
    }
  });
});

describe('phi detector', () => {
  it('falls back to the timeout before it has enough samples', async () => {
    const { clock, missed, beatEvery } = watch(phiSpec);
    await beatEvery(100, 3); // two intervals only
    const last = clock.now();
    await clock.advance(10_000);
    expect(missed).toEqual([{ silence: 5000, at: last + 5000 }]);
  });

  it('learns a fast rhythm and declares the child dead long before the timeout', async () => {
    const { clock, missed, monitor, beatEvery } = watch(phiSpec);
    await beatEvery(100, 30);
    const last = clock.now();
    expect(monitor.phi()).toBeLessThan(0.01); // right after a beat
    await clock.advance(100);
    expect(monitor.phi()).toBeCloseTo(-Math.log10(0.5), 3); // one mean interval: a coin toss
    await clock.advance(10_000);
    expect(missed).toHaveLength(1);
    const expected = 100 + zForPhi(8) * 25; // mean + z * (sd floored at mean / 4)
    expect(missed[0]?.at).toBe(last + Math.ceil(expected));
    expect(missed[0]?.phi).toBeGreaterThanOrEqual(8);
    expect(missed[0]?.silence).toBeLessThan(300);
  });

  it('tolerates a jittery rhythm it has learnt', async () => {
    const { missed, beatEvery } = watch(phiSpec);
    // Intervals between 50 and 350 ms.
    await beatEvery(200, 200, (i) => [-150, 150, -100, 100, 0][i % 5] as number);
    expect(missed).toEqual([]);
  });

  it('adapts when the rhythm slows down', async () => {
    const { clock, missed, beatEvery } = watch(phiSpec);
    await beatEvery(100, 20);
    // The child slows to 400 ms: the first slow interval is already past the fast rhythm's deadline.
    await clock.advance(400);
    expect(missed).toHaveLength(1);

    // A gradual slow-down (10 % per beat) is learnt as it happens.
    const slow = watch(phiSpec);
    await slow.beatEvery(100, 20);
    for (let every = 110; every < 400; every = Math.round(every * 1.1)) await slow.beatEvery(every, 1);
    await slow.beatEvery(400, 150);
    expect(slow.missed).toEqual([]);
    const last = slow.clock.now();
    await slow.clock.advance(10_000);
    expect(slow.missed[0]?.at).toBeGreaterThan(last + 400);
  });

  it('never tolerates more silence than the timeout', async () => {
    const { clock, missed, beatEvery } = watch({ timeout: 1500, detector: 'phi', threshold: 8 });
    await beatEvery(1000, 10);
    const last = clock.now();
    await clock.advance(10_000);
    expect(missed[0]).toMatchObject({ silence: 1500, at: last + 1500 });
    expect(missed[0]?.phi).toBeLessThan(8);
  });
});
