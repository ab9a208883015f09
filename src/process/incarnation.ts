/**
 * One incarnation: one spawned OS process and everything attached to it. Its AbortController is the
 * single switch that tears down every timer, probe and listener of the incarnation when it ends.
 */
import type { ChildProcess } from 'node:child_process';
import type { ExitReason, Signal } from '../api/types.js';
import { HealthAggregator } from '../health/aggregate.js';
import type { ChildListener } from '../supervisor/child.js';
import { deferred, type Deferred } from '../util/deferred.js';

/** How the OS reported the end of the process. */
export interface OsExit {
  code: number | null;
  signal: Signal | null;
}

/** One run of a process. */
export class Incarnation {
  /** Tears down everything of this incarnation when aborted. */
  readonly controller = new AbortController();
  /** Settles when the OS reports the exit. */
  readonly exit: Deferred<OsExit> = deferred<OsExit>();
  /** The exit, once known. */
  osExit: OsExit | undefined;
  /** When it was spawned, on the monotonic clock: a young tree is swept by pid range (cookie.ts). */
  readonly bornAt = performance.now();
  /** Why the worker is ending it; the first reason wins. */
  terminationReason: ExitReason | undefined;
  /** The ladder run in progress, so a stop during a stop returns the same promise. */
  stopping: Promise<void> | undefined;
  /** Set once it is started (ready): from then on its end is reported to the owner. */
  started = false;
  /** Its health: the worst verdict of its sources. */
  readonly health = new HealthAggregator();
  /** Subscribers to this incarnation's output lines (readiness by log). */
  readonly lineWatchers = new Set<(line: string, stream: 'stdout' | 'stderr') => void>();
  /** Subscribers to readiness announced by the child (IPC `ready()` or `::procvisor::ready`). */
  readonly announceWatchers = new Set<(data: unknown) => void>();
  /** Subscribers to the child's heartbeats (IPC `heartbeat()` or `::procvisor::heartbeat`). */
  readonly heartbeatWatchers = new Set<() => void>();
  /** Asks the child over its IPC channel to stop, before it is signalled (set by the IPC attachment). */
  askToStop: (() => void) | undefined;

  constructor(
    /** Sequence number within its worker. */
    readonly id: number,
    readonly child: ChildProcess,
    readonly pid: number,
    /** Kernel start time, naming this process for ever together with the pid. */
    readonly starttime: number | undefined,
    readonly startedAt: number,
    /** Tree cookie in its environment (`PROCVISOR_TREE`), inherited by every descendant. */
    readonly cookie: string | undefined,
    /** The owner's listener for this run's facts. */
    readonly listener: ChildListener,
  ) {}

  /** The incarnation's abort signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the OS reported the exit. */
  get ended(): boolean {
    return this.osExit !== undefined;
  }

  /** The child announced that it is ready. */
  announceReady(data: unknown): void {
    for (const watcher of this.announceWatchers) watcher(data);
  }

  /** The child sent a heartbeat. */
  heartbeat(): void {
    for (const watcher of this.heartbeatWatchers) watcher();
  }
}
