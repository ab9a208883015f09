import { afterEach, describe, expect, it } from 'vitest';
import { ProcvisorError, TimeoutError } from '../../src/api/errors.js';
import { IpcChannel, IpcRemoteError, type IpcChannelHandlers } from '../../src/ipc/channel.js';
import { SUPERVISED_ENV } from '../../src/ipc/protocol.js';
import { until } from '../helpers.js';
import { startFixture, type FixtureProcess } from '../health/fixture-process.js';

const started: FixtureProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((proc) => proc.stop()));
});

function record() {
  const seen = { ready: [] as unknown[], heartbeats: 0, messages: [] as unknown[], closed: 0 };
  const handlers: IpcChannelHandlers = {
    onReady: (data) => seen.ready.push(data),
    onHeartbeat: () => void (seen.heartbeats += 1),
    onMessage: (payload) => seen.messages.push(payload),
    onClose: () => void (seen.closed += 1),
  };
  return { seen, handlers };
}

/** Starts the procvisor/child fixture supervised over IPC and waits for its `ready()`. */
async function supervised(args: string[] = []) {
  const proc = startFixture('ipc-child.mjs', args, { ipc: true, tsx: true, env: { [SUPERVISED_ENV]: String(process.pid) } });
  started.push(proc);
  const { seen, handlers } = record();
  const channel = new IpcChannel(proc.child, handlers);
  await until(() => seen.ready.length > 0, 15_000, 'ready()');
  return { proc, channel, seen };
}

describe('IpcChannel', () => {
  it('receives ready data and heartbeats', async () => {
    const { proc, seen } = await supervised(['30']);
    expect(seen.ready).toEqual([{ pid: proc.child.pid }]);
    expect(proc.lines).toContain('supervised true');
    await until(() => seen.heartbeats >= 3, 5000, 'three heartbeats');
  });

  it('answers requests by correlation id, including errors thrown by the handler', async () => {
    const { channel } = await supervised();
    const answers = await Promise.all([
      channel.request({ op: 'slow', ms: 100 }, { timeout: 5000 }),
      channel.request({ op: 'echo', value: { n: 1 } }, { timeout: 5000 }),
      channel.request({ op: 'echo', value: 'two' }, { timeout: 5000 }),
    ]);
    expect(answers).toEqual(['slow done', { n: 1 }, 'two']);
    const failure = await channel.request({ op: 'fail' }, { timeout: 5000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IpcRemoteError);
    expect(failure).toMatchObject({ message: 'asked to fail', code: 'E_FAIL' });
  });

  it('rejects with a TimeoutError when no answer comes in time, and ignores the late answer', async () => {
    const { channel } = await supervised();
    const error = await channel.request({ op: 'slow', ms: 400 }, { timeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('TIMEOUT');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the late answer arrives and is dropped
    expect(await channel.request({ op: 'echo', value: 3 }, { timeout: 5000 })).toBe(3);
  });

  it('rejects pending requests at once when the child goes away, and later ones too', async () => {
    const { channel, seen } = await supervised();
    const pending = channel.request({ op: 'slow', ms: 10_000 }, { timeout: 20_000 });
    const before = performance.now();
    const exitRequest = channel.request({ op: 'exit', code: 3 }, { timeout: 20_000 });
    for (const result of await Promise.allSettled([pending, exitRequest])) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'IPC_UNAVAILABLE' });
    }
    expect(performance.now() - before).toBeLessThan(5000);
    expect(seen.closed).toBe(1);
    expect(channel.connected).toBe(false);
    await expect(channel.send('late')).rejects.toMatchObject({ code: 'IPC_UNAVAILABLE' });
    await expect(channel.request('late', { timeout: 1000 })).rejects.toBeInstanceOf(ProcvisorError);
  });

  it('close() rejects pending requests and stops the callbacks', async () => {
    const { channel, seen } = await supervised(['20']);
    const pending = channel.request({ op: 'slow', ms: 10_000 }, { timeout: 20_000 });
    channel.close();
    await expect(pending).rejects.toMatchObject({ code: 'IPC_UNAVAILABLE' });
    const beats = seen.heartbeats;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen.heartbeats).toBe(beats);
  });

  it('abandons a request when its signal aborts', async () => {
    const { channel } = await supervised();
    const controller = new AbortController();
    const pending = channel.request({ op: 'slow', ms: 10_000 }, { timeout: 20_000, signal: controller.signal });
    controller.abort(new Error('not needed'));
    await expect(pending).rejects.toThrow('not needed');
  });

  it('delivers plain messages both ways, wrapping those that look like envelopes', async () => {
    const { channel, seen, proc } = await supervised();
    await channel.send({ hello: 'child' });
    const lookalike = { procvisor: 1, type: 'shutdown' };
    await channel.send(lookalike);
    await until(() => seen.messages.length >= 2, 5000, 'two echoes');
    expect(seen.messages).toEqual([{ echo: { hello: 'child' } }, { echo: lookalike }]);
    expect(proc.lines.some((line) => line.startsWith('shutdown'))).toBe(false);
  });

  it('asks for a graceful shutdown over IPC', async () => {
    const { channel, proc, seen } = await supervised();
    expect(await channel.requestShutdown()).toBe(true);
    expect(await proc.exited()).toEqual({ code: 0, signal: null });
    expect(proc.lines.slice(-2)).toEqual(['shutdown ipc', 'bye']);
    await until(() => seen.closed === 1, 2000, 'close');
    expect(await channel.requestShutdown()).toBe(false);
  });

  it('runs the same shutdown handler on SIGTERM', async () => {
    const { proc } = await supervised();
    proc.child.kill('SIGTERM');
    expect(await proc.exited()).toEqual({ code: 0, signal: null });
    expect(proc.lines.slice(-2)).toEqual(['shutdown SIGTERM', 'bye']);
  });

  it('is closed from the start for a child without an IPC channel', async () => {
    const proc = startFixture('health-http.mjs');
    started.push(proc);
    const channel = new IpcChannel(proc.child);
    expect(channel.connected).toBe(false);
    await expect(channel.send('x')).rejects.toMatchObject({ code: 'IPC_UNAVAILABLE' });
    await expect(channel.request('x', { timeout: 1000 })).rejects.toMatchObject({ code: 'IPC_UNAVAILABLE' });
    expect(await channel.requestShutdown()).toBe(false);
  });
});
