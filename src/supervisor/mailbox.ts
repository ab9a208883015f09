/**
 * A supervisor's mailbox: queued messages are handled one at a time, in arrival order (a child's
 * exit that arrives during a group restart waits for it, and is never lost or doubled). A handler
 * that throws is a fault of the supervisor: the mailbox reports it and goes on with the next
 * message, and the supervisor decides what a fault means (supervisor.ts: it fails, as OTP's would).
 * Work run by {@link Mailbox.runIfIdle} is not a handler: its rejection goes to its caller.
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

  /**
   * Runs `work` in the mailbox's turn when it is idle, without queuing a message: it starts at
   * once, messages posted meanwhile wait for it to settle, and the mailbox goes on with them then.
   * Returns what `work` returns, or `undefined` (nothing run) when the mailbox is busy: the caller
   * posts a message instead. A start of a thousand top-level entries holds every start in flight at
   * once; the message, its deferred and a suspended drain of each were most of a kilobyte.
   * `work` that throws is a rejection of the returned promise, and the mailbox goes on.
   */
  runIfIdle(work: () => Promise<void>): Promise<void> | undefined {
    if (this.draining) return undefined;
    this.draining = true;
    let running: Promise<void>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    const resume = (): void => void this.drain();
    running.then(resume, resume);
    return running;
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
