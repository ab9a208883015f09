/**
 * Cheap cancellation for probe checks. At 200 checks per second, a fresh AbortController and
 * EventTarget listeners per check were a measurable share of a check's CPU (bench/probes.ts), so
 * {@link whenAborted} keeps ONE real listener per signal and a Set of callbacks behind it, and the
 * end of one check is an `Ending` (util/ending.ts), with an AbortSignal made only when someone
 * asks for one (the custom probe's `ctx.signal`).
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
