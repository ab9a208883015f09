import type { Clock, ClockTimer } from '../api/types.js';

/**
 * The real clock. Its timers keep the host alive on purpose: a restart pending in backoff is work
 * the supervisor still owes, and the host must not exit in the gap between two incarnations.
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (timer: unknown) => clearTimeout(timer as NodeJS.Timeout),
});

/** Calls `unref()` on a timer when it has one (Node timers do; a test clock's timers may not). */
export function unrefTimer(timer: ClockTimer): ClockTimer {
  const candidate = timer as { unref?: unknown } | null;
  if (candidate !== null && typeof candidate === 'object' && typeof candidate.unref === 'function') {
    (candidate as { unref(): void }).unref();
  }
  return timer;
}
