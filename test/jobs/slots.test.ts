import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/jobs/slots.js';

const never = new AbortController().signal;

describe('Slots', () => {
  it('hands out `limit` slots at once, then the rest in FIFO order', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const take = (name: string): Promise<void> => slots.acquire(never).then(() => void order.push(name));
    await Promise.all([take('a'), take('b')]);
    const waiting = [take('c'), take('d'), take('e')];
    await Promise.resolve();
    expect(order).toEqual(['a', 'b']);
    expect([slots.active, slots.queued]).toEqual([2, 3]);
    slots.release();
    await waiting[0];
    slots.release();
    await waiting[1];
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    slots.release();
    await waiting[2];
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    slots.release();
    slots.release();
    expect([slots.active, slots.queued]).toEqual([0, 0]);
  });

  it('drops an aborted waiter without giving it a slot', async () => {
    const slots = new Slots(1);
    expect(await slots.acquire(never)).toBe(true);
    const controller = new AbortController();
    const aborted = slots.acquire(controller.signal);
    const next = slots.acquire(never);
    controller.abort();
    expect(await aborted).toBe(false);
    expect(slots.queued).toBe(1);
    slots.release();
    expect(await next).toBe(true);
    expect(slots.active).toBe(1);
  });

  it('refuses at once with an aborted signal', async () => {
    const slots = new Slots(1);
    expect(await slots.acquire(AbortSignal.abort())).toBe(false);
    expect(slots.active).toBe(0);
  });
});
