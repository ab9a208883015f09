/**
 * The supervisor's mailbox: messages are handled one at a time, in arrival order, per lane. A user
 * supervisor has one lane (its children depend on each other); the manager's root gives each
 * top-level entry its own lane, since entries are independent and one slow start must not hold up
 * another's restart.
 */

/** Handles messages one at a time per lane. */
export class Mailbox<M> {
  private readonly lanes = new Map<unknown, M[]>();

  constructor(
    private readonly handle: (message: M) => Promise<void> | void,
    /** The lane a message belongs to. */
    private readonly laneOf: (message: M) => unknown,
    /** A handler threw: a fault of procvisor itself. The lane goes on with the next message. */
    private readonly onFault: (error: unknown) => void,
  ) {}

  /** Queues a message; its lane starts draining if it was idle. */
  post(message: M): void {
    const lane = this.laneOf(message);
    const queue = this.lanes.get(lane);
    if (queue) {
      queue.push(message);
      return;
    }
    this.lanes.set(lane, [message]);
    void this.drain(lane);
  }

  private async drain(lane: unknown): Promise<void> {
    const queue = this.lanes.get(lane) ?? [];
    for (let message = queue[0]; message !== undefined; message = queue[0]) {
      try {
        await this.handle(message);
      } catch (error) {
        this.onFault(error);
      }
      queue.shift();
    }
    this.lanes.delete(lane);
  }
}
