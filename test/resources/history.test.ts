import { describe, expect, it } from 'vitest';
import { UsageHistory } from '../../src/resources/history.js';
import type { Usage } from '../../src/api/types.js';

const usage = (time: number, cpu: number, memory: number): Usage => ({
  time,
  cpu,
  memory,
  tree: { pids: 2, cpu: cpu * 2, memory: memory * 2 },
});

describe('UsageHistory', () => {
  it('keeps the last `capacity` samples, oldest first', () => {
    const history = new UsageHistory(3);
    for (let i = 1; i <= 5; i++) history.push(usage(i * 1000, i, i));
    expect(history.length).toBe(3);
    expect(history.toArray().map((u) => u.time)).toEqual([3000, 4000, 5000]);
    expect(history.latest?.time).toBe(5000);
  });

  it('averages and peaks over a window ending at the newest sample', () => {
    const history = new UsageHistory(10);
    history.push(usage(1000, 90, 900));
    history.push(usage(2000, 10, 100));
    history.push(usage(3000, 30, 300));
    expect(history.average(1000)).toEqual({ cpu: 20, memory: 200, tree: { cpu: 40, memory: 400 } });
    expect(history.peak(1000)).toEqual({ cpu: 30, memory: 300, tree: { cpu: 60, memory: 600 } });
    expect(history.average()?.cpu).toBeCloseTo(130 / 3);
    expect(history.peak()?.memory).toBe(900);
  });

  it('has no average or peak when empty, and empties on clear', () => {
    const history = new UsageHistory(2);
    expect(history.average(1000)).toBeUndefined();
    expect(history.peak()).toBeUndefined();
    history.push(usage(1, 1, 1));
    history.clear();
    expect(history.length).toBe(0);
    expect(history.latest).toBeUndefined();
    expect(history.toArray()).toEqual([]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new UsageHistory(0)).toThrow(RangeError);
    expect(() => new UsageHistory(1.5)).toThrow(RangeError);
  });
});
