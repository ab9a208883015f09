import { afterEach, describe, expect, it } from 'vitest';
import * as child from '../../src/child/index.js';
import { IpcChannel } from '../../src/ipc/channel.js';
import { SUPERVISED_ENV } from '../../src/ipc/protocol.js';
import { until } from '../helpers.js';
import { startFixture, type FixtureProcess } from '../health/fixture-process.js';

const started: FixtureProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((proc) => proc.stop()));
});

const allNoOps = {
  isSupervised: false,
  ready: false,
  heartbeat: false,
  send: false,
  onMessage: 'function',
  onShutdown: 'function',
  markerLeft: null,
};

async function runUnsupervised(options: Parameters<typeof startFixture>[2]) {
  const proc = startFixture('ipc-unsupervised.mjs', [], { ...options });
  started.push(proc);
  const messages: unknown[] = [];
  proc.child.on('message', (message) => messages.push(message));
  const results: unknown = JSON.parse(await proc.line(15_000));
  // Nothing keeps it alive: no listener was installed, so it ends by itself.
  expect(await proc.exited()).toEqual({ code: 0, signal: null });
  return { results, messages };
}

describe('procvisor/child', () => {
  it('is a no-op in this test worker (an IPC channel to a parent that is not procvisor)', () => {
    const sigterm = process.listenerCount('SIGTERM');
    const messages = process.listenerCount('message');
    expect(child.isSupervised()).toBe(false);
    expect(child.ready({ port: 1 })).toBe(false);
    expect(child.heartbeat()).toBe(false);
    expect(child.send('hello')).toBe(false);
    child.onShutdown(() => {})();
    child.onMessage(() => 1)();
    expect(process.listenerCount('SIGTERM')).toBe(sigterm);
    expect(process.listenerCount('message')).toBe(messages);
  });

  it('is a no-op without an IPC channel', async () => {
    const { results } = await runUnsupervised({});
    expect(results).toEqual(allNoOps);
  });

  it('is a no-op under a parent that is not procvisor, and sends it nothing', async () => {
    const { results, messages } = await runUnsupervised({ ipc: true });
    expect(results).toEqual(allNoOps);
    expect(messages).toEqual([]);
  });

  it('hides the marker from programs it starts, and stays a no-op without a channel', async () => {
    const { results } = await runUnsupervised({ env: { [SUPERVISED_ENV]: String(process.pid) } });
    expect(results).toEqual(allNoOps);
  });

  it('does not keep the child alive through onShutdown', async () => {
    const proc = startFixture('ipc-done.mjs', [], { ipc: true, env: { [SUPERVISED_ENV]: String(process.pid) } });
    started.push(proc);
    const ready: unknown[] = [];
    new IpcChannel(proc.child, { onReady: (data) => ready.push(data) });
    expect(await proc.exited()).toEqual({ code: 0, signal: null });
    expect(ready).toEqual(['done']);
    expect(proc.lines).toEqual(['idle']);
  });

  it('runs the shutdown handler on SIGINT', async () => {
    const proc = startFixture('ipc-child.mjs', [], { ipc: true, env: { [SUPERVISED_ENV]: String(process.pid) } });
    started.push(proc);
    const ready: unknown[] = [];
    new IpcChannel(proc.child, { onReady: (data) => ready.push(data) });
    await until(() => ready.length > 0, 15_000, 'ready()');
    proc.child.kill('SIGINT');
    expect(await proc.exited()).toEqual({ code: 0, signal: null });
    expect(proc.lines.slice(-2)).toEqual(['shutdown SIGINT', 'bye']);
  });
});
