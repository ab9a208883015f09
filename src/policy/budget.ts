/**
 * The manager-wide restart budget as pure functions over a sliding window of grant times, like
 * intensity.ts: a grant stays in the window while `now - grant <= period` (millisecond precision,
 * boundary included), and a restart may be granted while fewer than `max` grants are in it.
 * Waiting restarts are granted first come, first served (supervisor/budget.ts keeps the queue).
 */
import type { ResolvedRestartBudget } from '../spec/resolved.js';

/** The grants still inside the window at `now`, oldest first. */
export function grantsInWindow(grants: readonly number[], now: number, budget: ResolvedRestartBudget): number[] {
  return grants.filter((time) => now - time <= budget.period);
}

/**
 * When each of `waiting` queued restarts will be granted, in queue order, if none is withdrawn:
 * the k-th waiter is granted once the grant `max` places before it (counting the grants to the
 * waiters ahead of it) has left the window. `grants` are the grants in the window, oldest first.
 */
export function grantTimes(grants: readonly number[], waiting: number, now: number, budget: ResolvedRestartBudget): number[] {
  const timeline = [...grants];
  const times: number[] = [];
  for (let i = 0; i < waiting; i++) {
    const blocking = timeline[timeline.length - budget.max];
    const at = blocking === undefined ? now : Math.max(now, blocking + budget.period + 1);
    timeline.push(at);
    times.push(at);
  }
  return times;
}
