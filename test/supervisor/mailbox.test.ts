/** The supervisor's mailbox on its own: one message at a time, in order, and faults reported. */
import { describe, expect, it } from 'vitest';
import { Mailbox, type MailboxOwner } from '../../src/supervisor/mailbox.js';

/** An owner that records what it handles; `slow` messages wait for a tick first. */
function owner(options: { failOn?: string; faultThrows?: boolean } = {}) {
  const log: string[] = [];
  const mailbox: { current?: Mailbox<string> } = {};
  const handler: MailboxOwner<string> = {
    async handle(message) {
      log.push(`start ${message}`);
      if (message === 'post-inside') mailbox.current?.post('posted-inside');
      await new Promise((resolve) => setImmediate(resolve));
      if (message === options.failOn) throw new Error(`failed on ${message}`);
      log.push(`end ${message}`);
    },
    fault(error, message) {
      log.push(`fault ${message}: ${(error as Error).message}`);
      if (options.faultThrows) throw new Error('the fault handler failed too');
    },
  };
  const box = new Mailbox(handler);
  mailbox.current = box;
  return { box, log };
}

/** Resolves once the mailbox has nothing queued or in hand. */
async function drained(box: Mailbox<string>): Promise<void> {
  while (!box.idle) await new Promise((resolve) => setImmediate(resolve));
}

describe('Mailbox', () => {
  it('handles messages one at a time, in arrival order, those posted while handling after the rest', async () => {
    const { box, log } = owner();
    box.post('a');
    box.post('post-inside');
    box.post('b');
    expect(box.idle).toBe(false);
    await drained(box);
    expect(log).toEqual(['start a', 'end a', 'start post-inside', 'end post-inside', 'start b', 'end b', 'start posted-inside', 'end posted-inside']);
  });

  it('takes messages again once drained', async () => {
    const { box, log } = owner();
    box.post('a');
    await drained(box);
    box.post('b');
    await drained(box);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('reports a handler that throws to its owner and goes on; a fault handler that throws too is absorbed', async () => {
    for (const faultThrows of [false, true]) {
      const { box, log } = owner({ failOn: 'bad', faultThrows });
      box.post('bad');
      box.post('next');
      await drained(box);
      expect(log).toEqual(['start bad', 'fault bad: failed on bad', 'start next', 'end next']);
    }
  });

  it('runIfIdle: work runs at once when idle, holds later messages back until it settles, and is refused while busy', async () => {
    const { box, log } = owner();
    let finish: () => void = () => {};
    const running = box.runIfIdle(async () => {
      log.push('work starts');
      await new Promise<void>((resolve) => (finish = resolve));
      log.push('work ends');
    });
    expect(running).toBeInstanceOf(Promise);
    expect(log).toEqual(['work starts']);
    expect(box.idle).toBe(false);
    box.post('a');
    // Busy: nothing is run, the caller posts instead.
    expect(box.runIfIdle(async () => void log.push('never'))).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['work starts']);
    finish();
    await running;
    await drained(box);
    expect(log).toEqual(['work starts', 'work ends', 'start a', 'end a']);
  });

  it('runIfIdle: work that rejects (or throws) passes that to the caller and the mailbox goes on', async () => {
    const { box, log } = owner();
    const running = box.runIfIdle(() => Promise.reject(new Error('no start')));
    box.post('a');
    await expect(running).rejects.toThrow('no start');
    await drained(box);
    expect(log).toEqual(['start a', 'end a']);
    // Work that throws instead of rejecting leaves the mailbox working too.
    const thrown = box.runIfIdle(() => {
      throw new Error('thrown');
    });
    box.post('b');
    await expect(thrown).rejects.toThrow('thrown');
    await drained(box);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });
});
