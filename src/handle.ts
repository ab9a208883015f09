/**
 * A Handle is the user's view of one named child: live fields read from its supervisor's record
 * and from the child's own facts, and the operations that go through the manager. A handle keeps
 * reading its record after the child is removed (a `temporary` child that ended, `remove()`), so
 * the evidence of how it ended — state, last exit, output — stays with whoever holds the handle.
 */
import type { Readable } from 'node:stream';
import type { ExitInfo, HealthStatus, OutputLine, State, Usage, UsageStats } from './api/types.js';
import type { ChildRecord } from './supervisor/record.js';

/** What a Handle asks of its manager. */
export interface HandleOwner {
  parentOf(record: ChildRecord): string | undefined;
  stop(record: ChildRecord): Promise<void>;
  restart(record: ChildRecord): Promise<Handle>;
  waitFor(record: ChildRecord, state: State, options: { timeout?: number | string; signal?: AbortSignal }): Promise<void>;
  send(record: ChildRecord, message: unknown): void;
  request(record: ChildRecord, message: unknown, options: unknown): Promise<unknown>;
  usage(record: ChildRecord): Usage | undefined;
  usageStats(record: ChildRecord, windowMs: number | undefined): UsageStats;
}

/** A live view of one process or supervisor. */
export class Handle {
  /** @internal */
  constructor(
    private readonly record: ChildRecord,
    private readonly owner: HandleOwner,
  ) {}

  /** Name of the child. */
  get name(): string {
    return this.record.child.name;
  }

  /** `'process'` or `'supervisor'`. */
  get kind(): 'process' | 'supervisor' {
    return this.record.child.kind;
  }

  /** Name of the parent supervisor, or undefined at top level. */
  get parent(): string | undefined {
    return this.owner.parentOf(this.record);
  }

  /** Current state; after removal, the state it ended in. */
  get state(): State {
    return this.record.state;
  }

  /** PID of the current incarnation. */
  get pid(): number | undefined {
    return this.record.child.pid;
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.record.restarts;
  }

  /** When the current incarnation started (ms since epoch). */
  get startedAt(): number | undefined {
    return this.record.child.startedAt;
  }

  /** The last exit. */
  get lastExit(): ExitInfo | undefined {
    return this.record.lastExit;
  }

  /** Health status: the worst current verdict of its probes, heartbeat and limits. */
  get health(): HealthStatus {
    return this.record.child.health;
  }

  /** Last resource sample. */
  get usage(): Usage | undefined {
    return this.owner.usage(this.record);
  }

  /**
   * The kept resource samples (see `sampling.history`) with average and peak over the last
   * `windowMs` (all kept samples by default), for plotting trends.
   */
  usageHistory(windowMs?: number): UsageStats {
    return this.owner.usageStats(this.record, windowMs);
  }

  /** What the readiness probe produced (log match, HTTP status, data passed to `ready()`). */
  get readyData(): unknown {
    const child = this.record.child;
    return child.kind === 'process' ? child.readyData : undefined;
  }

  /** stdout of the current incarnation. */
  get stdout(): Readable | undefined {
    const child = this.record.child;
    return child.kind === 'process' ? child.stdout : undefined;
  }

  /** stderr of the current incarnation. */
  get stderr(): Readable | undefined {
    const child = this.record.child;
    return child.kind === 'process' ? child.stderr : undefined;
  }

  /** The retained output lines (masked), oldest first; the last `n` when given. */
  logs(n?: number): OutputLine[] {
    return this.record.child.logs(n);
  }

  /**
   * Resolves when the child reaches `state`; rejects with a TimeoutError after `timeout`, and with a
   * NotFoundError when the child is removed before it gets there.
   */
  waitFor(state: State, options: { timeout?: number | string; signal?: AbortSignal } = {}): Promise<void> {
    return this.owner.waitFor(this.record, state, options);
  }

  /** Sends an IPC message (spec `ipc: true`). */
  send(message: unknown): void {
    this.owner.send(this.record, message);
  }

  /**
   * Sends an IPC request and resolves with the child's answer (spec `ipc: true`). Rejects with a
   * TimeoutError after `timeout` (default 30 s, on the manager's clock), with the signal's reason
   * when `signal` aborts.
   */
  async request(message: unknown, options: { timeout?: number | string; signal?: AbortSignal } = {}): Promise<unknown> {
    return this.owner.request(this.record, message, options);
  }

  /** Stops the child (termination ladder); it is not restarted. */
  stop(): Promise<void> {
    return this.owner.stop(this.record);
  }

  /** Stops and starts the child again; revives a `failed` child. */
  restart(): Promise<Handle> {
    return this.owner.restart(this.record);
  }
}
