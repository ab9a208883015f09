import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StartFailedError } from '../../src/index.js';
import type { ReadyEvent, SpawnEvent, StopEvent } from '../../src/index.js';
import { alive } from '../helpers.js';
import { manager, pidOf, pids, poke, puppet, reach, record, runningAgain, trace } from './helpers.js';

/** A file whose existence makes `fail-if=` puppets fail to start. */
function failSwitch(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'procvisor-sup-')), 'fail');
  writeFileSync(file, '');
  return file;
}

describe('start order', () => {
  it('starts each child only after the previous one is ready, then the tree', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-one',
      children: [puppet('a', ['ready=150']), puppet('b', ['ready=150']), puppet('c')],
    });
    expect(trace(events, ['spawn', 'ready'])).toEqual([
      'spawn:a', 'ready:a', 'spawn:b', 'ready:b', 'spawn:c', 'ready:c', 'ready:tree',
    ]);
    const at = (event: string, name: string): number =>
      (events.find((e) => e.event === event && e.name === name)?.payload as SpawnEvent | ReadyEvent).time;
    expect(at('spawn', 'b')).toBeGreaterThanOrEqual(at('ready', 'a'));
    expect(at('spawn', 'c')).toBeGreaterThanOrEqual(at('ready', 'b'));
    expect(pm.get('tree')?.state).toBe('running');
  });

  it('stops the started children in reverse when one fails to start, and rejects naming it', async () => {
    const pm = manager();
    const events = record(pm);
    const started: Record<string, number> = {};
    pm.on('spawn', (e) => (started[e.name] = e.pid));
    const error = await pm
      .start({
        name: 'tree',
        strategy: 'one-for-all',
        children: [puppet('a'), puppet('a2'), puppet('b', [`fail-if=${failSwitch()}`]), puppet('c')],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    const startError = error as StartFailedError;
    expect(startError.code).toBe('START_FAILED');
    expect(startError.processName).toBe('b');
    expect(startError.exitCode).toBe(3);
    expect(startError.message).toMatch(/`tree`.*`b`.*code 3/s);
    expect(trace(events, ['spawn', 'stop'])).toEqual(['spawn:a', 'spawn:a2', 'spawn:b', 'stop:a2', 'stop:a']);
    expect(alive(started.a as number) || alive(started.a2 as number)).toBe(false);
    expect(pm.get('tree')?.state).toBe('failed');
    expect(pm.get('b')?.state).toBe('failed');
    expect(pm.get('c')?.state).toBe('idle');
    // No retry and no intensity accounting: nothing restarts afterwards.
    expect(trace(events, ['restart', 'supervisor:restart'])).toEqual([]);
  });

  it('names the innermost child when a nested tree fails to start', async () => {
    const pm = manager();
    const error = (await pm
      .start({
        name: 'outer',
        strategy: 'one-for-one',
        children: [puppet('a'), { name: 'inner', strategy: 'one-for-one', children: [puppet('x', [`fail-if=${failSwitch()}`])] }],
      })
      .catch((e: unknown) => e)) as StartFailedError;
    expect(error).toBeInstanceOf(StartFailedError);
    expect(error.processName).toBe('x');
    expect(error.message).toContain('`outer`');
    expect(error.message).toContain('`inner`');
    expect(pm.get('a')?.state).toBe('stopped');
  });
});

describe('stop order', () => {
  it('stops children in reverse start order, one at a time', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-one', children: [puppet('a'), puppet('b'), puppet('c')] });
    const before = pids(pm, ['a', 'b', 'c']);
    // When one stop completes, the children before it have not been signalled yet.
    const aliveAtStop: Record<string, boolean[]> = {};
    pm.on('stop', (e: StopEvent) => {
      aliveAtStop[e.name] = ['a', 'b'].map((n) => alive(before[n] as number));
    });
    await pm.stop('tree');
    expect(trace(events, ['stop'])).toEqual(['stop:c', 'stop:b', 'stop:a']);
    expect(aliveAtStop.c).toEqual([true, true]);
    expect(aliveAtStop.b?.[0]).toBe(true);
    expect(Object.values(before).some(alive)).toBe(false);
    expect(pm.get('tree')?.state).toBe('stopped');
  });

  it('kills a nested supervisor subtree that outlives its shutdown timeout', async () => {
    const pm = manager();
    await pm.start({
      name: 'outer',
      strategy: 'one-for-one',
      children: [
        {
          name: 'inner',
          strategy: 'one-for-one',
          shutdown: { timeout: 300 },
          children: [puppet('stubborn', ['ignore-term'], { shutdown: { timeout: 20_000 } })],
        },
      ],
    });
    const pid = pidOf(pm, 'stubborn');
    const started = Date.now();
    await pm.stop('outer');
    expect(Date.now() - started).toBeLessThan(8000);
    expect(alive(pid)).toBe(false);
  });
});

describe('top-level entries', () => {
  it('are independent: a slow start holds up neither the start nor the restart of another', async () => {
    const pm = manager();
    await pm.start(puppet('steady'));
    const slow = pm.start(puppet('slow', ['ready=2500']));
    try {
      await pm.start(puppet('quick'));
      await runningAgain(pm, { steady: poke(pm, 'steady') });
      // Had the entries been serialised, `slow` would be ready (running) before any of this.
      expect(pm.get('slow')?.state).toBe('starting');
    } finally {
      await slow;
    }
    // They stop concurrently at shutdown (each is independent of the others).
    const events = record(pm);
    await pm.shutdown();
    expect(trace(events, ['stop']).sort()).toEqual(['stop:quick', 'stop:slow', 'stop:steady']);
  });
});

describe('tree view and paths', () => {
  it('lists parent, depth and start order in tree order, and events carry the path', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'top',
      strategy: 'one-for-one',
      children: [puppet('a'), { name: 'inner', strategy: 'one-for-all', children: [puppet('x'), puppet('y')] }, puppet('b')],
    });
    const rows = pm.list().map(({ name, kind, parent, depth, startOrder, path }) => ({ name, kind, parent, depth, startOrder, path }));
    expect(rows).toEqual([
      { name: 'top', kind: 'supervisor', parent: undefined, depth: 0, startOrder: 0, path: ['top'] },
      { name: 'a', kind: 'process', parent: 'top', depth: 1, startOrder: 0, path: ['top', 'a'] },
      { name: 'inner', kind: 'supervisor', parent: 'top', depth: 1, startOrder: 1, path: ['top', 'inner'] },
      { name: 'x', kind: 'process', parent: 'inner', depth: 2, startOrder: 0, path: ['top', 'inner', 'x'] },
      { name: 'y', kind: 'process', parent: 'inner', depth: 2, startOrder: 1, path: ['top', 'inner', 'y'] },
      { name: 'b', kind: 'process', parent: 'top', depth: 1, startOrder: 2, path: ['top', 'b'] },
    ]);
    expect(pm.get('x')?.parent).toBe('inner');
    const before = pids(pm, ['x', 'y']);
    poke(pm, 'x');
    await runningAgain(pm, before);
    const exit = events.find((e) => e.event === 'exit' && e.name === 'x');
    expect(exit?.payload.path).toEqual(['top', 'inner', 'x']);
    expect(exit?.payload.pid).toBe(before.x);
    const restart = events.find((e) => e.event === 'supervisor:restart');
    expect(restart?.payload.path).toEqual(['top', 'inner']);
    const spawn = events.filter((e) => e.event === 'spawn' && e.name === 'y').at(-1);
    expect(spawn?.payload.path).toEqual(['top', 'inner', 'y']);
    await reach(pm, 'inner', 'running');
  });
});
