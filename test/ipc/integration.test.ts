/**
 * Talking to children through `ProcessManager` with real processes: messages both ways, requests
 * with answers and timeouts, the graceful stop over IPC (`onShutdown`), and the output commands
 * `status` and `metric`, with malformed command lines reported once.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { ProcessManager, ProcvisorError, IpcUnavailableError, TimeoutError } from '../../src/index.js';
import { track, until } from '../helpers.js';
import { ipcSpec, shSpec } from '../health/integration-support.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from '../manager/support.js';

function manager(): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 20 }, shutdown: { timeout: 5000 } }));
}

function markerPath(what: string): string {
  return join(tmpdir(), `procvisor-it4-${what}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
}

describe.concurrent('IPC through the manager', () => {
  it('handle.send reaches onMessage; the child’s send is a `message` event', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(ipcSpec('chat'));
    const answer = nextEvent(pm, 'message', (e) => e.name === 'chat');
    handle.send({ hello: 'child', n: [1, 2] });
    expect(await answer).toMatchObject({ name: 'chat', pid: handle.pid, message: { got: { hello: 'child', n: [1, 2] } } });
    // A message that looks like a procvisor envelope travels wrapped and arrives intact.
    const tricky = nextEvent(pm, 'message', (e) => e.name === 'chat');
    handle.send({ procvisor: 1, type: 'shutdown' });
    expect((await tricky).message).toEqual({ got: { procvisor: 1, type: 'shutdown' } });
    expect(handle.state).toBe('running');
    await pm.stop('chat');
  });

  it('handle.request resolves with the answer; a request without one times out with TimeoutError', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(ipcSpec('rpc'));
    expect(await handle.request({ op: 'echo', value: { deep: [1, { two: 2 }] } })).toEqual({ deep: [1, { two: 2 }] });
    const answers = await Promise.all([1, 2, 3].map((value) => handle.request({ op: 'echo', value }, { timeout: 5000 })));
    expect(answers).toEqual([1, 2, 3]);
    const started = performance.now();
    const error = await handle.request({ op: 'never' }, { timeout: 300 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('TIMEOUT');
    // A handler that throws rejects the request with its name, message and code.
    const remote = await handle.request({ op: 'fail' }).catch((e: unknown) => e);
    expect(remote).toMatchObject({ name: 'IpcRemoteError', remoteName: 'RangeError', message: 'asked to fail', code: 'IPC_REMOTE', remoteCode: 'E_FAIL' });
    // The channel still works after a timeout and a failure.
    expect(await handle.request({ op: 'echo', value: 'still here' })).toBe('still here');
    await pm.stop('rpc');
  });

  it('a request to a process without IPC, or one that is not running, fails clearly', async ({ expect }) => {
    const pm = manager();
    const plain = await pm.start(nodeSpec('plain', 'idle.mjs', [], { readiness: READY_LINE }));
    const error = await plain.request('hi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcUnavailableError);
    expect((error as IpcUnavailableError).code).toBe('IPC_UNAVAILABLE');
    expect((error as Error).message).toMatch(/`plain` has no IPC channel: set `ipc: true`/);
    expect(() => plain.send('hi')).toThrow(IpcUnavailableError);
    const ipc = await pm.start(ipcSpec('gone'));
    await pm.stop('gone');
    const closed = await ipc.request('hi', { timeout: 1000 }).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(ProcvisorError);
    expect((closed as ProcvisorError).code).toBe('IPC_UNAVAILABLE');
    expect(() => ipc.send('hi')).toThrow(/not running/);
    await pm.stop('plain');
  });

  it('a pending request fails at once when the child exits', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(ipcSpec('leaving', {}, { restart: 'temporary' }));
    const pending = handle.request({ op: 'never' }, { timeout: 20_000 }).catch((e: unknown) => e);
    const started = performance.now();
    process.kill(handle.pid as number, 'SIGKILL');
    const error = await pending;
    expect(performance.now() - started).toBeLessThan(5000);
    expect((error as ProcvisorError).code).toBe('IPC_UNAVAILABLE');
  });

  it('onShutdown runs on stop over IPC alone: the stop completes without SIGKILL', async ({ expect }) => {
    const pm = manager();
    const marker = markerPath('shutdown');
    try {
      const seen = record(pm, ['stop', 'kill']);
      // SIGWINCH is ignored by default: only the IPC request can make this child stop in time.
      await pm.start(ipcSpec('graceful', { marker }, { shutdown: { signal: 'SIGWINCH', timeout: 10_000 } }));
      const started = performance.now();
      await pm.stop('graceful');
      expect(performance.now() - started).toBeLessThan(5000);
      expect(readFileSync(marker, 'utf8')).toBe('ipc');
      expect(payloads(seen, 'kill')).toEqual([]);
      expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ name: 'graceful', exitCode: 0, signal: null })]);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('onShutdown also runs with the default SIGTERM ladder, and the exit is clean', async ({ expect }) => {
    const pm = manager();
    const marker = markerPath('sigterm');
    try {
      const seen = record(pm, ['stop', 'kill']);
      await pm.start(ipcSpec('polite', { marker }));
      await pm.stop('polite');
      // The request and the signal leave together; whichever arrives first runs the handler, once.
      expect(['ipc', 'SIGTERM']).toContain(readFileSync(marker, 'utf8'));
      expect(payloads(seen, 'kill')).toEqual([]);
      expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ exitCode: 0, signal: null })]);
    } finally {
      rmSync(marker, { force: true });
    }
  });
});

describe.concurrent('output commands through the manager', () => {
  it('status and metric lines become events, a malformed one a warning; none of them is output', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['status', 'metric', 'warning', 'output']);
    const handle = await pm.start(shSpec('cmds', 'health-commands.sh', ['1000']));
    expect(handle.readyData).toEqual({ port: 8080 });
    await until(() => payloads(seen, 'output').some((e) => e.line === 'tick 1'), 5000, 'two ticks');
    expect(payloads(seen, 'status')).toEqual([expect.objectContaining({ name: 'cmds', pid: handle.pid, status: 'warming up' })]);
    expect(payloads(seen, 'metric')).toEqual([expect.objectContaining({ name: 'cmds', pid: handle.pid, metric: 'queue_depth', value: 7 })]);
    expect(payloads(seen, 'warning')).toEqual([expect.objectContaining({ name: 'cmds', message: expect.stringMatching(/unknown command `bogus`/) })]);
    // More ticks may have come meanwhile; no command line is among them.
    const lines = payloads(seen, 'output').map((e) => e.line);
    expect(lines.slice(0, 3)).toEqual(['starting', 'tick 0', 'tick 1']);
    expect(lines.every((line) => line === 'starting' || /^tick \d+$/.test(line))).toBe(true);
    expect(handle.logs().map((l) => l.line)).toEqual(lines);
    await pm.stop('cmds');
  });

  it('malformed command lines are reported once per incarnation', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['warning', 'output', 'metric']);
    await pm.start(shSpec('bad', 'it4-commands.sh', ['', '0', '::procvisor::metric depth lots']));
    await until(() => payloads(seen, 'output').some((e) => e.line === 'silent'), 5000, 'the silent line');
    expect(payloads(seen, 'warning')).toEqual([
      expect.objectContaining({ name: 'bad', message: 'Malformed output command: metric `depth` needs a finite number, got `lots`' }),
    ]);
    expect(payloads(seen, 'metric')).toEqual([]);
    expect(payloads(seen, 'output').map((e) => e.line)).toEqual(['booting', 'silent']);
    // The next incarnation reports its own, once.
    await pm.restart('bad');
    await until(() => payloads(seen, 'output').filter((e) => e.line === 'silent').length === 2, 5000, 'the second silent line');
    expect(payloads(seen, 'warning')).toHaveLength(2);
    await pm.stop('bad');
  });
});

describe('IPC on a removed child', () => {
  // Needs src/handle.ts: `request()` must report failures through its promise, as `waitFor()` does
  // (wrap `this.owner.request(...)` in try/catch and return `Promise.reject(error)`).
  it('handle.request rejects (does not throw) once the child is removed', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(ipcSpec('removed'));
    await pm.remove('removed');
    let thrown: unknown;
    let pending: Promise<unknown> | undefined;
    try {
      pending = handle.request('hi', { timeout: 1000 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeUndefined();
    await expect(pending).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
