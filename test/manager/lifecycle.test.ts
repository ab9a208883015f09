/**
 * The ProcessManager lifecycle through the public API with real processes: add, start, get, list,
 * stop, restart, remove, names, disposal and shutdown.
 */
import { describe, it } from 'vitest';
import { AlreadyExistsError, NotFoundError, ProcessManager, ShutdownError, StartFailedError } from '../../src/index.js';
import type { ManagerOptions, Snapshot } from '../../src/index.js';
import { FakeClock, flushPromises } from '../clock.js';
import { alive, track, until } from '../helpers.js';
import { killAll, nextEvent, nodeSpec, payloads, READY_LINE, record } from './support.js';

const FAST: ManagerOptions = { backoff: { type: 'fixed', delay: 20 }, shutdown: { timeout: 2000 } };

function manager(options: ManagerOptions = FAST): ProcessManager {
  return track(new ProcessManager(options));
}

describe.concurrent('add / start / get', () => {
  it('add registers a child without spawning it', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const handle = pm.add(nodeSpec('a', 'idle.mjs'));
    expect(handle.name).toBe('a');
    expect(handle.state).toBe('idle');
    expect(handle.pid).toBeUndefined();
    expect(pm.list().map((s) => [s.name, s.state, s.pid])).toEqual([['a', 'idle', undefined]]);
    // A start would have begun synchronously (state `starting`); a turn of the loop later, nothing.
    await flushPromises();
    expect(handle.state).toBe('idle');
    expect(seen).toEqual([]);
  });

  it('start(spec) resolves once started, with a live pid and spawn/ready events', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['spawn', 'ready']);
    const handle = await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE }));
    try {
      expect(handle.state).toBe('running');
      expect(handle.kind).toBe('process');
      expect(handle.parent).toBeUndefined();
      expect(handle.pid).toBeTypeOf('number');
      expect(alive(handle.pid as number)).toBe(true);
      expect(handle.startedAt).toBeTypeOf('number');
      expect(pm.get('a')?.pid).toBe(handle.pid);
      const [spawn] = payloads(seen, 'spawn');
      expect(spawn).toMatchObject({ name: 'a', pid: handle.pid, restarts: 0, path: ['a'] });
      expect(payloads(seen, 'ready')).toEqual([expect.objectContaining({ name: 'a', pid: handle.pid })]);
      expect(seen.map((r) => r.event)).toEqual(['spawn', 'ready']);
    } finally {
      killAll([handle.pid]);
    }
  });

  it('start(name) starts a child registered by add', async ({ expect }) => {
    const pm = manager();
    pm.add(nodeSpec('a', 'idle.mjs'));
    const handle = await pm.start('a');
    expect(handle.state).toBe('running');
    expect(alive(handle.pid as number)).toBe(true);
    await pm.stop('a');
  });

  it('starting a running child by name again is harmless: same pid, no new spawn', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('a', 'idle.mjs'));
    const seen = record(pm, ['spawn']);
    const again = await pm.start('a');
    expect(again.pid).toBe(handle.pid);
    expect(seen).toEqual([]);
    await pm.stop('a');
  });
});

describe.concurrent('list()', () => {
  it('returns plain, JSON-serialisable snapshots with every field, detached from live state', async ({ expect }) => {
    const pm = manager();
    pm.add(nodeSpec('idle', 'idle.mjs'));
    const running = await pm.start(nodeSpec('run', 'idle.mjs'));
    const list = pm.list();
    expect(list.map((s) => s.name)).toEqual(['idle', 'run']);
    for (const snapshot of list) {
      expect(Object.getPrototypeOf(snapshot)).toBe(Object.prototype);
      expect(Object.keys(snapshot).sort()).toEqual(
        ['depth', 'health', 'kind', 'lastExit', 'name', 'parent', 'path', 'pid', 'restarts', 'startOrder', 'startedAt', 'state', 'usage'].sort(),
      );
    }
    const run = list.find((s) => s.name === 'run') as Snapshot;
    expect(run).toMatchObject({ kind: 'process', state: 'running', pid: running.pid, restarts: 0, depth: 0, path: ['run'], parent: undefined });
    expect(run.startedAt).toBeTypeOf('number');
    expect(JSON.parse(JSON.stringify(list))).toEqual(list);

    // A snapshot is a copy: mutating it changes nothing, and it does not follow later changes.
    run.path.push('x');
    run.state = 'failed';
    expect(pm.list().find((s) => s.name === 'run')?.path).toEqual(['run']);
    await pm.stop('run');
    expect(pm.list().find((s) => s.name === 'run')).toMatchObject({ state: 'stopped', pid: undefined });
    expect(list.find((s) => s.name === 'idle')?.state).toBe('idle');
  });

  it('records lastExit as plain data after an exit', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('done', 'exit-with.mjs', ['0'], { restart: 'transient' }));
    await handle.waitFor('exited', { timeout: 5000 });
    const snap = pm.list()[0] as Snapshot;
    expect(snap).toMatchObject({ state: 'exited', pid: undefined, startedAt: undefined });
    expect(snap.lastExit).toMatchObject({ exitCode: 0, signal: null, class: 'normal', reason: 'exit' });
    expect(snap.lastExit?.time).toBeTypeOf('number');
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });
});

describe.concurrent('stop', () => {
  it('stops the process, keeps the spec, never restarts it, and can start it again', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ ...FAST, clock });
    const seen = record(pm, ['spawn', 'stop', 'exit', 'restart']);
    const handle = await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE }));
    const pid = handle.pid as number;
    await pm.stop('a');
    expect(handle.state).toBe('stopped');
    expect(handle.pid).toBeUndefined();
    expect(alive(pid)).toBe(false);
    expect(pm.get('a')).toBeDefined();
    expect(pm.list().map((s) => [s.name, s.state])).toEqual([['a', 'stopped']]);
    expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ name: 'a', pid, signal: 'SIGTERM' })]);
    expect(payloads(seen, 'exit')).toEqual([]);
    // No restart is scheduled, and time passing brings none.
    expect(clock.pending).toBe(0);
    await clock.advance(300);
    expect(payloads(seen, 'spawn')).toHaveLength(1);
    expect(payloads(seen, 'restart')).toEqual([]);

    const again = await pm.start('a');
    expect(again.state).toBe('running');
    expect(again.pid).not.toBe(pid);
    await pm.stop('a');
  });

  it('is idempotent: stopping a stopped or never-started child resolves at once', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['stop']);
    pm.add(nodeSpec('never', 'idle.mjs'));
    await pm.stop('never');
    expect(pm.get('never')?.state).toBe('stopped');
    await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE }));
    await pm.stop('a');
    await pm.stop('a');
    await pm.get('a')?.stop();
    expect(payloads(seen, 'stop')).toHaveLength(1);
    expect(pm.get('a')?.state).toBe('stopped');
  });

  it('a start during a stop waits for the stop, then starts a new incarnation', async ({ expect }) => {
    const pm = manager({ ...FAST, shutdown: { timeout: 1000 } });
    const seen = record(pm, ['stop', 'spawn']);
    const handle = await pm.start(nodeSpec('a', 'ignore-sigterm.mjs', [], { readiness: READY_LINE }));
    const first = handle.pid as number;
    const stopping = pm.stop('a');
    await until(() => handle.state === 'stopping', 2000, 'stopping');
    // The entry's supervisor is busy with the stop: the start is queued behind it.
    const started = await pm.start('a');
    await stopping;
    try {
      expect(started.state).toBe('running');
      expect(started.pid).not.toBe(first);
      expect(alive(first)).toBe(false);
      expect(seen.map((e) => e.event)).toEqual(['spawn', 'stop', 'spawn']);
    } finally {
      killAll([first, started.pid]);
    }
  });

  it('a stop during a stop completes with it (one ladder, one stop event)', async ({ expect }) => {
    const pm = manager({ ...FAST, shutdown: { timeout: 1000 } });
    const seen = record(pm, ['stop', 'kill']);
    const handle = await pm.start(nodeSpec('a', 'ignore-sigterm.mjs', [], { readiness: READY_LINE }));
    const pid = handle.pid as number;
    try {
      const done: string[] = [];
      const first = pm.stop('a').then(() => done.push('first'));
      const second = handle.stop().then(() => done.push('second'));
      await until(() => handle.state === 'stopping', 2000, 'stopping');
      expect(done).toEqual([]);
      await first;
      await second;
      expect(done.sort()).toEqual(['first', 'second']);
      expect(payloads(seen, 'kill')).toHaveLength(1);
      expect(payloads(seen, 'stop')).toHaveLength(1);
      expect(alive(pid)).toBe(false);
    } finally {
      killAll([pid]);
    }
  });
});

describe.concurrent('stop while starting', () => {
  it.for([
    { label: 'still spawning', readiness: undefined },
    { label: 'waiting for readiness', readiness: { type: 'log', pattern: 'listening' } as const },
  ])('$label: start rejects with a StartFailedError, the child is stopped, nothing failed or restarts', async ({ readiness }, { expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ ...FAST, clock });
    const seen = record(pm, ['spawn', 'start-failed', 'restart']);
    const starting = pm.start(nodeSpec('s', 'slow-ready.mjs', ['20000'], readiness ? { readiness } : {}));
    if (readiness) await nextEvent(pm, 'spawn');
    await pm.stop('s');
    const error = await starting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    expect(pm.get('s')?.state).toBe('stopped');
    for (const spawn of payloads(seen, 'spawn')) expect(alive(spawn.pid)).toBe(false);
    expect(clock.pending).toBe(0);
    await clock.advance(200);
    expect(payloads(seen, 'start-failed')).toEqual([]);
    expect(payloads(seen, 'restart')).toEqual([]);
    expect(payloads(seen, 'spawn').length).toBeLessThanOrEqual(1);
  });
});

describe.concurrent('restart / remove', () => {
  it('restart gives a new pid and the old one is gone', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE }));
    const first = handle.pid as number;
    const restarted = await pm.restart('a');
    const second = restarted.pid as number;
    expect(restarted.state).toBe('running');
    expect(second).toBeTypeOf('number');
    expect(second).not.toBe(first);
    expect(alive(first)).toBe(false);
    expect(alive(second)).toBe(true);
    // Handles are live views: the same object follows the new incarnation.
    const viaHandle = await handle.restart();
    expect(viaHandle.pid).not.toBe(second);
    expect(handle.pid).toBe(viaHandle.pid);
    expect(alive(second)).toBe(false);
    await pm.stop('a');
  });

  it('remove stops a running child and unregisters it; the name is free again', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE }));
    const pid = handle.pid as number;
    await pm.remove('a');
    expect(alive(pid)).toBe(false);
    expect(pm.get('a')).toBeUndefined();
    expect(pm.list()).toEqual([]);
    expect(handle.state).toBe('stopped');
    const again = pm.add(nodeSpec('a', 'idle.mjs'));
    expect(again.state).toBe('idle');
  });
});

describe.concurrent('names', () => {
  it('rejects a duplicate name with AlreadyExistsError and spawns nothing for it', async ({ expect }) => {
    const pm = manager();
    pm.add(nodeSpec('a', 'idle.mjs'));
    expect(() => pm.add(nodeSpec('a', 'idle.mjs'))).toThrow(AlreadyExistsError);
    await pm.start('a');
    const seen = record(pm, ['spawn']);
    const error = await pm.start(nodeSpec('a', 'idle.mjs')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as AlreadyExistsError).code).toBe('ALREADY_EXISTS');
    expect((error as Error).message).toMatch(/already started/);
    expect(seen).toEqual([]);
    expect(pm.list()).toHaveLength(1);
    await pm.stop('a');
  });

  it('rejects unknown names with NotFoundError; get returns undefined', async ({ expect }) => {
    const pm = manager();
    expect(pm.get('nope')).toBeUndefined();
    for (const attempt of [() => pm.start('nope'), () => pm.stop('nope'), () => pm.restart('nope'), () => pm.remove('nope')]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).code).toBe('NOT_FOUND');
    }
  });

  // waitFor() returns a promise: an unknown name rejects it, never throws synchronously.
  it('waitFor on an unknown name rejects instead of throwing synchronously', async ({ expect }) => {
    const pm = manager();
    let promise: Promise<void> | undefined;
    expect(() => {
      promise = pm.waitFor('nope', 'running');
    }).not.toThrow();
    await expect(promise).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe.concurrent('independent entries', () => {
  it('starts entries concurrently: one slow readiness does not hold up another', async ({ expect }) => {
    const pm = manager();
    const slow = { type: 'log', pattern: 'listening' } as const;
    const slowStart = pm.start(nodeSpec('slow', 'slow-ready.mjs', ['1500'], { readiness: slow }));
    await pm.start(nodeSpec('quick', 'idle.mjs', [], { readiness: READY_LINE }));
    // Had the starts been serialised, `slow` would be running by now.
    expect(pm.get('slow')?.state).toBe('starting');
    await slowStart;
    await pm.shutdown();
  });

  it('a slow stop of one entry does not hold up starting or stopping another', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ ...FAST, clock, shutdown: { timeout: 4000 } });
    const stubborn = await pm.start(nodeSpec('stubborn', 'ignore-sigterm.mjs', [], { readiness: READY_LINE }));
    const pid = stubborn.pid as number;
    try {
      const slowStop = pm.stop('stubborn');
      const other = await pm.start(nodeSpec('other', 'idle.mjs', [], { readiness: READY_LINE }));
      await pm.stop('other');
      expect(other.state).toBe('stopped');
      // The ladder of `stubborn` waits on the clock, which has not moved: had the operations been
      // serialised, none of the above could have happened yet.
      expect(stubborn.state).toBe('stopping');
      await clock.advance(4000);
      await slowStop;
      expect(alive(pid)).toBe(false);
    } finally {
      killAll([pid]);
    }
  });
});

describe.concurrent('disposal and shutdown', () => {
  it('`await using` shuts the manager down at the end of the scope', async ({ expect }) => {
    let pid: number | undefined;
    try {
      {
        await using pm = new ProcessManager(FAST);
        pid = (await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE }))).pid;
        expect(alive(pid as number)).toBe(true);
      }
      expect(alive(pid as number)).toBe(false);
    } finally {
      killAll([pid]);
    }
  });

  it('shutdown is idempotent and the manager refuses new work afterwards', async ({ expect }) => {
    const pm = manager();
    const a = await pm.start(nodeSpec('a', 'idle.mjs'));
    const first = pm.shutdown();
    const second = pm.shutdown();
    expect(second).toBe(first);
    await first;
    await pm.shutdown();
    expect(alive(a.pid ?? -1)).toBe(false);
    expect(a.state).toBe('stopped');
    expect(() => pm.add(nodeSpec('b', 'idle.mjs'))).toThrow(ShutdownError);
    await expect(pm.start(nodeSpec('b', 'idle.mjs'))).rejects.toBeInstanceOf(ShutdownError);
    await expect(pm.restart('a')).rejects.toBeInstanceOf(ShutdownError);
  });

  it('stops independent top-level entries concurrently: a slow one holds up none of the others', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ ...FAST, clock, shutdown: { timeout: 60_000 } });
    const seen = record(pm, ['stop']);
    const stubborn = await pm.start(nodeSpec('stubborn', 'ignore-sigterm.mjs', [], { readiness: READY_LINE }));
    for (const name of ['a', 'b', 'c']) await pm.start(nodeSpec(name, 'idle.mjs', [], { readiness: READY_LINE }));
    const shutdown = pm.shutdown();
    // The others are stopped while `stubborn` still waits out its ladder on the (unmoved) clock.
    await until(() => payloads(seen, 'stop').length === 3, 10_000, 'the other three to stop');
    expect(payloads(seen, 'stop').map((e) => e.name).sort()).toEqual(['a', 'b', 'c']);
    expect(stubborn.state).toBe('stopping');
    await clock.advance(60_000);
    await shutdown;
    expect(pm.list().map((s) => s.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
  });

  it('cancels a pending backoff restart: nothing spawns after shutdown', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ ...FAST, clock, backoff: { type: 'fixed', delay: 400 } });
    const seen = record(pm, ['spawn']);
    const handle = await pm.start(nodeSpec('crash', 'crash-after.mjs', ['30']));
    await nextEvent(pm, 'restart');
    expect(handle.state).toBe('backoff');
    await pm.shutdown();
    expect(clock.pending).toBe(0);
    await clock.advance(700); // past the cancelled restart's due time
    expect(payloads(seen, 'spawn')).toHaveLength(1);
    expect(handle.state).toBe('stopped');
  });
});
