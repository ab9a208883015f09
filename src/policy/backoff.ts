/**
 * Backoff delays as pure functions. `attempt` is 1-based: the first restart after a stable run
 * is attempt 1. `random` is injectable so tests are exact.
 */
import type { ResolvedBackoff } from '../spec/resolved.js';

/** Delay in ms before restart number `attempt`. Never negative, never NaN. */
export function backoffDelay(backoff: ResolvedBackoff, attempt: number, random: () => number = Math.random): number {
  // Clamped to a finite integer: NaN or Infinity attempts would turn the formulas below into NaN.
  const n = Number.isNaN(attempt) ? 1 : Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, Math.floor(attempt)));
  let base: number;
  let jitter = 0;
  let max = Infinity;
  switch (backoff.type) {
    case 'exponential': {
      // factor ** (n - 1) overflows to Infinity on long runs; with initial 0 the product would be NaN.
      const grown = backoff.initial === 0 ? 0 : backoff.initial * backoff.factor ** (n - 1);
      base = Math.min(backoff.max, grown);
      jitter = backoff.jitter;
      max = backoff.max;
      break;
    }
    case 'linear':
      base = Math.min(backoff.max, backoff.initial + backoff.step * (n - 1));
      jitter = backoff.jitter;
      max = backoff.max;
      break;
    case 'fixed':
      base = backoff.delay;
      break;
    case 'function': {
      const value = backoff.fn(n);
      base = Number.isFinite(value) && value > 0 ? value : 0;
      break;
    }
  }
  // `max` is an upper bound on the delay actually waited, so jitter is applied before the cap.
  if (jitter > 0 && base > 0) base = Math.min(max, base * (1 + jitter * (2 * random() - 1)));
  return Math.max(0, Math.round(base));
}

/**
 * The attempt number for the next restart: it grows while restarts follow each other, and starts
 * again at 1 once the last incarnation stayed up for `resetAfter`.
 */
export function nextAttempt(previousAttempt: number, uptime: number, backoff: ResolvedBackoff): number {
  return uptime >= backoff.resetAfter ? 1 : previousAttempt + 1;
}
