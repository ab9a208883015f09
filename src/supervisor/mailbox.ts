/**
 * A supervisor's mailbox: queued messages are handled one at a time, in arrival order (a child's
 * exit that arrives during a group restart waits for it, and is never lost or doubled). A handler
 * that throws is a fault of the supervisor: the mailbox reports it and goes on with the next
 * message, and the supervisor decides what a fault means (supervisor.ts: it fails, as OTP's would).
 */

/** Who handles a mailbox's messages (its supervisor). */
export interface MailboxOwner<M> {
  /** Handles one message; the next waits until it settles. */
  handle(message: M): Promise<void> | void;
  /** `handle` threw (or rejected) on `message`. */
  fault(error: unknown, message: M): Promise<void> | void;
}

/** Handles messages one at a time. */
export class Mailbox<M> {
  /**
   * Messages waiting, while there are any: most mailboxes are a top-level entry's, idle for good
   * once their child has started, and an emptied array keeps its grown backing store.
   */
  private queue: M[] | undefined;
  private draining = false;

  constructor(private readonly owner: MailboxOwner<M>) {}

  /** True while nothing is queued or being handled. */
  get idle(): boolean {
    return !this.draining;
  }

  /** Queues a message; the mailbox starts draining if it was idle. */
  post(message: M): void {
    (this.queue ??= []).push(message);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    for (let message = this.queue?.shift(); message !== undefined; message = this.queue?.shift()) {
      try {
        await this.owner.handle(message);
      } catch (error) {
        try {
          await this.owner.fault(error, message);
        } catch {
          // A fault while handling a fault: nothing sensible is left to do with it.
        }
      }
    }
    this.queue = undefined;
    this.draining = false;
  }
}
