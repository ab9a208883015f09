/**
 * The closed set of messages a supervisor handles. Queued messages are handled one at a time, in
 * arrival order; urgent ones (cancellations, facts that only change what users see) are handled at
 * once, between the steps of whatever queued message is under way. Async work (stopping, starting,
 * timers, exits) never touches the supervisor's records directly: it posts a message.
 */
import type { ExitInfo } from '../api/types.js';
import type { Deferred } from '../util/deferred.js';
import type { BudgetTicket } from './budget.js';
import type { ChildRecord } from './record.js';
import type { ResolvedChildSpec } from '../spec/resolved.js';

/** A pending restart of one or more children after a backoff delay. */
export interface RestartPlan {
  /** The child whose end caused it. */
  readonly cause: ChildRecord;
  /** Children to start again, in start order; a child leaves the plan when stopped or started by hand. */
  records: ChildRecord[];
  /** The backoff timer. */
  timer: unknown;
  /** Asked the manager's restart budget already (once per plan: a group restart is one restart). */
  admitted: boolean;
  /** Its place in the budget's queue while the budget delays it. */
  ticket: BudgetTicket | undefined;
}

/** Messages handled one at a time, in arrival order. */
export type QueuedMessage =
  /** Start the children in order (initial start, or restart by the parent from the static children). */
  | { type: 'start'; done: Deferred<void> }
  /** One incarnation of a child ended by itself. */
  | { type: 'child-exited'; record: ChildRecord; incarnation: number; exit: ExitInfo }
  /** A backoff delay ran out (or the restart budget granted a delayed restart). */
  | { type: 'restart-due'; plan: RestartPlan }
  /** A child's scheduled restart came due; `timer` tells a current occurrence from a stale one. */
  | { type: 'schedule-due'; record: ChildRecord; timer: unknown }
  /** The cool-down of a failed top-level entry ran out; `timer` tells a current one from a stale one. */
  | { type: 'recover-due'; record: ChildRecord; timer: unknown }
  /** Hold a new child (added at runtime: started last, stopped first). */
  | { type: 'add-child'; record: ChildRecord }
  /** Start one child by request while the supervisor is busy (on an idle one it runs at once: `Mailbox.runIfIdle`). */
  | { type: 'start-child'; record: ChildRecord; done: Deferred<void> }
  /** Stop one child by request; it stays stopped. */
  | { type: 'stop-child'; record: ChildRecord; done: Deferred<void> }
  /** Stop if needed, then forget one child. */
  | { type: 'remove-child'; record: ChildRecord; done: Deferred<void> }
  /** Sets the static children (an instance group's replicas, by `pm.scale`). */
  | { type: 'resize'; children: readonly ResolvedChildSpec[]; done: Deferred<void> }
  /** Stop every child in reverse start order. */
  | { type: 'shutdown'; done: Deferred<void> };

/** Messages handled at once, even while a queued message is under way. */
export type UrgentMessage =
  /** A stop or removal by hand is coming: cancel at once whatever would start this child. */
  | { type: 'take-over'; record: ChildRecord }
  /** A stop of this supervisor or an ancestor began: nothing starts any more, anywhere below. */
  | { type: 'cancel-all' }
  /** A child began ending by itself (a liveness failure, a limit): it is stopping. */
  | { type: 'child-ending'; record: ChildRecord; incarnation: number }
  /** A child's run ended by itself: users see `exited` at once; the decision is queued. */
  | { type: 'child-ended'; record: ChildRecord; incarnation: number; exit: ExitInfo };
