/**
 * The end of something short-lived (one probe check, one incarnation, one stop ladder), fired once.
 * An AbortController per such thing was a measurable share of its cost: constructing one, and
 * aborting it (an `Event` built and dispatched through EventTarget listeners), cost ~40 µs each in a
 * shutdown of a thousand processes. An Ending is a plain callback list; the AbortSignal that some
 * consumers need (`fetch`, a custom probe's `ctx.signal`) is made only when one asks for it.
 */
export class Ending {
  #ended = false;
  /** Made with the first callback, at its exact size: one of these lives with every process. */
  #callbacks: (() => void)[] | undefined;
  #controller: AbortController | undefined;
  #reason: unknown;

  /** True once fired. */
  get ended(): boolean {
    return this.#ended;
  }

  /** What it was fired with (`undefined` until then). */
  get reason(): unknown {
    return this.#reason;
  }

  /**
   * Calls `fn` when it ends (at once if it has). Returns the function that forgets `fn`, for a
   * waiter that finishes first.
   */
  on(fn: () => void): () => void {
    if (this.#ended) {
      fn();
      return noop;
    }
    if (this.#callbacks === undefined) this.#callbacks = [fn];
    else this.#callbacks.push(fn);
    return () => {
      const callbacks = this.#callbacks;
      const index = callbacks === undefined ? -1 : callbacks.indexOf(fn);
      if (index >= 0) callbacks?.splice(index, 1);
    };
  }

  /** An AbortSignal aborted (with the reason) when it ends, made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      this.on(() => controller.abort(this.#reason));
    }
    return this.#controller.signal;
  }

  /**
   * Ends it: every callback runs once, in the order they came. Later calls do nothing. A callback
   * that throws does not keep the others from running: its error is thrown again from a microtask,
   * as an AbortSignal's listener's would be (an uncaught exception).
   */
  fire(reason?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reason = reason;
    const due = this.#callbacks;
    this.#callbacks = undefined;
    if (!due) return;
    for (const callback of due) {
      try {
        callback();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function noop(): void {}
