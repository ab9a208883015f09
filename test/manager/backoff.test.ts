/**
 * Restart pacing and limits with real crashing processes: backoff delays, restart intensity and
 * give-up at the manager's root, reviving a failed entry, and one incarnation at a time.
 */
import { describe, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { alive, track, until } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from './support.js';

describe.concurrent('backoff', () => {
  it('waits the fixed delay between the exit and the next spawn', async ({ expect }) => {
    const pm = track(new ProcessManager({ backoff: { type: 'fixed', delay: 300 } }));
    const seen = record(pm, ['exit', 'spawn', 'restart']);
    await pm.start(nodeSpec('crash', 'crash-after.mjs', ['30']));
    await until(() => payloads(seen, 'spawn').length >= 2, 5000, 'the restart');
    await pm.stop('crash');
    const exitAt = seen.find((r) => r.event === 'exit')?.at as number;
    const spawns = seen.filter((r) => r.event === 'spawn');
    const gap = (spawns[1]?.at as number) - exitAt;
    expect(gap).toBeGreaterThanOrEqual(290);
    expect(gap).toBeLessThan(300 + 1500);
    expect(payloads(seen, 'restart')[0]).toMatchObject({ name: 'crash', attempt: 1, delay: 300 });
  });

  it('grows exponential delays attempt by attempt', async ({ expect }) => {
    const pm = track(
      new ProcessManager({
        backoff: { type: 'exponential', initial: 20, factor: 2, max: 1000, jitter: 0 },
        intensity: { maxRestarts: 50, period: '10s' },
      }),
    );
    const seen = record(pm, ['restart']);
    await pm.start(nodeSpec('crash', 'crash-after.mjs', ['10']));
    await until(() => seen.length >= 4, 10_000, 'four restarts');
    await pm.stop('crash');
    expect(payloads(seen, 'restart').slice(0, 4).map((e) => [e.attempt, e.delay])).toEqual([
      [1, 20],
      [2, 40],
      [3, 80],
      [4, 160],
    ]);
  });

  it('resets the attempt once an incarnation stayed up for resetAfter', async ({ expect }) => {
    const backoff = { type: 'exponential', initial: 20, factor: 2, jitter: 0, resetAfter: 250 } as const;
    const pm = track(new ProcessManager({ backoff, intensity: { maxRestarts: 50, period: '10s' } }));
    const seen = record(pm, ['restart']);
    // Each incarnation lives ~500 ms, longer than resetAfter: every restart is attempt 1 again.
    await pm.start(nodeSpec('steady', 'crash-after.mjs', ['500']));
    await until(() => seen.length >= 2, 10_000, 'two restarts');
    await pm.stop('steady');
    expect(payloads(seen, 'restart').slice(0, 2).map((e) => [e.attempt, e.delay])).toEqual([
      [1, 20],
      [1, 20],
    ]);
  });

  it('takes a backoff function, called with the attempt', async ({ expect }) => {
    const pm = track(new ProcessManager({ intensity: { maxRestarts: 50, period: '10s' } }));
    const seen = record(pm, ['restart']);
    await pm.start(nodeSpec('crash', 'crash-after.mjs', ['10'], { backoff: (attempt) => attempt * 7 }));
    await until(() => seen.length >= 3, 10_000, 'three restarts');
    await pm.stop('crash');
    expect(payloads(seen, 'restart').slice(0, 3).map((e) => e.delay)).toEqual([7, 14, 21]);
  });
});

describe.concurrent('restart intensity at the root', () => {
  it('gives up on an entry that exceeds it: give-up, state failed, other entries untouched', async ({ expect }) => {
    const pm = track(new ProcessManager({ backoff: { type: 'fixed', delay: 10 } }));
    const seen = record(pm, ['spawn', 'exit', 'give-up', 'restart']);
    const bystander = await pm.start(nodeSpec('steady', 'idle.mjs', [], { readiness: READY_LINE }));
    const steadyPid = bystander.pid as number;
    const crash = await pm.start(nodeSpec('crash', 'crash-after.mjs', ['30'], { intensity: { maxRestarts: 2, period: '10s' } }));
    const givenUp = await nextEvent(pm, 'give-up', (e) => e.name === 'crash', 10_000);
    expect(givenUp).toMatchObject({ name: 'crash', maxRestarts: 2, period: 10_000 });
    expect(crash.state).toBe('failed');
    expect(crash.pid).toBeUndefined();
    expect(payloads(seen, 'spawn').filter((e) => e.name === 'crash')).toHaveLength(3);
    expect(payloads(seen, 'restart').filter((e) => e.name === 'crash')).toHaveLength(2);
    expect(crash.restarts).toBe(2);
    expect(pm.list().find((s) => s.name === 'crash')?.state).toBe('failed');

    expect(bystander.state).toBe('running');
    expect(bystander.pid).toBe(steadyPid);
    expect(alive(steadyPid)).toBe(true);
    expect(payloads(seen, 'exit').filter((e) => e.name === 'steady')).toEqual([]);
    await pm.stop('steady');
  });

  it('announces the exit that exceeds the intensity with willRestart: false', async ({ expect }) => {
    const pm = track(new ProcessManager({ backoff: { type: 'fixed', delay: 10 } }));
    const seen = record(pm, ['exit', 'give-up']);
    await pm.start(nodeSpec('crash', 'crash-after.mjs', ['30'], { intensity: { maxRestarts: 1, period: '10s' } }));
    await nextEvent(pm, 'give-up', () => true, 10_000);
    const exits = payloads(seen, 'exit');
    expect(exits).toHaveLength(2);
    expect(exits.map((e) => e.willRestart)).toEqual([true, false]);
  });

  it('restart(name) revives a failed entry with a fresh window', async ({ expect }) => {
    const pm = track(new ProcessManager({ backoff: { type: 'fixed', delay: 10 } }));
    const seen = record(pm, ['give-up', 'spawn']);
    const crash = await pm.start(nodeSpec('crash', 'crash-after.mjs', ['150'], { intensity: { maxRestarts: 1, period: '10s' } }));
    await nextEvent(pm, 'give-up', () => true, 10_000);
    expect(crash.state).toBe('failed');
    const spawnsBefore = payloads(seen, 'spawn').length;
    const revived = await pm.restart('crash');
    expect(revived.state).toBe('running');
    expect(alive(revived.pid as number)).toBe(true);
    expect(payloads(seen, 'spawn')).toHaveLength(spawnsBefore + 1);
    // The window starts empty again: one more restart is allowed before the next give-up.
    await nextEvent(pm, 'give-up', () => true, 10_000);
    expect(payloads(seen, 'spawn')).toHaveLength(spawnsBefore + 2);
    expect(crash.state).toBe('failed');
  });
});

describe.concurrent('incarnations', () => {
  it('runs one incarnation at a time: each exit names the pid spawned before it, which is gone', async ({ expect }) => {
    const pm = track(new ProcessManager({ backoff: { type: 'fixed', delay: 0 }, intensity: { maxRestarts: 50, period: '10s' } }));
    const order: string[] = [];
    const overlaps: number[] = [];
    let previous: number | undefined;
    pm.on('spawn', (e) => {
      // The previous incarnation must be fully gone before the next one exists.
      if (previous !== undefined && alive(previous)) overlaps.push(previous);
      previous = e.pid;
      order.push(`spawn ${e.pid}`);
    });
    pm.on('exit', (e) => order.push(`exit ${e.pid}`));
    await pm.start(nodeSpec('crash', 'crash-after.mjs', ['5']));
    await until(() => order.filter((o) => o.startsWith('spawn')).length >= 5, 10_000, 'five spawns');
    await pm.stop('crash');
    expect(overlaps).toEqual([]);
    const spawns = order.filter((o) => o.startsWith('spawn')).map((o) => o.slice(6));
    // spawn p1, exit p1, spawn p2, exit p2, ...: strictly alternating, same pids.
    for (let i = 0; i < 4; i++) {
      expect(order[2 * i]).toBe(`spawn ${spawns[i]}`);
      expect(order[2 * i + 1]).toBe(`exit ${spawns[i]}`);
    }
  });

  it('a stop during backoff cancels the pending restart and keeps the spec', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock, backoff: { type: 'fixed', delay: 300 } }));
    const seen = record(pm, ['spawn']);
    const handle = await pm.start(nodeSpec('crash', 'crash-after.mjs', ['20']));
    await nextEvent(pm, 'restart');
    expect(handle.state).toBe('backoff');
    await pm.stop('crash');
    expect(handle.state).toBe('stopped');
    // Nothing scheduled any more, and nothing comes past the due time of the cancelled restart.
    expect(clock.pending).toBe(0);
    await clock.advance(500);
    expect(payloads(seen, 'spawn')).toHaveLength(1);
    expect(pm.get('crash')).toBeDefined();
  });
});
