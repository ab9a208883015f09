/**
 * Holds the host's event loop open while a caller awaits the manager, for managers with
 * `keepAlive: false`. Such a manager unrefs its children, pipes and timers, so that a host with
 * nothing else to do exits; but a host awaiting `start()` at the top level (or in a test hook) has
 * nothing else either, and would exit with the start unfinished (Node's exit code 13). While any
 * call is pending, one ref'd timer keeps the loop alive; it goes with the last one.
 */
export class LoopHold {
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;

  /** @param enabled false (a `keepAlive: true` manager): `hold` returns the work unchanged. */
  constructor(private readonly enabled: boolean) {}

  /** `work`, with the loop held until it settles. */
  hold<T>(work: Promise<T>): Promise<T> {
    if (!this.enabled) return work;
    // Not the manager's clock: this timer never fires, it only counts as work for the event loop.
    if (this.#pending++ === 0) this.#timer = setInterval(() => {}, 2 ** 30);
    const release = (): void => {
      if (--this.#pending === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
    work.then(release, release);
    return work;
  }
}
