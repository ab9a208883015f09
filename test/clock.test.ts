import { describe, expect, it } from 'vitest';
import { FakeClock, flushPromises } from './clock.js';

describe('FakeClock', () => {
  it('moves only when advanced, and fires a timer exactly at its due time', async () => {
    const clock = new FakeClock(1000);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 100);
    expect(clock.now()).toBe(1000);
    await flushPromises();
    expect(fired).toEqual([]);
    await clock.advance(99);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(1099);
    await clock.advance(1);
    expect(fired).toEqual([1100]);
    expect(clock.pending).toBe(0);
  });

  it('fires due timers in time order, equal ones in the order they were set, then sets the end time', async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b1@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push('late'), 31);
    await clock.advance(30);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.now()).toBe(30);
    expect(clock.pending).toBe(1);
  });

  it('never fires a timer synchronously: one due now fires on the next advance(0)', async () => {
    const clock = new FakeClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 0);
    clock.setTimeout(() => fired++, -5); // a negative delay is due now too
    expect(fired).toBe(0);
    expect(clock.nextDue).toBe(0);
    await clock.advance(0);
    expect(fired).toBe(2);
    expect(clock.now()).toBe(0);
  });

  it('reports pending timers and the next due time, and forgets cleared ones', async () => {
    const clock = new FakeClock();
    expect(clock.pending).toBe(0);
    expect(clock.nextDue).toBeUndefined();
    let fired = false;
    const early = clock.setTimeout(() => (fired = true), 50);
    clock.setTimeout(() => {}, 80);
    expect(clock.pending).toBe(2);
    expect(clock.nextDue).toBe(50);
    clock.clearTimeout(early);
    clock.clearTimeout(early); // twice is harmless
    clock.clearTimeout(undefined);
    expect(clock.pending).toBe(1);
    expect(clock.nextDue).toBe(80);
    await clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('lets promise callbacks run between timers, so a reaction can schedule the next one in time', async () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    // A loop like the probe runner's: await a sleep on the clock, do async work, sleep again.
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));
    const loop = (async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(10);
        await Promise.resolve();
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        ticks.push(clock.now());
      }
    })();
    await clock.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
    await clock.advance(100);
    expect(ticks).toEqual([10, 20, 30, 40, 50]);
    await loop;
  });

  it('runs promise callbacks queued before the advance, so their timers count', async () => {
    const clock = new FakeClock();
    let fired = false;
    void Promise.resolve().then(() => clock.setTimeout(() => (fired = true), 5));
    await clock.advance(5);
    expect(fired).toBe(true);
  });

  it('lets a timer clear another one due at the same time', async () => {
    const clock = new FakeClock();
    let second = false;
    clock.setTimeout(() => clock.clearTimeout(other), 10);
    const other = clock.setTimeout(() => (second = true), 10);
    await clock.advance(10);
    expect(second).toBe(false);
  });

  it('advanceToNext() jumps to the next due time and fires what is due then', async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    expect(await clock.advanceToNext()).toBe(false);
    expect(clock.now()).toBe(0);
    clock.setTimeout(() => fired.push('a'), 40);
    clock.setTimeout(() => fired.push('b'), 40);
    clock.setTimeout(() => fired.push('c'), 70);
    expect(await clock.advanceToNext()).toBe(true);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(40);
    expect(await clock.advanceToNext()).toBe(true);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(70);
    expect(await clock.advanceToNext()).toBe(false);
  });

  it('rejects bad delays, overlapping advances and a timer that reschedules itself for ever', async () => {
    const clock = new FakeClock();
    expect(() => clock.setTimeout(() => {}, Infinity)).toThrow(RangeError);
    expect(() => clock.setTimeout(() => {}, Number.NaN)).toThrow(RangeError);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    const first = clock.advance(10);
    await expect(clock.advance(10)).rejects.toThrow(/another advance/);
    await first;
    const again = (): void => void clock.setTimeout(again, 0);
    again();
    await expect(clock.advance(0)).rejects.toThrow(/reschedules itself/);
  });

  it('passes a throwing timer on to the advance', async () => {
    const clock = new FakeClock();
    let after = false;
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    clock.setTimeout(() => (after = true), 20);
    await expect(clock.advance(30)).rejects.toThrow('boom');
    expect(clock.now()).toBe(10);
    expect(after).toBe(false);
    await clock.advance(10);
    expect(after).toBe(true);
  });
});
