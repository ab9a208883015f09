import { describe, expect, it } from 'vitest';
import type { RawProcess, RawSample } from '../../src/resources/backend.js';
import { toUsage, treeCpuTime } from '../../src/resources/usage.js';

const proc = (pid: number, ppid: number, cpuTime: number, extra: Partial<RawProcess> = {}): RawProcess => ({
  pid,
  ppid,
  start: pid * 10,
  cpuTime,
  childCpuTime: 0,
  memory: 1000,
  ...extra,
});
const sample = (root: RawProcess, descendants: RawProcess[] = [], extra: Partial<RawSample> = {}): RawSample => ({
  ...root,
  descendants,
  ...extra,
});
const members = (...list: RawProcess[]): Map<number, RawProcess> => new Map(list.map((p) => [p.pid, p]));

describe('toUsage', () => {
  it('only records counters on the first reading (warm-up)', () => {
    const first = toUsage(undefined, sample(proc(1, 0, 100)), 1000, 2);
    expect(first.usage).toBeUndefined();
    expect(first.baseline.time).toBe(1000);
  });

  it('computes CPU as CPU time over wall time, in % of one core, normalised by cores', () => {
    const { baseline } = toUsage(undefined, sample(proc(1, 0, 100)), 1000, 4);
    const { usage } = toUsage(baseline, sample(proc(1, 0, 600), [], { threads: 3, fds: 9, io: { read: 1, write: 2 } }), 2000, 4);
    expect(usage?.cpu).toBeCloseTo(50);
    expect(usage?.cpuNormalized).toBeCloseTo(12.5);
    expect(usage).toMatchObject({ time: 2000, memory: 1000, threads: 3, fds: 9, io: { read: 1, write: 2 } });
  });

  it('clamps CPU to cores × 100 and at 0', () => {
    const { baseline } = toUsage(undefined, sample(proc(1, 0, 0)), 1000, 2);
    expect(toUsage(baseline, sample(proc(1, 0, 5000)), 1010, 2).usage?.cpu).toBe(200);
    expect(toUsage(baseline, sample(proc(1, 0, -10)), 2000, 2).usage?.cpu).toBe(0);
  });

  it('restarts the warm-up when the pid now names another process', () => {
    const { baseline } = toUsage(undefined, sample(proc(1, 0, 100)), 1000, 2);
    const reused = toUsage(baseline, sample(proc(1, 0, 100, { start: 999 })), 2000, 2);
    expect(reused.usage).toBeUndefined();
  });

  it('keeps the older baseline when no wall time passed', () => {
    const { baseline } = toUsage(undefined, sample(proc(1, 0, 100)), 1000, 2);
    const same = toUsage(baseline, sample(proc(1, 0, 200)), 1000, 2);
    expect(same.usage).toBeUndefined();
    expect(same.baseline).toBe(baseline);
  });

  it('totals pids and memory over live members, not zombies', () => {
    const root = proc(1, 0, 0);
    const { baseline } = toUsage(undefined, sample(root, [proc(2, 1, 0), proc(3, 2, 0)]), 0, 2);
    const { usage } = toUsage(baseline, sample(root, [proc(2, 1, 0), proc(3, 2, 0, { zombie: true, memory: 0 })]), 1000, 2);
    expect(usage?.tree).toEqual({ pids: 2, cpu: 0, memory: 2000 });
  });
});

describe('treeCpuTime', () => {
  it('sums the growth of members seen in both readings', () => {
    const before = members(proc(1, 0, 100), proc(2, 1, 50));
    const after = members(proc(1, 0, 300), proc(2, 1, 150));
    expect(treeCpuTime(before, after, 1000)).toBe(300);
  });

  it('counts all the CPU of a member born since the last reading, none of one that was not', () => {
    const before = members(proc(1, 0, 0));
    expect(treeCpuTime(before, members(proc(1, 0, 0), proc(2, 1, 70, { age: 500 })), 1000)).toBe(70);
    expect(treeCpuTime(before, members(proc(1, 0, 0), proc(2, 1, 70, { age: 5000 })), 1000)).toBe(0);
  });

  it('keeps the CPU of a child that ended and was reaped between readings, without double counting', () => {
    // Child 2 had spent 100 ms at the last reading, then 50 more before it ended; its parent reaped it.
    const before = members(proc(1, 0, 0), proc(2, 1, 100));
    const after = members(proc(1, 0, 0, { childCpuTime: 150 }));
    expect(treeCpuTime(before, after, 1000)).toBe(50);
  });

  it('keeps the CPU of a child born and reaped between readings', () => {
    const before = members(proc(1, 0, 0));
    expect(treeCpuTime(before, members(proc(1, 0, 0, { childCpuTime: 80 })), 1000)).toBe(80);
  });

  it('does not take out a member that left the tree when its parent died', () => {
    // 2 died and was reaped by 1 (its 40 ms move into 1's child time); 3 was reparented away.
    const before = members(proc(1, 0, 0), proc(2, 1, 40), proc(3, 2, 30));
    const after = members(proc(1, 0, 0, { childCpuTime: 40 }));
    expect(treeCpuTime(before, after, 1000)).toBe(0);
  });

  it('takes nothing out when the backend cannot see reaped children', () => {
    const blind = (pid: number, ppid: number, cpuTime: number): RawProcess => ({ pid, ppid, cpuTime, memory: 1000 });
    const before = members(blind(1, 0, 0), blind(2, 1, 100));
    const after = members(blind(1, 0, 20));
    expect(treeCpuTime(before, after, 1000)).toBe(20);
  });
});
