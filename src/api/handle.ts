/**
 * The public view of one named child: what `pm.start()`, `pm.add()` and `pm.get()` hand out.
 * Users receive handles and never construct them; the class behind this interface is internal.
 */
import type { Readable, Writable } from 'node:stream';
import type { Duration, ExitInfo, HealthStatus, OutputLine, State, Usage, UsageStats, WaitOptions } from './types.js';

/** Options of `handle.usageHistory()`. */
export interface UsageHistoryOptions {
  /** Average and peak over the samples of this last stretch of time. Default: every kept sample. */
  window?: Duration;
}

/**
 * A live view of one process or supervisor. A handle keeps reading its child after the child is
 * removed (a `temporary` child that ended, `remove()`), so the evidence of how it ended — state,
 * last exit, output — stays with whoever holds it.
 *
 * `ReadyData` is what the readiness probe produced, typed from the spec given to `start()` or
 * `add()` (see {@link ReadyDataOf}).
 */
export interface Handle<ReadyData = unknown> {
  /** Name of the child. */
  readonly name: string;
  /** `'process'` or `'supervisor'`. */
  readonly kind: 'process' | 'supervisor';
  /** Name of the parent supervisor, or undefined at top level. */
  readonly parent: string | undefined;
  /** Current state; after removal, the state it ended in. */
  readonly state: State;
  /** PID of the current incarnation. */
  readonly pid: number | undefined;
  /** Restarts so far. */
  readonly restarts: number;
  /** When the current incarnation started (ms since epoch). */
  readonly startedAt: number | undefined;
  /** The last exit. */
  readonly lastExit: ExitInfo | undefined;
  /** Health status: the worst current verdict of its probes, heartbeat and limits. */
  readonly health: HealthStatus;
  /** Last resource sample. */
  readonly usage: Usage | undefined;
  /**
   * What the readiness probe produced for the current incarnation — the `log` match, the `http`
   * status, the data passed to `ready()`, a custom probe's `data` — or undefined before it is ready.
   */
  readonly readyData: ReadyData | undefined;
  /** stdout of the current incarnation (processes only). */
  readonly stdout: Readable | undefined;
  /** stderr of the current incarnation (processes only). */
  readonly stderr: Readable | undefined;
  /**
   * stdin of the current incarnation: a stream only for a process with `stdin: 'pipe'` that is
   * running, otherwise undefined. Each incarnation has its own pipe: read this again after a
   * restart. Ending it (`stdin.end()`) gives the child end of file. Prefer {@link Handle.write},
   * which checks the state and reports a closed pipe.
   */
  readonly stdin: Writable | undefined;
  /**
   * The kept resource samples (see `sampling.history`) with average and peak over the last
   * `window` (all kept samples by default), for plotting trends.
   * @throws InvalidArgumentError for a malformed window
   */
  usageHistory(options?: UsageHistoryOptions): UsageStats;
  /** The retained output lines (masked), oldest first; the last `n` when given. */
  logs(n?: number): OutputLine[];
  /**
   * Resolves when the child reaches `state`; rejects with a TimeoutError after `timeout`, with the
   * signal's reason when `signal` aborts, and with a NotFoundError when the child is removed first.
   */
  waitFor(state: State, options?: WaitOptions): Promise<void>;
  /**
   * Writes to the stdin of the current incarnation (spec `stdin: 'pipe'`) and resolves once the
   * data is handed to the OS. Rejects with an InvalidStateError when the spec's `stdin` is not
   * `'pipe'`, when the child is a supervisor, when no incarnation is running (not started yet,
   * exited, stopped, removed), or when the child has closed its stdin (the pipe's error is the
   * `cause`); with an InvalidArgumentError for data that is neither a string nor a Uint8Array.
   * A write never throws, and a closed pipe never crashes the host.
   */
  write(data: string | Uint8Array): Promise<void>;
  /**
   * Sends an IPC message (spec `ipc: true`).
   * @throws IpcUnavailableError, InvalidMessageError
   */
  send(message: unknown): void;
  /**
   * Sends an IPC request and resolves with the child's answer (spec `ipc: true`). Rejects with a
   * TimeoutError after `timeout` (default 30 s, on the manager's clock), with the signal's reason
   * when `signal` aborts, with an IpcRemoteError when the child's handler threw.
   */
  request(message: unknown, options?: WaitOptions): Promise<unknown>;
  /** Stops the child (termination ladder); it is not restarted. */
  stop(): Promise<void>;
  /** Stops and starts the child again; revives a `failed` child. Takes the options of `pm.start()`'s wait. */
  restart(options?: WaitOptions): Promise<Handle<ReadyData>>;
}
