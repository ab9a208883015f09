/**
 * A Handle is the user's view of one named child: live fields read from the node, and the
 * operations that go through the manager.
 */
import type { Readable } from 'node:stream';
import type { ChildNode } from './supervisor/slot.js';
import type { ExitInfo, HealthStatus, OutputLine, State, Usage, UsageStats } from './api/types.js';

/** What a Handle asks of its manager. */
export interface HandleOwner {
  nodeOf(name: string): ChildNode | undefined;
  parentOf(name: string): string | undefined;
  stop(name: string): Promise<void>;
  restart(name: string): Promise<Handle>;
  waitFor(name: string, state: State, timeout: number | undefined): Promise<void>;
  send(name: string, message: unknown): void;
  request(name: string, message: unknown, timeout: number | undefined): Promise<unknown>;
  usageStats(name: string, windowMs: number | undefined): UsageStats;
}

/** A live view of one process or supervisor. */
export class Handle {
  /** @internal */
  constructor(
    /** Name of the child. */
    readonly name: string,
    private readonly owner: HandleOwner,
  ) {}

  private get node(): ChildNode | undefined {
    return this.owner.nodeOf(this.name);
  }

  /** `'process'` or `'supervisor'`. */
  get kind(): 'process' | 'supervisor' {
    return this.node?.kind ?? 'process';
  }

  /** Name of the parent supervisor, or undefined at top level. */
  get parent(): string | undefined {
    return this.owner.parentOf(this.name);
  }

  /** Current state; `'stopped'` once removed. */
  get state(): State {
    return this.node?.state ?? 'stopped';
  }

  /** PID of the current incarnation. */
  get pid(): number | undefined {
    return this.node?.pid;
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.node?.restarts ?? 0;
  }

  /** When the current incarnation started (ms since epoch). */
  get startedAt(): number | undefined {
    return this.node?.startedAt;
  }

  /** The last exit. */
  get lastExit(): ExitInfo | undefined {
    return this.node?.lastExit;
  }

  /** Health status. */
  get health(): HealthStatus {
    const node = this.node;
    return node?.kind === 'process' ? node.health : 'unknown';
  }

  /** Last resource sample. */
  get usage(): Usage | undefined {
    const node = this.node;
    return node?.kind === 'process' ? node.usage : undefined;
  }

  /**
   * The kept resource samples (see `sampling.history`) with average and peak over the last
   * `windowMs` (all kept samples by default), for plotting trends.
   */
  usageHistory(windowMs?: number): UsageStats {
    return this.owner.usageStats(this.name, windowMs);
  }

  /** What the readiness probe produced (log match, HTTP status, data passed to `ready()`). */
  get readyData(): unknown {
    const node = this.node;
    return node?.kind === 'process' ? node.readyData : undefined;
  }

  /** stdout of the current incarnation. */
  get stdout(): Readable | undefined {
    const node = this.node;
    return node?.kind === 'process' ? node.stdout : undefined;
  }

  /** stderr of the current incarnation. */
  get stderr(): Readable | undefined {
    const node = this.node;
    return node?.kind === 'process' ? node.stderr : undefined;
  }

  /** The retained output lines (masked), oldest first; the last `n` when given. */
  logs(n?: number): OutputLine[] {
    const node = this.node;
    return node?.kind === 'process' ? node.logs.toArray(n) : [];
  }

  /** Resolves when the child reaches `state`; rejects with a TimeoutError after `timeout`. */
  waitFor(state: State, options: { timeout?: number } = {}): Promise<void> {
    // A call that returns a promise reports every failure through it (a removed child included).
    try {
      return this.owner.waitFor(this.name, state, options.timeout);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends an IPC message (spec `ipc: true`). */
  send(message: unknown): void {
    this.owner.send(this.name, message);
  }

  /** Sends an IPC request and resolves with the child's answer (spec `ipc: true`). */
  async request(message: unknown, options: { timeout?: number } = {}): Promise<unknown> {
    return this.owner.request(this.name, message, options.timeout);
  }

  /** Stops the child (termination ladder); it is not restarted. */
  stop(): Promise<void> {
    return this.owner.stop(this.name);
  }

  /** Stops and starts the child again; revives a `failed` child. */
  restart(): Promise<Handle> {
    return this.owner.restart(this.name);
  }
}
