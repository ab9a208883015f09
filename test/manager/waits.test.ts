/**
 * Every wait takes `{ timeout, signal }`. A start that runs out of its wait, or whose signal
 * aborts, is abandoned: the child is stopped and nothing is left running; a shutdown whose signal
 * aborts kills what still runs at once, as its timeout does.
 */
import { describe, expect, it } from 'vitest';
import { ProcessManager, TimeoutError } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { alive, track, until } from '../helpers.js';
import { nextEvent, nodeSpec, READY_LINE } from './support.js';

/** Prints `booting`, and `listening on 4242` only after 60 s: a start that waits on it never ends by itself. */
const slow = (name: string) => nodeSpec(name, 'slow-ready.mjs', ['60000'], { readiness: { type: 'log', pattern: /listening/ } });

describe('start({ timeout, signal })', () => {
  it('abandons a start that outlives its timeout: TimeoutError, the child stopped and gone', async () => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock }));
    const spawned = nextEvent(pm, 'spawn');
    const starting = pm.start(slow('slow'), { timeout: '2s' }).catch((error: unknown) => error);
    const { pid } = await spawned;
    await clock.advance(2000);
    const error = await starting;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/`slow` was not started within 2000 ms .*it was stopped/);
    await pm.waitFor('slow', 'stopped', { timeout: 10_000 });
    expect(alive(pid)).toBe(false);
  });

  it('abandons a start whose signal aborts, rejecting with the reason', async () => {
    const pm = track(new ProcessManager());
    const spawned = nextEvent(pm, 'spawn');
    const controller = new AbortController();
    const starting = pm.start(slow('slow'), { signal: controller.signal }).catch((error: unknown) => error);
    const { pid } = await spawned;
    const reason = new Error('the test gave up');
    controller.abort(reason);
    expect(await starting).toBe(reason);
    await pm.waitFor('slow', 'stopped', { timeout: 10_000 });
    expect(alive(pid)).toBe(false);
  });

  it('a start that finishes in time resolves as usual, leaving no timer behind', async () => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock }));
    const handle = await pm.start(nodeSpec('quick', 'idle.mjs', [], { readiness: READY_LINE }), { timeout: '1m' });
    expect(handle.state).toBe('running');
    expect(clock.pending).toBe(0);
  });

  it('parent only places a new spec', async () => {
    const pm = track(new ProcessManager());
    pm.add(nodeSpec('added', 'idle.mjs'));
    await expect(pm.start('added', { parent: 'x' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', path: 'parent' });
  });
});

describe('shutdown({ signal })', () => {
  it('kills what still runs as soon as the signal aborts', async () => {
    const pm = new ProcessManager();
    const handle = await pm.start(nodeSpec('stubborn', 'ignore-sigterm.mjs', [], { readiness: READY_LINE, shutdown: { timeout: Infinity } }));
    const pid = handle.pid as number;
    const controller = new AbortController();
    const done = pm.shutdown({ signal: controller.signal });
    // The child ignores SIGTERM and its stop waits for ever: only the abort can end the shutdown.
    await until(() => handle.logs().some((l) => l.line === 'got SIGTERM'), 10_000, 'the SIGTERM to arrive');
    controller.abort();
    await done;
    expect(alive(pid)).toBe(false);
  });
});
