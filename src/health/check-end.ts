/**
 * Cheap cancellation for probe checks. At 200 checks per second, a fresh AbortController and
 * EventTarget listeners per check were a measurable share of a check's CPU (bench/probes.ts), so:
 * - {@link whenAborted} keeps ONE real listener per signal and a Set of callbacks behind it;
 * - {@link CheckEnd} is a plain callback list marking the end of one check, with an AbortSignal
 *   made only when someone asks for one (the custom probe's `ctx.signal`).
 */

const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` once when `signal` aborts (the caller checks `signal.aborted` first). Returns a function
 * that forgets `fn`.
 */
export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  let set = callbacks.get(signal);
  if (set === undefined) {
    const created = new Set<() => void>();
    set = created;
    callbacks.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        const due = [...created];
        created.clear();
        for (const callback of due) callback();
      },
      { once: true },
    );
  }
  const registered = set;
  registered.add(fn);
  return () => {
    registered.delete(fn);
  };
}

/** The end of one check: fired once, on timeout, when the incarnation ends, or when the result is in. */
export class CheckEnd {
  #callbacks: (() => void)[] | undefined = [];
  #controller: AbortController | undefined;
  #reason: unknown;

  /** True once fired. */
  get ended(): boolean {
    return this.#callbacks === undefined;
  }

  /** Calls `fn` when the check ends (at once if it has). */
  on(fn: () => void): void {
    if (this.#callbacks === undefined) fn();
    else this.#callbacks.push(fn);
  }

  /** An AbortSignal aborted when the check ends, made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      this.on(() => controller.abort(this.#reason));
    }
    return this.#controller.signal;
  }

  /** Ends the check; later calls do nothing. */
  fire(reason?: unknown): void {
    const due = this.#callbacks;
    if (due === undefined) return;
    this.#callbacks = undefined;
    this.#reason = reason;
    for (const callback of due) callback();
  }
}
