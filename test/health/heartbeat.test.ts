import { describe, expect, it } from 'vitest';
import { createHeartbeatMonitor, type HeartbeatMissed } from '../../src/health/heartbeat.js';
import { zForPhi } from '../../src/health/phi.js';
import type { ResolvedHeartbeat } from '../../src/spec/resolved.js';
import type { Clock } from '../../src/api/types.js';
import { until } from '../helpers.js';

/** A manual clock: time moves only through `advance`, firing due timers in order. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
        if (next === undefined) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

function watch(spec: ResolvedHeartbeat) {
  const clock = manualClock();
  const missed: (HeartbeatMissed & { at: number })[] = [];
  const monitor = createHeartbeatMonitor(spec, { clock, onMissed: (m) => missed.push({ ...m, at: clock.now() }) });
  /** Beats every `every` ms, `count` times. */
  const beatEvery = (every: number, count: number, jitter: (i: number) => number = () => 0): void => {
    for (let i = 0; i < count; i++) {
      clock.advance(every + jitter(i));
      monitor.beat();
    }
  };
  return { clock, missed, monitor, beatEvery };
}

const timeoutSpec: ResolvedHeartbeat = { timeout: 1000, detector: 'timeout', threshold: 8 };
const phiSpec: ResolvedHeartbeat = { timeout: 5000, detector: 'phi', threshold: 8 };

describe('timeout detector', () => {
  it('is armed at start and fires once when no beat comes', () => {
    const { clock, missed } = watch(timeoutSpec);
    clock.advance(999);
    expect(missed).toEqual([]);
    clock.advance(1);
    expect(missed).toEqual([{ silence: 1000, at: 1000 }]);
    clock.advance(10_000);
    expect(missed).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('stays quiet while beats come in time, then fires one timeout after the last beat', () => {
    const { clock, missed, beatEvery } = watch(timeoutSpec);
    beatEvery(900, 20);
    expect(missed).toEqual([]);
    const last = clock.now();
    clock.advance(2000);
    expect(missed).toEqual([{ silence: 1000, at: last + 1000 }]);
  });

  it('does nothing after stop(), and ignores beats after it fired', () => {
    const stopped = watch(timeoutSpec);
    stopped.monitor.stop();
    stopped.clock.advance(5000);
    expect(stopped.missed).toEqual([]);
    expect(stopped.clock.pending()).toBe(0);

    const fired = watch(timeoutSpec);
    fired.clock.advance(1000);
    fired.monitor.beat();
    fired.clock.advance(5000);
    expect(fired.missed).toHaveLength(1);
    expect(fired.monitor.phi()).toBeUndefined();
  });

  it('works on the real clock with an unref’d timer', async () => {
    const missed: HeartbeatMissed[] = [];
    const monitor = createHeartbeatMonitor({ timeout: 80, detector: 'timeout', threshold: 8 }, { onMissed: (m) => missed.push(m) });
    try {
      await until(() => missed.length > 0, 3000, 'the watchdog');
      expect(missed[0]?.silence).toBeGreaterThanOrEqual(79);
    } finally {
      monitor.stop();
    }
  });
});

describe('phi detector', () => {
  it('falls back to the timeout before it has enough samples', () => {
    const { clock, missed, beatEvery } = watch(phiSpec);
    beatEvery(100, 3); // two intervals only
    const last = clock.now();
    clock.advance(10_000);
    expect(missed).toEqual([{ silence: 5000, at: last + 5000 }]);
  });

  it('learns a fast rhythm and declares the child dead long before the timeout', () => {
    const { clock, missed, monitor, beatEvery } = watch(phiSpec);
    beatEvery(100, 30);
    const last = clock.now();
    expect(monitor.phi()).toBeLessThan(0.01); // right after a beat
    clock.advance(100);
    expect(monitor.phi()).toBeCloseTo(-Math.log10(0.5), 3); // one mean interval: a coin toss
    clock.advance(10_000);
    expect(missed).toHaveLength(1);
    const expected = 100 + zForPhi(8) * 25; // mean + z * (sd floored at mean / 4)
    expect(missed[0]?.at).toBe(last + Math.ceil(expected));
    expect(missed[0]?.phi).toBeGreaterThanOrEqual(8);
    expect(missed[0]?.silence).toBeLessThan(300);
  });

  it('tolerates a jittery rhythm it has learnt', () => {
    const { missed, beatEvery } = watch(phiSpec);
    // Intervals between 50 and 350 ms.
    beatEvery(200, 200, (i) => [-150, 150, -100, 100, 0][i % 5] as number);
    expect(missed).toEqual([]);
  });

  it('adapts when the rhythm slows down', () => {
    const { clock, missed, beatEvery } = watch(phiSpec);
    beatEvery(100, 20);
    // The child slows to 400 ms: the first slow interval is already past the fast rhythm's deadline.
    clock.advance(400);
    expect(missed).toHaveLength(1);

    // A gradual slow-down (10 % per beat) is learnt as it happens.
    const slow = watch(phiSpec);
    slow.beatEvery(100, 20);
    for (let every = 110; every < 400; every = Math.round(every * 1.1)) slow.beatEvery(every, 1);
    slow.beatEvery(400, 150);
    expect(slow.missed).toEqual([]);
    const last = slow.clock.now();
    slow.clock.advance(10_000);
    expect(slow.missed[0]?.at).toBeGreaterThan(last + 400);
  });

  it('never tolerates more silence than the timeout', () => {
    const { clock, missed, beatEvery } = watch({ timeout: 1500, detector: 'phi', threshold: 8 });
    beatEvery(1000, 10);
    const last = clock.now();
    clock.advance(10_000);
    expect(missed[0]).toMatchObject({ silence: 1500, at: last + 1500 });
    expect(missed[0]?.phi).toBeLessThan(8);
  });
});
