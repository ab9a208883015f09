/**
 * Sampling and limits through the public API, with real processes: usage events and handle.usage,
 * tree totals that include a grandchild in its own session, history, and limits with hysteresis.
 */
import { describe, expect, it } from 'vitest';
import { ProcessManager, type LimitEvent, type UsageEvent } from '../../src/index.js';
import { fixture, NODE, track, until } from '../helpers.js';

const ready = { type: 'log', pattern: /^ready/ } as const;
/**
 * Sampling interval of these tests: short, since what they check is counted in samples or follows
 * from the processes' memory, not from the interval.
 */
const INTERVAL = 30;

// Each test has its own manager and processes, and counts samples rather than time: they may overlap.
describe.concurrent('resource sampling through the manager', () => {
  it('emits usage per round and keeps handle.usage and a history', async ({ expect }) => {
    const pm = track(new ProcessManager({ sampling: { interval: INTERVAL, history: 5 } }));
    const samples: UsageEvent[] = [];
    pm.on('usage', (e) => samples.push(e));
    const h = await pm.start({ name: 'hold', command: NODE, args: [fixture('res-hold-memory.mjs'), '40'], readiness: ready });
    await until(() => samples.length >= 7, 10_000, 'seven samples');
    expect(samples.every((s) => s.name === 'hold' && s.pid === h.pid)).toBe(true);
    expect(h.usage?.memory).toBeGreaterThan(30e6);
    expect(h.usage?.tree.pids).toBe(1);
    const stats = h.usageHistory();
    expect(stats.samples.length).toBe(5); // capped by `history`
    expect(stats.peak?.memory).toBeGreaterThanOrEqual(stats.average?.memory ?? Infinity);
    expect(JSON.parse(JSON.stringify(pm.list()))[0].usage.memory).toBeGreaterThan(30e6);
  });

  it('counts a grandchild in its own session in the tree totals', async ({ expect }) => {
    const pm = track(new ProcessManager({ sampling: { interval: INTERVAL } }));
    const h = await pm.start({ name: 'tree', command: NODE, args: [fixture('res-tree-memory.mjs'), '60'], readiness: ready });
    await until(() => (h.usage?.tree.pids ?? 0) >= 2, 10_000, 'two pids in the tree');
    expect(h.usage?.tree.memory).toBeGreaterThan((h.usage?.memory ?? 0) + 50e6);
  });

  it('does not sample when sampling is off (the default)', async ({ expect }) => {
    const pm = track(new ProcessManager());
    let events = 0;
    pm.on('usage', () => events++);
    const h = await pm.start({ name: 'idle', command: NODE, args: [fixture('res-hold-memory.mjs'), '1'], readiness: ready, sampling: { interval: INTERVAL } });
    await until(() => h.usage !== undefined, 5000, 'a per-spec sample');
    const other = await pm.start({ name: 'quiet', command: NODE, args: [fixture('res-hold-memory.mjs'), '1'], readiness: ready });
    await until(() => events >= 4, 5000, 'more samples of `idle`');
    expect(other.usage).toBeUndefined();
  });
});

describe('limits', () => {
  // Alone: a loaded host could make the sampler miss a short spike.
  it('does not act on a spike shorter than `for`', async () => {
    const pm = track(new ProcessManager({ sampling: { interval: INTERVAL } }));
    let limited = 0;
    pm.on('limit', (e) => {
      if (e.level === 'limit') limited++;
    });
    const h = await pm.start({
      name: 'spiky',
      command: NODE,
      args: [fixture('res-spike.mjs'), '120', '400'],
      readiness: ready,
      // 400 ms of spike against 3 s of `for`: a loaded host may stretch the spike (its timer fires
      // late), never by seconds.
      limits: { memory: '80MB', for: '3s', scope: 'tree' },
    });
    const pid = h.pid;
    const usages: number[] = [];
    pm.on('usage', (e) => usages.push(e.usage.tree.memory));
    await until(() => h.logs().some((l) => l.line === 'spike over'), 10_000, 'the spike to pass');
    // The spike was seen (tree memory over the limit) but did not last.
    expect(h.usageHistory().peak?.tree.memory).toBeGreaterThan(80e6);
    // Samples after it are under the limit again: the run over it ended short of `for`.
    const over = usages.length;
    await until(() => usages.length >= over + 3 && (usages.at(-1) as number) < 80e6, 10_000, 'samples under the limit after the spike');
    expect(limited).toBe(0);
    expect(h.pid).toBe(pid);
    expect(h.state).toBe('running');
  });

  it.concurrent('restarts a process whose memory stays over the limit, through the ladder, as an abnormal exit', async ({ expect }) => {
    const pm = track(new ProcessManager({ sampling: { interval: INTERVAL }, backoff: { type: 'fixed', delay: 10 } }));
    const limits: LimitEvent[] = [];
    pm.on('limit', (e) => limits.push(e));
    const exited = new Promise<{ reason: string; cls: string }>((resolve) => pm.once('exit', (e) => resolve({ reason: e.reason, cls: e.class })));
    const h = await pm.start({
      name: 'fat',
      command: NODE,
      args: [fixture('res-hold-memory.mjs'), '80'],
      readiness: ready,
      limits: { memory: '40MB', for: '100ms', warning: { memory: '20MB' } },
    });
    const first = h.pid;
    const exit = await exited;
    expect(exit).toEqual({ reason: 'limit', cls: 'abnormal' });
    expect(limits.map((l) => l.level)).toContain('limit');
    expect(limits.find((l) => l.level === 'limit')).toMatchObject({ resource: 'memory', action: 'restart', limit: 40e6 });
    await h.waitFor('running', { timeout: 10_000 });
    expect(h.pid).not.toBe(first);
    expect(h.lastExit?.reason).toBe('limit');
  });

  it.concurrent('stops the process with action `stop`', async ({ expect }) => {
    const pm = track(new ProcessManager({ sampling: { interval: INTERVAL } }));
    const h = await pm.start({
      name: 'stopme',
      command: NODE,
      args: [fixture('res-hold-memory.mjs'), '60'],
      readiness: ready,
      limits: { memory: '30MB', for: { samples: 2 }, action: 'stop' },
    });
    await h.waitFor('stopped', { timeout: 10_000 });
    expect(h.restarts).toBe(0);
  });

  it.concurrent('only warns with action `warn`', async ({ expect }) => {
    const pm = track(new ProcessManager({ sampling: { interval: INTERVAL } }));
    const seen: LimitEvent[] = [];
    pm.on('limit', (e) => seen.push(e));
    const h = await pm.start({
      name: 'warn',
      command: NODE,
      args: [fixture('res-hold-memory.mjs'), '60'],
      readiness: ready,
      limits: { memory: '30MB', for: { samples: 2 }, action: 'warn' },
    });
    await until(() => seen.some((e) => e.level === 'limit'), 10_000, 'a limit event');
    expect(h.state).toBe('running');
    expect(h.health).toBe('critical');
  });

  it.concurrent('rejects limits without sampling, before anything spawns', ({ expect }) => {
    const pm = track(new ProcessManager());
    expect(() => pm.add({ name: 'x', command: NODE, limits: { memory: '10MB' } })).toThrow(/sampling/);
  });
});
