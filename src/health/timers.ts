/**
 * Timer helpers of the probe runner: an abortable sleep on an injectable clock, its timer unref'd
 * so health timers never keep the host alive by themselves (the supervised child process already
 * does while it runs, unless the manager has `keepAlive: false`).
 */
import type { Clock } from '../api/types.js';
import { unrefTimer } from '../util/clock.js';
import { whenAborted } from './check-end.js';

/** The reason an aborted signal carries, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(reason === undefined ? 'The operation was aborted' : String(reason));
  error.name = 'AbortError';
  return error;
}

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason as soon as `signal` aborts.
 * The timer and the abort listener are both removed whichever comes first.
 */
export function sleep(ms: number, clock: Clock, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = unrefTimer(
      clock.setTimeout(() => {
        forget();
        resolve();
      }, ms),
    );
    const forget = whenAborted(signal, () => {
      clock.clearTimeout(timer);
      reject(abortReason(signal));
    });
  });
}

/** Longest delay added to a probe wait so that waits due close together end in the same tick. */
export const COALESCE_MS = 50;

/**
 * `ms`, lengthened so the wait ends on a multiple of a tick of the clock: min({@link COALESCE_MS},
 * a tenth of `ms`). Probes due within the same tick then run in one event-loop wake-up instead of
 * one each, which measured about halves the host CPU of 200 HTTP probes per second
 * (bench/probes.ts). Only ever longer, so a probe never runs faster than its interval.
 */
export function coalesced(ms: number, now: number): number {
  const tick = Math.min(COALESCE_MS, Math.floor(ms / 10));
  if (tick < 2) return ms;
  return Math.ceil((now + ms) / tick) * tick - now;
}
