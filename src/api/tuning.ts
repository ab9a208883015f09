/**
 * Internal tuning values: fixed numbers the implementation relies on, not options a user sets or
 * reads. The user-facing defaults are in defaults.ts (`DEFAULTS`).
 */
export const TUNING = Object.freeze({
  /** Longest line kept whole; longer lines are cut and marked (1 MiB). */
  maxLineBytes: 1024 * 1024,
  /** Open fds and disk I/O are re-read every N sampling rounds: they move slowly, and cost most. */
  samplingExtrasEvery: 5,
  /** After SIGKILL, how long to wait for an exit report before declaring a process `unstopped`. */
  unstoppedGrace: 2_000,
  /**
   * How long output that does not end its line (a prompt, a progress bar) waits for its line end
   * before it is emitted as a `partial` line, in ms (on the manager's clock).
   */
  partialFlushInterval: 100,
});
