/**
 * One incarnation: one spawned OS process and everything attached to it. Its `end` is the single
 * switch that tears down every timer, probe and listener of the incarnation when it ends: a plain
 * callback list (util/ending.ts), with an AbortSignal made only for what needs one (a liveness or
 * readiness probe), since every live process has an incarnation.
 */
import type { ChildProcess } from 'node:child_process';
import type { ExitReason, HealthSource, HealthStatus, ProbeResult, Signal } from '../api/types.js';
import { HealthAggregator, type HealthChange } from '../health/aggregate.js';
import type { TreeCgroup } from '../os/cgroup.js';
import type { PartialFlusher } from '../output/index.js';
import type { ChildListener } from '../supervisor/child.js';
import { deferred, type Deferred } from '../util/deferred.js';
import { Ending } from '../util/ending.js';

/** A subscriber to output lines. */
export type LineWatcher = (line: string, stream: 'stdout' | 'stderr') => void;

function remove<T>(list: T[] | undefined, item: T): void {
  const index = list ? list.indexOf(item) : -1;
  if (index >= 0) list?.splice(index, 1);
}

/** How the OS reported the end of the process. */
export interface OsExit {
  code: number | null;
  signal: Signal | null;
}

/** One run of a process. */
export class Incarnation {
  /** Tears down everything of this incarnation when fired (with why it ended). */
  readonly end = new Ending();
  /** The wait for the exit, made on first use ({@link exited}): most runs are never awaited so. */
  #exitWait: Deferred<OsExit> | undefined;
  /** Set once a malformed output command was reported: one warning per incarnation. */
  warnedMalformed = false;
  /** Set once its stdio is closed: every line it wrote has been read (worker.ts, `outputRead`). */
  stdioClosed = false;
  #osExit: OsExit | undefined;
  /** When it was spawned, on the monotonic clock: a young tree is swept by pid range (cookie.ts). */
  readonly bornAt = performance.now();
  /** Why the worker is ending it; the first reason wins. */
  terminationReason: ExitReason | undefined;
  /** The ladder run in progress, so a stop during a stop returns the same promise. */
  stopping: Promise<void> | undefined;
  /** Set once it is started (ready): from then on its end is reported to the owner. */
  started = false;
  /** Its health, made with the first verdict: most processes have no probe to give one. */
  #health: HealthAggregator | undefined;
  /**
   * Subscribers to output lines (readiness by log), to readiness announced by the child (IPC
   * `ready()` or `::procvisor::ready`) and to its heartbeats: created on first use, since most
   * incarnations have none of them and every live process has an incarnation.
   */
  private lineWatchers: LineWatcher[] | undefined;
  private announceWatchers: ((data: unknown) => void)[] | undefined;
  private heartbeatWatchers: (() => void)[] | undefined;
  /** The flusher of its unended output lines, made by the worker with the first chunk (output-tap.ts). */
  partials: PartialFlusher | undefined;
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
    /**
     * The cgroup holding its tree (os/cgroup.ts), where the host has one: created before the spawn
     * by the worker, killed and removed when the incarnation ends.
     */
    readonly cgroup?: TreeCgroup,
  ) {}

  /** An AbortSignal aborted when the incarnation ends, for consumers that need one (made on first use). */
  get signal(): AbortSignal {
    return this.end.signal;
  }

  /** Its health: the worst verdict of its sources, `unknown` before the first. */
  get health(): HealthStatus {
    return this.#health?.status ?? 'unknown';
  }

  /** Records one source's verdict (health/aggregate.ts); returns the overall change, if any. */
  reportHealth(source: HealthSource, status: HealthStatus, result?: ProbeResult): HealthChange | undefined {
    return (this.#health ??= new HealthAggregator()).report(source, status, result);
  }

  /** The exit, once known ({@link reportExit} is its one writer, so a wait made before it settles). */
  get osExit(): OsExit | undefined {
    return this.#osExit;
  }

  /** True once the OS reported the exit. */
  get ended(): boolean {
    return this.#osExit !== undefined;
  }

  /** Settles when the OS reports the exit (at once when it has). */
  get exited(): Promise<OsExit> {
    if (this.#osExit !== undefined) return Promise.resolve(this.#osExit);
    return (this.#exitWait ??= deferred<OsExit>()).promise;
  }

  /** The OS reported the exit. */
  reportExit(exit: OsExit): void {
    this.#osExit = exit;
    this.#exitWait?.resolve(exit);
  }

  /** Calls `watcher` with every output line from now on; returns the unsubscribe function. */
  watchLines(watcher: LineWatcher): () => void {
    (this.lineWatchers ??= []).push(watcher);
    return () => remove(this.lineWatchers, watcher);
  }

  /** Calls `watcher` when the child announces readiness; returns the unsubscribe function. */
  watchAnnouncements(watcher: (data: unknown) => void): () => void {
    (this.announceWatchers ??= []).push(watcher);
    return () => remove(this.announceWatchers, watcher);
  }

  /** Calls `watcher` on every heartbeat of the child; returns the unsubscribe function. */
  watchHeartbeats(watcher: () => void): () => void {
    (this.heartbeatWatchers ??= []).push(watcher);
    return () => remove(this.heartbeatWatchers, watcher);
  }

  /** An output line arrived (masked): a whole one, or the text of an unended one flushed as partial. */
  line(line: string, stream: 'stdout' | 'stderr'): void {
    const watchers = this.lineWatchers;
    if (watchers) for (const watcher of [...watchers]) watcher(line, stream);
  }

  /** The child announced that it is ready. */
  announceReady(data: unknown): void {
    const watchers = this.announceWatchers;
    if (watchers) for (const watcher of [...watchers]) watcher(data);
  }

  /** The child sent a heartbeat. */
  heartbeat(): void {
    const watchers = this.heartbeatWatchers;
    if (watchers) for (const watcher of [...watchers]) watcher();
  }
}
