/**
 * The closed set of messages a supervisor handles, one at a time, in arrival order. Async work
 * (stopping, starting, timers, exits) never touches the supervisor's state directly: it posts a
 * message.
 */
import type { ExitInfo } from '../api/types.js';
import type { Deferred } from '../util/deferred.js';
import type { Slot } from './slot.js';

/** A pending restart of one or more children after a backoff delay. */
export interface RestartPlan {
  /** The child whose end caused it. */
  readonly cause: Slot;
  /** Children to start again, in start order; a child leaves the plan when stopped or started by hand. */
  slots: Slot[];
  /** The backoff timer. */
  timer: unknown;
}

/** Everything a supervisor is asked to do. */
export type SupervisorMessage =
  /** Start the children in order (initial start, or restart by the parent from the static children). */
  | { type: 'start'; done: Deferred<void> }
  /** One incarnation of a child ended by itself. */
  | { type: 'child-exited'; slot: Slot; incarnation: number; exit: ExitInfo }
  /** A backoff delay ran out. */
  | { type: 'restart-due'; plan: RestartPlan }
  /** Start one child by request (a dynamic child, or one stopped by hand). */
  | { type: 'start-child'; slot: Slot; done: Deferred<void> }
  /** Stop one child by request; it stays stopped. */
  | { type: 'stop-child'; slot: Slot; done: Deferred<void> }
  /** Stop if needed, then forget one child. */
  | { type: 'remove-child'; slot: Slot; done: Deferred<void> }
  /** Stop every child in reverse start order. */
  | { type: 'shutdown'; done: Deferred<void> };
