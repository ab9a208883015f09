/**
 * Builders for backoff specs, so `backoff.exponential({ max: '10s' })` reads as what it does.
 */
import type { BackoffSpec, Duration, ExponentialBackoffOptions, FixedBackoffOptions, LinearBackoffOptions } from '../api/types.js';

/** Backoff spec builders. */
export const backoff = Object.freeze({
  /** Delays that grow by `factor` (default 100 ms, ×2, max 30 s, ±10 %). */
  exponential: (options: ExponentialBackoffOptions = {}): BackoffSpec => ({ type: 'exponential', ...options }),
  /** Delays that grow by `step`. */
  linear: (options: LinearBackoffOptions = {}): BackoffSpec => ({ type: 'linear', ...options }),
  /** The same delay every time. */
  fixed: (delay: Duration, options: FixedBackoffOptions = {}): BackoffSpec => ({ type: 'fixed', delay, ...options }),
  /** No delay at all (restart intensity still applies). */
  none: (): BackoffSpec => ({ type: 'fixed', delay: 0 }),
});
