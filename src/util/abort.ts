/**
 * Small helpers around AbortSignal used wherever a wait must end early: an abortable sleep on an
 * injected clock, and linking a caller's signal to an owner's controller without leaving
 * listeners behind on a long-lived signal.
 */
import type { Clock } from '../api/types.js';

/** Resolves true after `ms` on `clock`, or false as soon as `signal` aborts (timer and listener removed). */
export function sleepUnless(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Aborts `controller` when `signal` aborts (at once if it already has). Returns the function that
 * removes the listener: call it when the work ends, since `signal` may live much longer.
 */
export function follow(controller: AbortController, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => {};
  }
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
