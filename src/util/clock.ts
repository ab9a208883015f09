import type { Clock } from '../api/types.js';

/**
 * The real clock. Its timers keep the host alive on purpose: a restart pending in backoff is work
 * the supervisor still owes, and the host must not exit in the gap between two incarnations.
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (timer: unknown) => clearTimeout(timer as NodeJS.Timeout),
});
