import { describe, expect, it } from 'vitest';
import { LimitMonitor } from '../../src/resources/limits.js';
import type { ResolvedLimits } from '../../src/spec/resolved.js';
import type { Usage } from '../../src/api/types.js';

const MB = 1024 * 1024;
const INTERVAL = 1000;

function limits(overrides: Partial<ResolvedLimits> = {}): ResolvedLimits {
  return {
    memory: 100 * MB,
    cpu: undefined,
    forMs: 3000,
    forSamples: undefined,
    action: 'restart',
    scope: 'tree',
    warning: { memory: undefined, cpu: undefined },
    ...overrides,
  };
}

/** A sample at `second` s whose tree holds `treeMb` MB and whose root holds `ownMb` MB. */
const at = (second: number, treeMb: number, ownMb = 10, cpu = 0): Usage => ({
  time: second * 1000,
  cpu,
  memory: ownMb * MB,
  tree: { pids: 2, cpu, memory: treeMb * MB },
});

/** Feeds samples one per second from `from`, returning the verdicts of each. */
function feed(monitor: LimitMonitor, treeMbs: number[], from = 0): ReturnType<LimitMonitor['observe']>[] {
  return treeMbs.map((mb, i) => monitor.observe(at(from + i, mb)));
}

describe('LimitMonitor', () => {
  it('fires once when a breach holds for `for`, with the action', () => {
    const monitor = new LimitMonitor(limits(), INTERVAL);
    const verdicts = feed(monitor, [150, 150, 150, 150, 150, 150]);
    // Breach from t=0 s; held through 3 s at the 4th sample, then quiet.
    expect(verdicts.map((v) => v.length)).toEqual([0, 0, 0, 1, 0, 0]);
    expect(verdicts[3]).toEqual([{ resource: 'memory', level: 'limit', value: 150 * MB, limit: 100 * MB, action: 'restart' }]);
    expect(monitor.status).toBe('critical');
  });

  it('does not fire on a spike shorter than `for`', () => {
    const monitor = new LimitMonitor(limits(), INTERVAL);
    const verdicts = feed(monitor, [50, 150, 150, 150, 50, 150, 150, 50]);
    expect(verdicts.flat()).toEqual([]);
    expect(monitor.status).toBe('healthy');
  });

  it('tolerates a little timer jitter in sample times', () => {
    const monitor = new LimitMonitor(limits(), INTERVAL);
    expect(monitor.observe({ ...at(0, 150), time: 20 })).toEqual([]);
    expect(monitor.observe({ ...at(1, 150), time: 1010 })).toEqual([]);
    expect(monitor.observe({ ...at(2, 150), time: 2000 })).toEqual([]);
    expect(monitor.observe({ ...at(3, 150), time: 2995 })).toHaveLength(1);
  });

  it('counts consecutive samples when the hold is a sample count', () => {
    const monitor = new LimitMonitor(limits({ forMs: undefined, forSamples: 2 }), INTERVAL);
    expect(feed(monitor, [150, 50, 150, 150]).map((v) => v.length)).toEqual([0, 0, 0, 1]);
  });

  it('re-arms only after the value drops to the limit or below', () => {
    const monitor = new LimitMonitor(limits({ forMs: undefined, forSamples: 1 }), INTERVAL);
    expect(feed(monitor, [150, 150, 100, 150, 150]).map((v) => v.length)).toEqual([1, 0, 0, 1, 0]);
  });

  it('reports warning levels, held the same way, and turns status to warning then critical', () => {
    const monitor = new LimitMonitor(limits({ forMs: 2000, warning: { memory: 80 * MB, cpu: undefined }, action: 'stop' }), INTERVAL);
    const verdicts = feed(monitor, [90, 90, 90, 120, 120, 120]);
    expect(verdicts.map((v) => v.map((x) => x.level))).toEqual([[], [], ['warning'], [], [], ['limit']]);
    expect(verdicts[2]?.[0]).toMatchObject({ action: 'warn', limit: 80 * MB });
    expect(verdicts[5]?.[0]).toMatchObject({ action: 'stop', limit: 100 * MB });
    expect(monitor.status).toBe('critical');
    monitor.observe(at(6, 90));
    expect(monitor.status).toBe('warning');
    monitor.observe(at(7, 10));
    expect(monitor.status).toBe('healthy');
  });

  it('uses the root process figures when the scope is `process`', () => {
    const monitor = new LimitMonitor(limits({ scope: 'process', forMs: undefined, forSamples: 1 }), INTERVAL);
    expect(monitor.observe(at(0, 500, 50))).toEqual([]);
    expect(monitor.observe(at(1, 500, 150))).toHaveLength(1);
  });

  it('watches CPU in % of one core', () => {
    const monitor = new LimitMonitor(limits({ memory: undefined, cpu: 80, forMs: 1000 }), INTERVAL);
    expect(monitor.observe(at(0, 0, 0, 95))).toEqual([]);
    expect(monitor.observe(at(1, 0, 0, 95))).toEqual([{ resource: 'cpu', level: 'limit', value: 95, limit: 80, action: 'restart' }]);
  });

  it('forgets every breach on reset', () => {
    const monitor = new LimitMonitor(limits({ forMs: undefined, forSamples: 2 }), INTERVAL);
    feed(monitor, [150, 150]);
    expect(monitor.status).toBe('critical');
    monitor.reset();
    expect(monitor.status).toBe('healthy');
    expect(feed(monitor, [150, 150], 10).map((v) => v.length)).toEqual([0, 1]);
  });
});
