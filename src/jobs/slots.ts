/**
 * The concurrency limit of jobs: `limit` slots handed out in FIFO order. A waiter whose signal
 * aborts leaves the queue without taking a slot, so a cancelled job never delays the ones behind it.
 */

/** A counting semaphore with a FIFO queue and abortable waits. */
export class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  /** @param limit slots available at once; an integer >= 1. */
  constructor(readonly limit: number) {}

  /** Slots in use. */
  get active(): number {
    return this.used;
  }

  /** Waiters in the queue. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves true once a slot is held (release it with `release()`), or false when `signal`
   * aborts first (then no slot is held). When no slot is free, `onQueued` is called at once with
   * the waiter's 1-based place in the queue.
   */
  acquire(signal: AbortSignal, onQueued?: (position: number) => void): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.used < this.limit && this.waiting.length === 0) {
      this.used++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(grant);
        if (at !== -1) this.waiting.splice(at, 1);
        resolve(false);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
      onQueued?.(this.waiting.length);
    });
  }

  /** Gives a held slot back: to the first waiter, or to the pool. */
  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `used` does not change.
    if (next) next();
    else this.used = Math.max(0, this.used - 1);
  }
}
