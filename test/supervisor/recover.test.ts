/**
 * `recover.after`, the circuit breaker of a failed top-level entry, with real processes on the
 * fake clock: the cool-down, the half-open attempt that succeeds (closed, with a fresh restart
 * window) or fails (open again, another cool-down), cancellation by hand, and placement rules.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { until } from '../helpers.js';
import { manager, pidOf, poke, puppet, reach, runningAgain } from './helpers.js';
import { of, recordPolicy, steps } from './policy-helpers.js';

const now = { type: 'fixed' as const, delay: 0 };
const once = { maxRestarts: 1, period: 60_000 };
const KINDS = ['give-up', 'recover-scheduled', 'recover', 'start-failed', 'ready'] as const;

describe('recover.after', () => {
  it('starts a failed entry again after the cool-down, with a fresh restart window (half-open → closed)', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const seen = recordPolicy(pm);
    await pm.start(puppet('svc', [], { backoff: now, intensity: once, recover: { after: '5s' } }));
    await runningAgain(pm, { svc: poke(pm, 'svc') });
    poke(pm, 'svc');
    await reach(pm, 'svc', 'failed');
    expect(of(seen, 'recover-scheduled')).toEqual([expect.objectContaining({ name: 'svc', path: ['svc'], after: 5000 })]);
    const failedAt = clock.now();
    expect(clock.nextDue).toBe(failedAt + 5000);
    await clock.advance(4999);
    expect(pm.get('svc')?.state).toBe('failed');
    expect(of(seen, 'recover')).toEqual([]);

    await clock.advance(1);
    await reach(pm, 'svc', 'running');
    expect(of(seen, 'recover')).toEqual([expect.objectContaining({ name: 'svc', attempt: 1, time: failedAt + 5000 })]);
    // Closed: a crash now is restarted by the policy, from a fresh window (one restart allowed).
    await runningAgain(pm, { svc: poke(pm, 'svc') });
    expect(pm.get('svc')?.state).toBe('running');
    expect(steps(seen, [...KINDS]).filter((s) => s.endsWith(':svc'))).toEqual([
      'ready:svc', 'ready:svc', 'give-up:svc', 'recover-scheduled:svc', 'recover:svc', 'ready:svc', 'ready:svc',
    ]);
    // Giving up again opens the breaker again.
    poke(pm, 'svc');
    await reach(pm, 'svc', 'failed');
    expect(of(seen, 'recover-scheduled')).toHaveLength(2);
    await clock.advance(5000);
    await reach(pm, 'svc', 'running');
    expect(of(seen, 'recover').map((e) => e.attempt)).toEqual([1, 1]);
  });

  it('returns to failed and waits another cool-down when the attempt fails to start (half-open → open)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procvisor-recover-'));
    const failing = join(dir, 'fail');
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const seen = recordPolicy(pm);
    try {
      await pm.start(puppet('svc', [`fail-if=${failing}`], { backoff: now, intensity: once, recover: { after: 1000 } }));
      writeFileSync(failing, '');
      // The crash is restart 1; its failed start is restart 2, which exceeds: give-up.
      poke(pm, 'svc');
      await reach(pm, 'svc', 'failed');
      await clock.advance(1000);
      await until(() => of(seen, 'recover-scheduled').length === 2, 10_000, 'a second cool-down');
      expect(pm.get('svc')?.state).toBe('failed');
      rmSync(failing);
      await clock.advance(1000);
      await reach(pm, 'svc', 'running');
      expect(steps(seen, [...KINDS]).filter((s) => s.endsWith(':svc'))).toEqual([
        'ready:svc', 'start-failed:svc', 'give-up:svc', 'recover-scheduled:svc',
        'recover:svc', 'start-failed:svc', 'recover-scheduled:svc',
        'recover:svc', 'ready:svc',
      ]);
      expect(of(seen, 'recover').map((e) => e.attempt)).toEqual([1, 2]);
      expect(pidOf(pm, 'svc')).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recovers a failed top-level tree', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock, backoff: now });
    const seen = recordPolicy(pm);
    await pm.start({ name: 'tree', strategy: 'one-for-one', intensity: once, recover: { after: 2000 }, children: [puppet('a'), puppet('b')] });
    await runningAgain(pm, { a: poke(pm, 'a') });
    poke(pm, 'a');
    await reach(pm, 'tree', 'failed');
    expect(of(seen, 'recover-scheduled')).toEqual([expect.objectContaining({ name: 'tree', after: 2000 })]);
    await clock.advance(2000);
    await reach(pm, 'tree', 'running');
    expect([pm.get('a')?.state, pm.get('b')?.state]).toEqual(['running', 'running']);
    expect(of(seen, 'recover')).toEqual([expect.objectContaining({ name: 'tree', path: ['tree'], attempt: 1 })]);
  });

  it('is cancelled by a stop, a removal or a shutdown while the entry waits', async () => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock, backoff: now });
    const seen = recordPolicy(pm);
    const fail = async (name: string): Promise<void> => {
      await pm.start(puppet(name, [], { intensity: { maxRestarts: 0, period: 60_000 }, recover: { after: 1000 } }));
      poke(pm, name);
      await reach(pm, name, 'failed');
    };
    await fail('stopped');
    await pm.stop('stopped');
    expect(pm.get('stopped')?.state).toBe('stopped');
    await fail('removed');
    await pm.remove('removed');
    await fail('down');
    expect(clock.pending).toBe(1);
    await pm.shutdown();
    expect(clock.pending).toBe(0);
    await clock.advance(10_000);
    expect(of(seen, 'recover-scheduled')).toHaveLength(3);
    expect(of(seen, 'recover')).toEqual([]);
  });

  it('is rejected below the top level, naming the field', async () => {
    const pm = manager();
    const nested = () =>
      pm.add({ name: 'outer', strategy: 'one-for-one', children: [puppet('inner', [], { recover: { after: '1s' } })] });
    expect(nested).toThrow(InvalidSpecError);
    expect(nested).toThrow(/`children\[0\]\.recover` to be absent below the top level/);
    const nestedTree = () =>
      pm.add({ name: 'outer2', strategy: 'one-for-one', children: [{ name: 'sub', strategy: 'one-for-one', recover: { after: 1 }, children: [] }] });
    expect(nestedTree).toThrow(/`children\[0\]\.recover`/);
    await pm.start({ name: 'parent', strategy: 'one-for-one', children: [puppet('first')] });
    expect(() => pm.add(puppet('dyn', [], { recover: { after: '1s' } }), { parent: 'parent' })).toThrow(/`recover` to be absent below the top level/);
    expect(() => pm.add(puppet('top', [], { recover: { after: 0 } }))).toThrow(/`recover\.after` to be a positive duration/);
    expect(() => pm.add(puppet('top', [], { recover: {} as never }))).toThrow(/`recover\.after`/);
    expect(pm.get('inner') ?? pm.get('dyn') ?? pm.get('top')).toBeUndefined();
  });
});
