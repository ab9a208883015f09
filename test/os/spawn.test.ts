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
import { childEnv, setVariable, spawnChild } from '../../src/os/spawn.js';
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
    const child = await spawnChild(spec, newTreeCookie(true), (pid) => {
      order.push(`forked ${pid > 0}`);
      process.nextTick(() => {
        order.push('tick queued at the fork');
        // Lands before the resolution only if the resolving tick was queued after this one: Node
        // runs every queued tick before the promise jobs they queue.
        void Promise.resolve().then(() => order.push('its promise job'));
      });
    });
    children.push(child);
    order.push('resolved');
    expect(order).toEqual(['forked true', 'tick queued at the fork', 'its promise job', 'resolved']);
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

  it('a variable named __proto__ reaches the child environment as a variable', () => {
    const env: NodeJS.ProcessEnv = {};
    setVariable(env, '__proto__', 'x');
    expect(Object.keys(env)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    const fromSpec = childEnv({ env: JSON.parse('{"__proto__":"y","A":"1"}') as Record<string, string>, extendEnv: false, ipc: false });
    expect(Object.getOwnPropertyDescriptor(fromSpec, '__proto__')?.value).toBe('y');
    expect(fromSpec.A).toBe('1');
  });
});
