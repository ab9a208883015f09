/**
 * Each incarnation sees its restart count in `PROCVISOR_RESTARTS`: 0 for the first, then the number
 * the `spawn` event reports as `restarts`, beside `PROCVISOR_INSTANCE` for replicas. A spec that sets
 * the variable itself keeps its value.
 */
import { describe, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import { track, until } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, record } from './support.js';

function manager(): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 20 }, shutdown: { timeout: 2000 } }));
}

describe.concurrent('PROCVISOR_RESTARTS', () => {
  it('is 0 in the first incarnation and the restart count after a crash, as the spawn event says', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['spawn', 'output']);
    const respawned = nextEvent(pm, 'spawn', (e) => e.name === 'crashy' && e.restarts === 1, 10_000);
    const handle = await pm.start(nodeSpec('crashy', 'echo-env-crash.mjs', ['PROCVISOR_RESTARTS']));
    await respawned;
    await until(() => payloads(seen, 'output').length === 2, 10_000, 'the second incarnation to print');
    expect(payloads(seen, 'spawn').map((e) => e.restarts)).toEqual([0, 1]);
    expect(payloads(seen, 'output').map((e) => e.line)).toEqual(['PROCVISOR_RESTARTS=0', 'PROCVISOR_RESTARTS=1']);
    expect(handle.restarts).toBe(1);
    await pm.stop('crashy');
  });

  it('sits beside PROCVISOR_INSTANCE in replicas, and a spec that sets it wins', async ({ expect }) => {
    const pm = manager();
    await pm.start(
      nodeSpec('web', 'echo-env.mjs', ['PROCVISOR_INSTANCE', 'PROCVISOR_RESTARTS'], {
        instances: 2,
        readiness: { type: 'log', pattern: /PROCVISOR_RESTARTS/ },
      }),
    );
    for (const i of [0, 1]) {
      expect(pm.get(`web#${i}`)?.logs().map((l) => l.line)).toEqual([`PROCVISOR_INSTANCE=${i}`, 'PROCVISOR_RESTARTS=0']);
    }
    const own = await pm.start(
      nodeSpec('own', 'echo-env.mjs', ['PROCVISOR_RESTARTS'], { env: { PROCVISOR_RESTARTS: 'mine' }, readiness: { type: 'log', pattern: /PROCVISOR_RESTARTS/ } }),
    );
    expect(own.logs().map((l) => l.line)).toEqual(['PROCVISOR_RESTARTS=mine']);
    await pm.shutdown();
  });
});

describe('the host environment', () => {
  it('is read at each spawn: a variable the host sets after the first start reaches the next incarnation', async ({ expect }) => {
    const pm = manager();
    const key = `PROCVISOR_TEST_LATE_${process.pid}`;
    try {
      const first = await pm.start(nodeSpec('late', 'echo-env.mjs', [key], { readiness: { type: 'log', pattern: key } }));
      expect(first.logs().map((l) => l.line)).toEqual([`${key} is unset`]);
      process.env[key] = 'set later';
      const again = await pm.restart('late');
      expect(again.logs().map((l) => l.line).at(-1)).toBe(`${key}=set later`);
    } finally {
      delete process.env[key];
      await pm.shutdown();
    }
  });
});
