/**
 * PM2's readiness habit: an app calls `process.send('ready')`. With `ipc: true` and an `ipc`
 * readiness probe, that bare string is readiness (readyData undefined) and not a `message` event;
 * every other plain message still arrives as one. procvisor/child's `send('ready')` stays a message.
 */
import { describe, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import { encodeChildMessage, encodeMessage, isBareReady } from '../../src/ipc/protocol.js';
import { ROOT } from '../health/integration-support.js';
import { track } from '../helpers.js';
import { nodeSpec, payloads, record } from '../manager/support.js';

function manager(): ProcessManager {
  return track(new ProcessManager({ shutdown: { timeout: 2000 } }));
}

describe.concurrent("process.send('ready')", () => {
  it('is readiness for an `ipc` probe; other plain messages are still `message` events', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['message', 'ready']);
    const handle = await pm.start(nodeSpec('pm2-app', 'pm2-ready.mjs', ['bare'], { ipc: true, readiness: { type: 'ipc' }, startTimeout: 10_000 }));
    expect(handle.state).toBe('running');
    expect(handle.readyData).toBeUndefined();
    expect(payloads(seen, 'ready')).toEqual([expect.objectContaining({ name: 'pm2-app', data: undefined })]);
    // Sent before `ready`, on the same channel: it has arrived by now, and `ready` did not come as a message.
    expect(payloads(seen, 'message').map((e) => e.message)).toEqual([{ hello: 'world' }]);
    await pm.stop('pm2-app');
  });

  it("procvisor/child's send('ready') is a message, its ready() the readiness", async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['message']);
    const handle = await pm.start({
      ...nodeSpec('helper-app', 'pm2-ready.mjs', ['helper'], { ipc: true, readiness: { type: 'ipc' }, startTimeout: 10_000 }),
      cwd: ROOT,
    });
    expect(handle.readyData).toEqual({ via: 'helper' });
    expect(payloads(seen, 'message').map((e) => e.message)).toEqual([{ hello: 'world' }, 'ready']);
    await pm.stop('helper-app');
  });
});

describe("the bare 'ready' on the wire", () => {
  it("is wrapped when procvisor/child sends it as a message, and left bare from the host", ({ expect }) => {
    expect(isBareReady('ready')).toBe(true);
    expect(isBareReady({ type: 'ready' })).toBe(false);
    expect(encodeChildMessage('ready')).toEqual({ procvisor: 1, type: 'message', payload: 'ready' });
    expect(encodeChildMessage('other')).toBe('other');
    // A host's `send('ready')` reaches a plain child as the string it sent.
    expect(encodeMessage('ready')).toBe('ready');
  });
});
