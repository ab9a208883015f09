/**
 * Heartbeat monitor of one incarnation.
 *
 * - `timeout` detector: a watchdog in systemd's `WatchdogSec` sense. Armed at creation (the
 *   incarnation's start); if `timeout` ms pass without a beat it fires once.
 * - `phi` detector: a phi-accrual detector (see `phi.ts`) that learns the child's own rhythm and
 *   fires when phi reaches `threshold`. Until {@link PHI_MIN_SAMPLES} intervals are known it acts
 *   like the `timeout` detector, and `timeout` stays the longest silence it ever tolerates: phi can
 *   only declare a child dead *earlier* than the watchdog would.
 *
 * When to choose which: `timeout` when the child beats on a fixed schedule and you know the longest
 * acceptable silence; `phi` when the rhythm depends on the child's load or the machine, and a child
 * beating fast should be caught within a few of its own periods rather than after a worst-case
 * timeout sized for everyone.
 *
 * Instead of polling phi, the monitor computes when phi will reach the threshold (phi grows with the
 * silence, and the statistics only change on a beat) and keeps one unref'd timer for that moment. A
 * beat only moves the timer when the new deadline is earlier; a timer that fires early re-arms for
 * the rest, so frequent beats cost no timer churn.
 */
import type { Clock, ClockTimer } from '../api/types.js';
import type { ResolvedHeartbeat } from '../spec/resolved.js';
import { systemClock } from '../util/clock.js';
import { IntervalWindow, PHI_MIN_SAMPLES, phi, silenceForZ, zForPhi } from './phi.js';
import { unrefTimer } from '../util/clock.js';

/** What the monitor reports when the child is declared dead. */
export interface HeartbeatMissed {
  /** Time since the last beat (or since the start when none came), in ms. */
  silence: number;
  /** Phi at that moment, for the phi detector once it has enough samples. */
  phi?: number;
}

/** Options of {@link createHeartbeatMonitor}. */
export interface HeartbeatMonitorOptions {
  /** Clock for timers and time (default the system clock; timers are unref'd when they can be). */
  readonly clock?: Clock;
  /** Called once when the child is declared dead; the monitor has stopped by then. */
  readonly onMissed: (missed: HeartbeatMissed) => void;
}

/** A running heartbeat monitor. */
export interface HeartbeatMonitor {
  /** Records a heartbeat now. Ignored once stopped or fired. */
  beat(): void;
  /** Stops the monitor and clears its timer; idempotent. */
  stop(): void;
  /** Current phi, or undefined for the timeout detector and before enough samples. */
  phi(): number | undefined;
}

/** Starts watching for heartbeats; the silence is counted from now. */
export function createHeartbeatMonitor(spec: ResolvedHeartbeat, options: HeartbeatMonitorOptions): HeartbeatMonitor {
  const clock = options.clock ?? systemClock;
  const usePhi = spec.detector === 'phi';
  const z = usePhi ? zForPhi(spec.threshold) : 0;
  const window = new IntervalWindow();
  let last = clock.now();
  let beats = 0;
  let timer: ClockTimer | undefined;
  let timerAt = Infinity;
  let live = true;

  const trusted = (): boolean => usePhi && window.size >= PHI_MIN_SAMPLES;

  const deadline = (): number => {
    if (!trusted()) return last + spec.timeout;
    const { mean, sd } = window.stats();
    // Rounded up to whole ms, so phi has surely reached the threshold when the timer fires.
    return last + Math.min(spec.timeout, Math.ceil(silenceForZ(z, mean, sd)));
  };

  const currentPhi = (now: number): number | undefined => {
    if (!trusted()) return undefined;
    const { mean, sd } = window.stats();
    return phi(now - last, mean, sd);
  };

  const arm = (at: number): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = at;
    // At least 1 ms: timers may fire a hair before their time, and `fire` re-arms for the rest.
    timer = unrefTimer(clock.setTimeout(fire, Math.max(1, at - clock.now())));
  };

  const stop = (): void => {
    live = false;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };

  function fire(): void {
    timer = undefined;
    if (!live) return;
    const now = clock.now();
    const due = deadline();
    if (now < due) {
      arm(due);
      return;
    }
    const missed: HeartbeatMissed = { silence: now - last };
    const value = currentPhi(now);
    if (value !== undefined) missed.phi = value;
    stop();
    options.onMissed(missed);
  }

  arm(deadline());
  return {
    beat() {
      if (!live) return;
      const now = clock.now();
      // The first interval would include the child's start-up, not its rhythm: not a sample.
      if (beats > 0) window.add(now - last);
      beats += 1;
      last = now;
      const due = deadline();
      if (timer === undefined || due < timerAt) arm(due);
    },
    stop,
    phi: () => currentPhi(clock.now()),
  };
}
