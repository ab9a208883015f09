/**
 * The manager's restart budget (`restartBudget`): one sliding window of granted restarts shared by
 * every supervisor of a manager, and one first-come-first-served queue of the restarts waiting for
 * it. A supervisor asks for a grant when a restart's backoff delay is over; a restart granted later
 * is told through the callback it gave, which only posts a message to its supervisor's mailbox.
 * Owned by the manager; the window arithmetic is pure (policy/budget.ts); its one timer runs on
 * the manager's clock.
 */
import type { Clock, ClockTimer } from '../api/types.js';
import { grantTimes, grantsInWindow } from '../policy/budget.js';
import type { ResolvedRestartBudget } from '../spec/resolved.js';

/** A restart waiting for the budget. */
export interface BudgetTicket {
  /** Longest wait from the request, in ms, if no restart ahead of it is withdrawn. */
  readonly delay: number;
  /** Its place in the queue when it asked, 1 for the next. */
  readonly position: number;
  /** Leaves the queue (its restart was cancelled); harmless once granted. */
  cancel(): void;
}

interface Waiter {
  readonly grant: () => void;
}

/** A manager-wide limit on restarts, with FIFO fairness among the restarts it delays. */
export class RestartBudget {
  /** Grant times still in the window, oldest first. */
  private grants: number[] = [];
  private readonly queue: Waiter[] = [];
  private timer: ClockTimer | undefined;

  constructor(
    private readonly budget: ResolvedRestartBudget,
    private readonly clock: Clock,
  ) {}

  /**
   * Asks for one restart now. Returns undefined when it is granted at once (and counted); otherwise
   * queues it behind every restart already waiting and returns its ticket: `grant` is called once
   * its turn comes (never synchronously), unless the ticket is cancelled first.
   */
  request(grant: () => void): BudgetTicket | undefined {
    this.drain();
    if (this.queue.length === 0 && this.grants.length < this.budget.max) {
      this.grants.push(this.clock.now());
      return undefined;
    }
    const waiter: Waiter = { grant };
    this.queue.push(waiter);
    const now = this.clock.now();
    const at = grantTimes(this.grants, this.queue.length, now, this.budget).at(-1) ?? now;
    this.arm();
    return { delay: at - now, position: this.queue.length, cancel: () => this.withdraw(waiter) };
  }

  /** Drops every waiting restart and the timer (the manager shut down). */
  close(): void {
    this.queue.length = 0;
    this.arm();
  }

  private withdraw(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index < 0) return;
    this.queue.splice(index, 1);
    // A withdrawn restart frees nothing in the window, but the head of the queue may have changed.
    this.arm();
  }

  /** Grants waiting restarts, in order, while the window has room. */
  private drain(): void {
    const now = this.clock.now();
    this.grants = grantsInWindow(this.grants, now, this.budget);
    while (this.queue.length > 0 && this.grants.length < this.budget.max) {
      const waiter = this.queue.shift() as Waiter;
      this.grants.push(now);
      waiter.grant();
    }
  }

  /** One timer, for the moment the head of the queue can be granted. */
  private arm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const now = this.clock.now();
    const at = grantTimes(grantsInWindow(this.grants, now, this.budget), 1, now, this.budget)[0] ?? now;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.drain();
      this.arm();
    }, at - now);
  }
}
