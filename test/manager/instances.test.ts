/**
 * `instances: N`: N replicas under a one-for-one supervisor named like the spec.
 */
import { describe, expect, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import { fixture, NODE, track, until } from '../helpers.js';

describe('instances', () => {
  it('starts N replicas named name#i, each with PROCVISOR_INSTANCE, under a supervisor', async () => {
    const pm = track(new ProcessManager());
    const web = await pm.start({
      name: 'web',
      command: NODE,
      args: [fixture('echo-env.mjs'), 'PROCVISOR_INSTANCE'],
      instances: 3,
      readiness: { type: 'log', pattern: /PROCVISOR_INSTANCE=/ },
    });
    expect(web.kind).toBe('supervisor');
    expect(pm.list().map((s) => [s.name, s.parent, s.depth])).toEqual([
      ['web', undefined, 0],
      ['web#0', 'web', 1],
      ['web#1', 'web', 1],
      ['web#2', 'web', 1],
    ]);
    for (const i of [0, 1, 2]) {
      expect(pm.get(`web#${i}`)?.logs().map((l) => l.line)).toEqual([`PROCVISOR_INSTANCE=${i}`]);
    }
    const pids = [0, 1, 2].map((i) => pm.get(`web#${i}`)?.pid);
    expect(new Set(pids).size).toBe(3);
  });

  it('restarts a crashed replica alone, and stops all replicas by the group name', async () => {
    const pm = track(new ProcessManager({ backoff: { type: 'fixed', delay: 10 } }));
    await pm.start({ name: 'pool', command: NODE, args: [fixture('idle.mjs')], instances: 2, readiness: { type: 'log', pattern: /^ready/ } });
    const [a, b] = [pm.get('pool#0'), pm.get('pool#1')];
    const [pidA, pidB] = [a?.pid, b?.pid];
    process.kill(pidA as number, 'SIGKILL');
    await until(() => a?.state === 'running' && a.pid !== pidA, 10_000, 'pool#0 to restart');
    expect(b?.pid).toBe(pidB);
    await pm.stop('pool');
    expect([a?.state, b?.state]).toEqual(['stopped', 'stopped']);
    expect(pm.get('pool')?.state).toBe('stopped');
  });

  it('rejects a bad instance count before anything spawns', () => {
    const pm = track(new ProcessManager());
    expect(() => pm.add({ name: 'x', command: NODE, instances: 0 })).toThrow(/instances/);
    expect(pm.list()).toEqual([]);
  });
});
