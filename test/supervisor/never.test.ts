/**
 * `restart: 'never'` (PM2's `autorestart: false`): a child that runs once and keeps its record —
 * listed as `exited` with its exit and output, whatever the exit class — and that a group restart
 * stops with the group but never starts again.
 */
import { describe, expect, it } from 'vitest';
import type { ExitEvent } from '../../src/index.js';
import { manager, pidOf, pids, poke, puppet, reach, record, runningAgain } from './helpers.js';

describe("restart: 'never'", () => {
  it.each([
    ['abnormal', 'SIGUSR1', 1],
    ['normal', 'SIGUSR2', 0],
  ] as const)('a top-level child that ends %s stays listed as exited, with its exit and logs', async (cls, signal, code) => {
    const pm = manager();
    const events = record(pm);
    const handle = await pm.start(puppet('once', [], { restart: 'never' }));
    poke(pm, 'once', signal);
    await reach(pm, 'once', 'exited');
    const exit = events.find((e) => e.event === 'exit' && e.name === 'once')?.payload as ExitEvent;
    expect([exit.exitCode, exit.class, exit.willRestart]).toEqual([code, cls, false]);
    expect(pm.list().map((s) => [s.name, s.state])).toEqual([['once', 'exited']]);
    expect(handle.lastExit).toMatchObject({ exitCode: code, class: cls });
    expect(handle.logs().map((l) => l.line)).toContain('ready');
    expect(handle.restarts).toBe(0);
    expect(events.filter((e) => e.event === 'spawn')).toHaveLength(1);
    // It is still there to be started by hand.
    await handle.restart();
    expect(handle.state).toBe('running');
  });

  it('is stopped by a one-for-all group restart and stays stopped; the others restart', async () => {
    const pm = manager();
    await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      children: [puppet('a'), puppet('once', [], { restart: 'never' }), puppet('c')],
    });
    const before = pids(pm, ['a', 'c']);
    const oncePid = pidOf(pm, 'once');
    poke(pm, 'a');
    await runningAgain(pm, before);
    expect(pm.get('once')?.state).toBe('stopped');
    expect(pm.get('once')?.pid).toBeUndefined();
    expect(oncePid).toBeGreaterThan(0);
    expect(pm.list().map((s) => s.name)).toEqual(['tree', 'a', 'once', 'c']);
  });
});
