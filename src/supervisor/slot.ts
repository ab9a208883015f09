/**
 * A supervisor's record of one child: the child itself plus the bookkeeping that belongs to the
 * supervisor (incarnation counter, backoff attempt, manual stop, restart window at the root).
 */
import type { ProcessWorker } from '../process/worker.js';
import type { RestartPlan } from './messages.js';
import type { Supervisor } from './supervisor.js';

/** A process or a nested supervisor. */
export type ChildNode = ProcessWorker | Supervisor;

/** One child of a supervisor. */
export interface Slot {
  readonly node: ChildNode;
  /** Added at runtime; gone when the supervisor starts again from its static children. */
  readonly dynamic: boolean;
  /**
   * Bumped on every start, and when a group restart takes the child over: an exit that carries an
   * older number is stale (already covered) and ignored.
   */
  incarnation: number;
  /** Backoff attempt (1-based) of the last restart. */
  attempt: number;
  /** When the current incarnation became started; backoff resets after `resetAfter` of it. */
  upSince: number | undefined;
  /** Restart times of this child, at the manager's root only (each top-level entry has its own window). */
  window: number[];
  /** Stopped by hand: stays stopped through group restarts, and its ends never restart it. */
  manuallyStopped: boolean;
  /** Ended for good (not restarted by its restart type, or given up): not part of group restarts. */
  ended: boolean;
  /** The pending restart this child waits for, if any. */
  plan: RestartPlan | undefined;
}

/** A fresh slot for a node. */
export function createSlot(node: ChildNode, dynamic: boolean): Slot {
  return { node, dynamic, incarnation: 0, attempt: 0, upSince: undefined, window: [], manuallyStopped: false, ended: false, plan: undefined };
}

/** Forgets everything a previous run of the child left in its slot (not the incarnation counter). */
export function resetSlot(slot: Slot): void {
  Object.assign(slot, { attempt: 0, upSince: undefined, window: [], manuallyStopped: false, ended: false });
}

/**
 * Running, starting, or waiting for a restart: what a group restart stops and starts again. A child
 * that ended by itself and whose exit is still queued is not active: its own exit decides for it.
 */
export function isActive(slot: Slot): boolean {
  if (slot.manuallyStopped || slot.ended) return false;
  return slot.plan !== undefined || slot.node.state === 'running' || slot.node.state === 'starting';
}
