/**
 * The class behind the public `Handle` interface (api/handle.ts): live fields read from the
 * child's supervisor record and from the child's own facts, and the operations that go through
 * the manager. A handle keeps reading its record after the child is removed (a `temporary` child
 * that ended, `remove()`), so the evidence of how it ended stays with whoever holds the handle.
 */
import type { Readable, Writable } from 'node:stream';
import type { Handle, UsageHistoryOptions } from './api/handle.js';
import { InvalidStateError } from './api/errors.js';
import type { ExitInfo, HealthStatus, OutputLine, State, Usage, UsageStats, WaitOptions } from './api/types.js';
import type { ChildRecord } from './supervisor/record.js';

/** What a handle asks of its manager. Options arrive unchecked: the owner validates them. */
export interface HandleOwner {
  parentOf(record: ChildRecord): string | undefined;
  stop(record: ChildRecord): Promise<void>;
  restart(record: ChildRecord, options: unknown): Promise<Handle>;
  waitFor(record: ChildRecord, state: State, options: unknown): Promise<void>;
  send(record: ChildRecord, message: unknown): void;
  request(record: ChildRecord, message: unknown, options: unknown): Promise<unknown>;
  usage(record: ChildRecord): Usage | undefined;
  usageStats(record: ChildRecord, options: unknown): UsageStats;
}

/** The one implementation of {@link Handle}; the manager makes one per child record. */
export class ChildHandle<ReadyData = unknown> implements Handle<ReadyData> {
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

  usageHistory(options?: UsageHistoryOptions): UsageStats {
    return this.owner.usageStats(this.record, options);
  }

  get readyData(): ReadyData | undefined {
    const child = this.record.child;
    // The type comes from the spec the handle was made for (ReadyDataOf): the probe produced it.
    return (child.kind === 'process' ? child.readyData : undefined) as ReadyData | undefined;
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

  /** stdin of the current incarnation, with `stdin: 'pipe'`. */
  get stdin(): Writable | undefined {
    const child = this.record.child;
    return child.kind === 'process' ? child.stdin : undefined;
  }

  /** Writes to the stdin of the current incarnation (`stdin: 'pipe'`); rejects with an InvalidStateError otherwise. */
  write(data: string | Uint8Array): Promise<void> {
    const child = this.record.child;
    if (child.kind !== 'process') {
      return Promise.reject(new InvalidStateError(`Cannot write to \`${child.name}\`: it is a supervisor; write to one of its processes`));
    }
    return child.write(data);
  }

  /** The retained output lines (masked), oldest first; the last `n` when given. */
  logs(n?: number): OutputLine[] {
    return this.record.child.logs(n);
  }

  waitFor(state: State, options?: WaitOptions): Promise<void> {
    return this.owner.waitFor(this.record, state, options);
  }

  send(message: unknown): void {
    this.owner.send(this.record, message);
  }

  async request(message: unknown, options?: WaitOptions): Promise<unknown> {
    return this.owner.request(this.record, message, options);
  }

  stop(): Promise<void> {
    return this.owner.stop(this.record);
  }

  async restart(options?: WaitOptions): Promise<Handle<ReadyData>> {
    return (await this.owner.restart(this.record, options)) as Handle<ReadyData>;
  }
}
