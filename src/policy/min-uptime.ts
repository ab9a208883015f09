/**
 * Unstable starts (PM2's `min_uptime`) as a pure rule. A run that ends by itself sooner than
 * `minUptime` after it became started is unstable: the `exit` event says so, and the run gives no
 * backoff reset (backoff.ts, `nextAttempt`). Whether it restarts, and how it counts toward
 * intensity, is decided exactly as without `minUptime` (docs/semantics.md).
 */

/**
 * True when a run of `uptime` ms is an unstable start under `minUptime` (0: off, never unstable).
 * A run of exactly `minUptime` is stable, as a stay of exactly `resetAfter` resets the backoff.
 */
export function isUnstableRun(uptime: number, minUptime: number): boolean {
  return minUptime > 0 && uptime < minUptime;
}
