import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpcRemoteError, ProcvisorError, TimeoutError } from '../../src/api/errors.js';
import { IpcChannel, type IpcChannelHandlers } from '../../src/ipc/channel.js';
import { isEnvelope, SUPERVISED_ENV, type Envelope } from '../../src/ipc/protocol.js';
import { FakeClock } from '../clock.js';
import { until } from '../helpers.js';
import { startFixture, type FixtureProcess } from '../health/fixture-process.js';

const started: FixtureProcess[] = [];
afterAll(async () => {
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
async function supervised(args: string[] = [], clock?: FakeClock) {
  const proc = startFixture('ipc-child.mjs', args, { ipc: true, env: { [SUPERVISED_ENV]: String(process.pid) } });
  started.push(proc);
  const { seen, handlers } = record();
  const channel = new IpcChannel(proc.child, handlers, clock ? { clock } : {});
  await until(() => seen.ready.length > 0, 15_000, 'ready()');
  return { proc, channel, seen };
}

/** Resolves with the next control message of `type` the child sends that `matches`, as the host's channel sees it. */
function nextEnvelope(child: ChildProcess, type: Envelope['type'], matches: (envelope: Envelope) => boolean = () => true): Promise<Envelope> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      if (!isEnvelope(message) || message.type !== type || !matches(message)) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}

// One child serves the tests that leave it and its channel as they found them: starting a child
// with tsx is most of each test's time. Its channel runs on a fake clock, for the request timeout.
describe('IpcChannel with a child that stays up', () => {
  const clock = new FakeClock();
  let shared: Awaited<ReturnType<typeof supervised>>;
  beforeAll(async () => {
    shared = await supervised(['30'], clock);
  });

  it('receives ready data and heartbeats', async () => {
    const { proc, seen } = shared;
    expect(seen.ready).toEqual([{ pid: proc.child.pid }]);
    expect(proc.lines).toContain('supervised true');
    const beats = seen.heartbeats;
    await until(() => seen.heartbeats >= beats + 3, 5000, 'three heartbeats');
  });

  it('answers requests by correlation id, including errors thrown by the handler', async () => {
    const { channel } = shared;
    const answers = await Promise.all([
      channel.request({ op: 'slow', ms: 100 }, { timeout: 5000 }),
      channel.request({ op: 'echo', value: { n: 1 } }, { timeout: 5000 }),
      channel.request({ op: 'echo', value: 'two' }, { timeout: 5000 }),
    ]);
    expect(answers).toEqual(['slow done', { n: 1 }, 'two']);
    const failure = await channel.request({ op: 'fail' }, { timeout: 5000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IpcRemoteError);
    expect(failure).toMatchObject({ message: 'asked to fail', code: 'IPC_REMOTE', remoteCode: 'E_FAIL', remoteName: 'Error', name: 'IpcRemoteError' });
    // Answered requests leave no timer behind.
    expect(clock.pending).toBe(0);
  });

  it('rejects with a TimeoutError when no answer comes in time, and ignores the late answer', async () => {
    const { channel, proc } = shared;
    let error: unknown;
    const failed = channel.request({ op: 'slow', ms: 150 }, { timeout: 100 }).catch((e: unknown) => (error = e));
    const late = nextEnvelope(proc.child, 'response', (envelope) => envelope.type === 'response' && envelope.payload === 'slow done');
    await clock.advance(99);
    expect(error).toBeUndefined();
    await clock.advance(1);
    await failed;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('TIMEOUT');
    expect(clock.pending).toBe(0);
    // The late answer arrives and is dropped; the channel works on.
    await late;
    expect(await channel.request({ op: 'echo', value: 3 }, { timeout: 5000 })).toBe(3);
  });

  it('abandons a request when its signal aborts', async () => {
    const { channel } = shared;
    const controller = new AbortController();
    const pending = channel.request({ op: 'slow', ms: 10_000 }, { timeout: 20_000, signal: controller.signal });
    controller.abort(new Error('not needed'));
    await expect(pending).rejects.toThrow('not needed');
    expect(clock.pending).toBe(0);
  });

  it('delivers plain messages both ways, wrapping those that look like envelopes', async () => {
    const { channel, seen, proc } = shared;
    const from = seen.messages.length;
    await channel.send({ hello: 'child' });
    const lookalike = { procvisor: 1, type: 'shutdown' };
    await channel.send(lookalike);
    await until(() => seen.messages.length >= from + 2, 5000, 'two echoes');
    expect(seen.messages.slice(from)).toEqual([{ echo: { hello: 'child' } }, { echo: lookalike }]);
    expect(proc.lines.some((line) => line.startsWith('shutdown'))).toBe(false);
  });
});

// Each of these ends its child or its channel, so each has its own; they only wait on events.
describe.concurrent('IpcChannel with a child of its own', () => {
  it('rejects pending requests at once when the child goes away, and later ones too', async ({ expect }) => {
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

  it('close() rejects pending requests and stops the callbacks', async ({ expect }) => {
    const { channel, seen, proc } = await supervised(['20']);
    const pending = channel.request({ op: 'slow', ms: 10_000 }, { timeout: 20_000 });
    channel.close();
    await expect(pending).rejects.toMatchObject({ code: 'IPC_UNAVAILABLE' });
    const beats = seen.heartbeats;
    // The child goes on beating; none of it reaches the closed channel's callbacks.
    for (let i = 0; i < 3; i++) await nextEnvelope(proc.child, 'heartbeat');
    expect(seen.heartbeats).toBe(beats);
    expect(seen.closed).toBe(1);
  });

  it('asks for a graceful shutdown over IPC', async ({ expect }) => {
    const { channel, proc, seen } = await supervised();
    expect(await channel.requestShutdown()).toBe(true);
    expect(await proc.exited()).toEqual({ code: 0, signal: null });
    expect(proc.lines.slice(-2)).toEqual(['shutdown ipc', 'bye']);
    await until(() => seen.closed === 1, 2000, 'close');
    expect(await channel.requestShutdown()).toBe(false);
  });

  it('runs the same shutdown handler on SIGTERM', async ({ expect }) => {
    const { proc } = await supervised();
    proc.child.kill('SIGTERM');
    expect(await proc.exited()).toEqual({ code: 0, signal: null });
    expect(proc.lines.slice(-2)).toEqual(['shutdown SIGTERM', 'bye']);
  });

  it('is closed from the start for a child without an IPC channel', async ({ expect }) => {
    const proc = startFixture('health-http.mjs');
    started.push(proc);
    const channel = new IpcChannel(proc.child);
    expect(channel.connected).toBe(false);
    await expect(channel.send('x')).rejects.toMatchObject({ code: 'IPC_UNAVAILABLE' });
    await expect(channel.request('x', { timeout: 1000 })).rejects.toMatchObject({ code: 'IPC_UNAVAILABLE' });
    expect(await channel.requestShutdown()).toBe(false);
  });
});
