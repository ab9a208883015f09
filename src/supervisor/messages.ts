/**
 * The closed set of messages a supervisor handles, one at a time, in arrival order. Async work
 * (stopping, starting, timers) never touches the supervisor's state directly: it posts a message.
 */
import type { ExitInfo } from '../types.js';
import type { Deferred } from '../util/deferred.js';
import type { Slot } from './slot.js';

/** A pending restart of one or more children after a backoff delay. */
export interface RestartPlan {
  /** The child whose end caused it. */
  readonly cause: Slot;
  /** Children to start again, in start order. */
  slots: Slot[];
  /** The backoff timer. */
  timer: unknown;
}

export type SupervisorMessage =
  /** Start the static children in order (initial start, or restart by the parent). */
  | { type: 'start'; done: Deferred<void> }
  /** A child's incarnation ended by itself. */
  | { type: 'child-exited'; slot: Slot; incarnation: number; exit: ExitInfo }
  /** A backoff delay ran out. */
  | { type: 'restart-due'; plan: RestartPlan }
  /** Start (or add and start) one child by request. */
  | { type: 'start-child'; slot: Slot; done: Deferred<void> }
  /** Stop one child by request; it stays stopped. */
  | { type: 'stop-child'; slot: Slot; done: Deferred<void> }
  /** Stop if needed, then forget one child. */
  | { type: 'remove-child'; slot: Slot; done: Deferred<void> }
  /** Stop every child in reverse start order. */
  | { type: 'shutdown'; done: Deferred<void> };
