/**
 * Backoff delays as pure functions. `attempt` is 1-based: the first restart after a stable run
 * is attempt 1. `random` is injectable so tests are exact.
 */
import { InvalidSpecError } from '../api/errors.js';
import type { ResolvedBackoff } from '../spec/resolved.js';
import { MAX_TIMER_MS } from '../spec/validate.js';

/**
 * Delay in ms before restart number `attempt`. Never negative, never NaN, never beyond what a timer
 * holds. A backoff function that throws, or returns anything but a finite number of milliseconds
 * from 0 to {@link MAX_TIMER_MS}, makes this throw: the caller (a supervisor) treats it as its own
 * fault, never as a delay of 0 or a timer that fires at once.
 */
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
      const value: unknown = backoff.fn(n);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
        throw new InvalidSpecError(
          'backoff',
          value,
          `The backoff function returned \`${String(value)}\` for attempt ${n}: it must return a finite number of milliseconds from 0 to ${MAX_TIMER_MS}`,
        );
      }
      base = value;
      break;
    }
  }
  // `max` is an upper bound on the delay actually waited, so jitter is applied before the cap.
  if (jitter > 0 && base > 0) base = Math.min(max, base * (1 + jitter * (2 * random() - 1)));
  return Math.max(0, Math.round(base));
}

/**
 * The attempt number for the next restart: it grows while restarts follow each other, and starts
 * again at 1 once the last incarnation stayed up for `resetAfter`. An unstable start (a run shorter
 * than `minUptime`, see min-uptime.ts) never earns that reset, so the reset needs a run of at least
 * both; `minUptime` 0 (off) leaves `resetAfter` alone.
 */
export function nextAttempt(previousAttempt: number, uptime: number, backoff: ResolvedBackoff, minUptime = 0): number {
  return uptime >= backoff.resetAfter && uptime >= minUptime ? 1 : previousAttempt + 1;
}
