/**
 * A supervisor's record of one child: the child itself plus the bookkeeping that belongs to the
 * supervisor (restart window at the root, backoff attempt, manual stop, incarnation counter).
 */
import type { ProcessWorker } from '../process/worker.js';
import type { Supervisor } from './supervisor.js';

/** A process or a nested supervisor. */
export type ChildNode = ProcessWorker | Supervisor;

export interface Slot {
  readonly node: ChildNode;
  /** Added at runtime; gone when the supervisor restarts from its static children. */
  readonly dynamic: boolean;
  /** Bumped on every start; an exit that carries an older number is stale and ignored. */
  incarnation: number;
  /** Backoff attempt (1-based) of the last restart. */
  attempt: number;
  /** Restart times of this child, at the manager's root only (each top-level entry has its own window). */
  window: number[];
  /** Stopped by hand: stays stopped through group restarts. */
  manuallyStopped: boolean;
  /** Ended for good (not restarted by its restart type, or given up): not part of group restarts. */
  ended: boolean;
  /** The pending restart plan this child belongs to. */
  plan: import('./messages.js').RestartPlan | undefined;
}

/** A fresh slot for a node. */
export function createSlot(node: ChildNode, dynamic: boolean): Slot {
  return { node, dynamic, incarnation: 0, attempt: 0, window: [], manuallyStopped: false, ended: false, plan: undefined };
}
