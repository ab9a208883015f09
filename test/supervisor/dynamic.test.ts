import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, StartFailedError, InvalidStateError } from '../../src/index.js';
import { alive, until } from '../helpers.js';
import { manager, pidOf, pids, poke, puppet, reach, record, runningAgain, trace } from './helpers.js';

const tree = (extra: object = {}) => ({
  name: 'tree',
  strategy: 'one-for-all' as const,
  children: [puppet('a'), puppet('b')],
  ...extra,
});

describe('dynamic children', () => {
  it('starts a child added at runtime last and stops it first', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start(tree());
    const handle = await pm.start(puppet('dyn'), { parent: 'tree' });
    expect(handle.state).toBe('running');
    expect(handle.parent).toBe('tree');
    expect(pm.list().map((s) => [s.name, s.startOrder])).toEqual([['tree', 0], ['a', 0], ['b', 1], ['dyn', 2]]);
    // It is part of the group: one-for-all restarts it, in start order.
    const before = pids(pm, ['a', 'b', 'dyn']);
    poke(pm, 'a');
    await runningAgain(pm, before);
    const restart = events.find((e) => e.event === 'supervisor:restart')?.payload as { children: string[] };
    expect(restart.children).toEqual(['a', 'b', 'dyn']);
    const mark = events.length;
    await pm.stop('tree');
    expect(trace(events.slice(mark), ['stop'])).toEqual(['stop:dyn', 'stop:b', 'stop:a']);
  });

  it('registers without starting with add, then starts by name', async () => {
    const pm = manager();
    await pm.start(tree());
    const handle = pm.add(puppet('later'), { parent: 'tree' });
    expect(handle.state).toBe('idle');
    expect(pm.list().at(-1)).toMatchObject({ name: 'later', parent: 'tree', state: 'idle', startOrder: 2 });
    await pm.start('later');
    expect(handle.state).toBe('running');
  });

  it('rejects duplicate names anywhere in the manager', async () => {
    const pm = manager();
    await pm.start(puppet('top'));
    await pm.start(tree());
    await pm.stop('b');
    const running = await pm.start(puppet('a'), { parent: 'tree' }).catch((e: unknown) => e);
    expect(running).toBeInstanceOf(AlreadyExistsError);
    expect((running as AlreadyExistsError).code).toBe('ALREADY_EXISTS');
    expect((running as Error).message).toMatch(/already started/);
    const stopped = await pm.start(puppet('b'), { parent: 'tree' }).catch((e: unknown) => e);
    expect((stopped as Error).message).toMatch(/already present/);
    expect(() => pm.add(puppet('top'), { parent: 'tree' })).toThrow(AlreadyExistsError);
    expect(() => pm.add({ name: 'sub', strategy: 'one-for-one', children: [puppet('a')] }, { parent: 'tree' })).toThrow(AlreadyExistsError);
    expect(pm.list().map((s) => s.name)).toEqual(['top', 'tree', 'a', 'b']);
  });

  it('discards a dynamic child that fails to start, without counting a restart', async () => {
    const failing = join(mkdtempSync(join(tmpdir(), 'procvisor-sup-')), 'fail');
    writeFileSync(failing, '');
    const pm = manager();
    await pm.start(tree({ intensity: { maxRestarts: 0, period: 60_000 } }));
    const before = pids(pm, ['a', 'b']);
    const error = await pm.start(puppet('bad', [`fail-if=${failing}`]), { parent: 'tree' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    expect(pm.get('bad')).toBeUndefined();
    expect(pm.list().map((s) => s.name)).toEqual(['tree', 'a', 'b']);
    expect(pids(pm, ['a', 'b'])).toEqual(before);
    expect(pm.get('tree')?.state).toBe('running');
  });

  it('stops by hand: keeps the spec, never counts, idempotent; starts again in place', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start(tree({ intensity: { maxRestarts: 0, period: 60_000 } }));
    const a = pidOf(pm, 'a');
    await Promise.all([pm.stop('a'), pm.stop('a')]);
    await pm.stop('a');
    expect(alive(a)).toBe(false);
    expect(pm.get('a')?.state).toBe('stopped');
    expect(pm.get('tree')?.state).toBe('running');
    expect(trace(events, ['stop', 'exit', 'supervisor:restart', 'supervisor:give-up'])).toEqual(['stop:a']);
    await pm.start('a');
    expect(pm.list().map((s) => [s.name, s.state, s.startOrder])).toEqual([
      ['tree', 'running', 0],
      ['a', 'running', 0],
      ['b', 'running', 1],
    ]);
  });

  it('removes a child: stops it first, then unregisters it', async () => {
    const pm = manager();
    await pm.start(tree());
    await pm.start(puppet('dyn'), { parent: 'tree' });
    const [a, dyn] = [pidOf(pm, 'a'), pidOf(pm, 'dyn')];
    await pm.remove('dyn');
    await pm.remove('a');
    expect([alive(a), alive(dyn)]).toEqual([false, false]);
    expect([pm.get('a'), pm.get('dyn')]).toEqual([undefined, undefined]);
    expect(pm.list().map((s) => s.name)).toEqual(['tree', 'b']);
    // The name is free again.
    await pm.start(puppet('dyn'), { parent: 'tree' });
    expect(pm.get('dyn')?.state).toBe('running');
  });

  it('refuses to start a child under a supervisor that is not running', async () => {
    const pm = manager();
    await pm.start(tree());
    await pm.stop('tree');
    const error = await pm.start(puppet('late'), { parent: 'tree' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStateError);
    expect(pm.get('late')).toBeUndefined();
    const again = await pm.start('a').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(InvalidStateError);
    expect(pm.get('a')?.state).toBe('stopped');
  });

  it('starts again from its static children: runtime additions gone, removed ones back', async () => {
    const pm = manager();
    await pm.start({
      name: 'outer',
      strategy: 'one-for-one',
      children: [
        {
          name: 'inner',
          strategy: 'one-for-one',
          intensity: { maxRestarts: 0, period: 60_000 },
          children: [puppet('p'), puppet('t', [], { restart: 'temporary' }), puppet('r')],
        },
      ],
    });
    await pm.start(puppet('dyn'), { parent: 'inner' });
    poke(pm, 't');
    await until(() => pm.get('t') === undefined, 10_000, 't removed');
    await pm.remove('r');
    expect(pm.list().filter((s) => s.parent === 'inner').map((s) => s.name)).toEqual(['p', 'dyn']);
    const p = poke(pm, 'p');
    await until(() => pm.get('t')?.state === 'running' && pm.get('r')?.state === 'running', 10_000, 'inner restarted');
    await reach(pm, 'p', 'running');
    expect(pidOf(pm, 'p')).not.toBe(p);
    expect(pm.list().filter((s) => s.parent === 'inner').map((s) => [s.name, s.state])).toEqual([
      ['p', 'running'],
      ['t', 'running'],
      ['r', 'running'],
    ]);
    expect(pm.get('dyn')).toBeUndefined();
  });
});
