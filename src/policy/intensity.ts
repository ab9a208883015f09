/**
 * Restart intensity as a pure function over a sliding window of restart times (OTP's
 * `add_restart/3`). A restart is recorded when it is decided, before any backoff.
 */
import type { ResolvedIntensity } from '../spec/resolved.js';

/** Result of recording one restart. */
export interface IntensityVerdict {
  /** The window after recording, oldest first; entries older than `period` dropped. */
  readonly window: readonly number[];
  /** True when this restart exceeds `maxRestarts` within `period`: give up. */
  readonly exceeded: boolean;
}

/**
 * Records a restart at `now`. An entry stays in the window while `now - entry <= period` (the
 * boundary is inclusive, millisecond precision). Exceeded when the window would then hold more
 * than `maxRestarts` entries.
 */
export function recordRestart(window: readonly number[], now: number, intensity: ResolvedIntensity): IntensityVerdict {
  const kept = window.filter((time) => now - time <= intensity.period);
  kept.push(now);
  return { window: kept, exceeded: kept.length > intensity.maxRestarts };
}
