/**
 * A supervisor's record of one child: everything about the child's life under supervision. The
 * supervisor that holds a record is its only writer (supervisor.ts); the manager, handles and
 * snapshots only read it. The child itself (a process worker or a nested supervisor) keeps only
 * the facts of its current run and reports them.
 */
import type { ClockTimer, ExitInfo, State } from '../api/types.js';
import type { ProcessWorker } from '../process/worker.js';
import type { RestartPlan } from './messages.js';
import type { Supervisor } from './supervisor.js';

/** The two kinds of child, both implementing `Child` (child.ts); the union lets readers narrow by `kind`. */
export type ChildNode = ProcessWorker | Supervisor;

/** The armed timer of a child's next scheduled restart (`schedule.restart`). */
export interface ArmedSchedule {
  /** The timer on the manager's clock; a `schedule-due` message carries it, to tell stale ones. */
  readonly timer: ClockTimer;
  /** When the occurrence is due (ms since epoch); a timer can fire earlier for a far occurrence. */
  readonly due: number;
}

/** One child of a supervisor, as its supervisor sees it. */
export interface ChildRecord {
  readonly child: ChildNode;
  /** Added at runtime; gone when the supervisor starts again from its static children. */
  readonly dynamic: boolean;
  /** The state users see. */
  state: State;
  /** Restarts so far (starts after the first, by the restart policy). */
  restarts: number;
  /** How the last incarnation ended by itself. */
  lastExit: ExitInfo | undefined;
  /**
   * Bumped on every start, and when a group restart takes the child over: an exit that carries an
   * older number is stale (already covered) and ignored.
   */
  incarnation: number;
  /** Backoff attempt (1-based) of the last restart. */
  attempt: number;
  /** When the current incarnation became started; backoff resets after `resetAfter` of it. */
  upSince: number | undefined;
  /** Stopped by hand: stays stopped through group restarts, and its ends never restart it. */
  manuallyStopped: boolean;
  /** Ended for good (not restarted by its restart type, or given up): not part of group restarts. */
  ended: boolean;
  /** The pending restart this child waits for, if any. */
  plan: RestartPlan | undefined;
  /** No longer held by its supervisor (removed, or a temporary child that ended). */
  removed: boolean;
  /** The next scheduled restart, armed while the child is supervised and not stopped by hand. */
  schedule: ArmedSchedule | undefined;
}

/** A fresh record for a child. */
export function createRecord(child: ChildNode, dynamic: boolean): ChildRecord {
  return {
    child,
    dynamic,
    state: 'idle',
    restarts: 0,
    lastExit: undefined,
    incarnation: 0,
    attempt: 0,
    upSince: undefined,
    manuallyStopped: false,
    ended: false,
    plan: undefined,
    removed: false,
    schedule: undefined,
  };
}

/** Forgets what a previous run left in a record (not its counters, state or incarnation number). */
export function resetRecord(record: ChildRecord): void {
  record.attempt = 0;
  record.upSince = undefined;
  record.manuallyStopped = false;
  record.ended = false;
}

/**
 * Running, starting, or waiting for a restart: what a group restart stops and starts again. A child
 * that ended by itself and whose exit is still queued is not active: its own exit decides for it.
 */
export function isActive(record: ChildRecord): boolean {
  if (record.manuallyStopped || record.ended) return false;
  return record.plan !== undefined || record.state === 'running' || record.state === 'starting';
}
