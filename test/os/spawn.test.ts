/**
 * When spawnChild (src/os/spawn.ts) settles: a spawned child resolves on a tick after everything
 * queued while it was spawned (Node's own `spawn` event, the reaper's write of the run), so the
 * start's `spawn` event follows them as documented; a program that cannot be spawned rejects with
 * a SpawnFailedError naming it.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnFailedError } from '../../src/api/errors.js';
import { newTreeCookie } from '../../src/os/cookie.js';
import { spawnChild } from '../../src/os/spawn.js';
import { resolveManagerOptions, resolveProcessSpec } from '../../src/spec/resolve.js';
import { fixture, NODE } from '../helpers.js';

const DEFAULTS = resolveManagerOptions({}).defaults;
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }),
  );
});

describe('spawnChild', () => {
  it('resolves after the ticks queued at the fork (where the reaper writes) and after Node emitted `spawn`', async () => {
    const order: string[] = [];
    const spec = resolveProcessSpec({ name: 'idle', command: NODE, args: [fixture('idle.mjs')] }, DEFAULTS);
    const spawning = spawnChild(spec, newTreeCookie(true), (pid) => {
      order.push(`forked ${pid > 0}`);
      process.nextTick(() => order.push('tick queued at the fork'));
    });
    void Promise.resolve().then(() => order.push('microtask'));
    const child = await spawning;
    children.push(child);
    order.push('resolved');
    expect(order).toEqual(['forked true', 'microtask', 'tick queued at the fork', 'resolved']);
    // Node's `spawn` event has been emitted: a listener added now never hears it.
    let heard = false;
    child.once('spawn', () => (heard = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toBe(false);
    expect(child.pid).toBeGreaterThan(0);
  });

  it('a program that does not exist rejects with a SpawnFailedError naming it', async () => {
    const spec = resolveProcessSpec({ name: 'ghost', command: '/nonexistent/procvisor-ghost' }, DEFAULTS);
    const error = await spawnChild(spec, newTreeCookie(true)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect((error as SpawnFailedError).message).toMatch(/procvisor-ghost/);
  });
});
