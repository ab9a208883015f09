/**
 * Builders for backoff specs, so `backoff.exponential({ max: '10s' })` reads as what it does.
 */
import type { BackoffSpec, Duration } from '../api/types.js';

type Without<T, K extends keyof T> = Omit<T, K>;
type Exponential = Extract<BackoffSpec, { type: 'exponential' }>;
type Linear = Extract<BackoffSpec, { type: 'linear' }>;
type Fixed = Extract<BackoffSpec, { type: 'fixed' }>;

/** Backoff spec builders. */
export const backoff = Object.freeze({
  /** Delays that grow by `factor` (default 100 ms, ×2, max 30 s, ±10 %). */
  exponential: (options: Without<Exponential, 'type'> = {}): BackoffSpec => ({ type: 'exponential', ...options }),
  /** Delays that grow by `step`. */
  linear: (options: Without<Linear, 'type'> = {}): BackoffSpec => ({ type: 'linear', ...options }),
  /** The same delay every time. */
  fixed: (delay: Duration, options: Without<Fixed, 'type' | 'delay'> = {}): BackoffSpec => ({ type: 'fixed', delay, ...options }),
  /** No delay at all (restart intensity still applies). */
  none: (): BackoffSpec => ({ type: 'fixed', delay: 0 }),
});
