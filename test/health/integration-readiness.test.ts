/**
 * Readiness of every polled and child-announced kind through `ProcessManager` with real processes:
 * http (status range, body match), tcp (a late listener), exec, custom (one that throws), ipc (a Node
 * child calling `ready()`), the `::procvisor::ready` output command, and the two ways a start fails
 * while waiting: the start timeout and an exit.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { ProcessManager, StartFailedError, type ProbeContext } from '../../src/index.js';
import { driveClock, FakeClock } from '../clock.js';
import { alive, silentPort, track, until } from '../helpers.js';
import { killAll, nodeSpec, payloads, record } from '../manager/support.js';
import { freePort, ipcSpec, shSpec } from './integration-support.js';

function manager(clock?: FakeClock): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 20 }, shutdown: { timeout: 2000 }, ...(clock ? { clock } : {}) }));
}

describe.concurrent('readiness through the manager', () => {
  it('http: waits for a late server, honours a status range and a body match; readyData has the status', async ({ expect }) => {
    const pm = manager();
    const port = await freePort();
    const seen = record(pm, ['ready', 'start-failed']);
    const started = performance.now();
    const handle = await pm.start(
      nodeSpec('web', 'it4-http.mjs', [String(port), 'Infinity', '300'], {
        readiness: { type: 'http', url: `http://127.0.0.1:${port}/status/204`, status: [200, 204], body: /^$/, interval: 50 },
      }),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(handle.state).toBe('running');
    expect(handle.readyData).toEqual({ status: 204 });
    expect(payloads(seen, 'ready')).toEqual([expect.objectContaining({ name: 'web', data: { status: 204 } })]);
    // A status outside the range never passes, however long it answers.
    const wrong = await pm
      .start(
        nodeSpec('teapot', 'it4-http.mjs', ['0'], {
          readiness: { type: 'http', url: `http://127.0.0.1:${port}/status/418`, interval: 50 },
          startTimeout: 600,
        }),
      )
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(StartFailedError);
    expect((wrong as StartFailedError).reason).toBe('timeout');
    // A body that does not match never passes either; one that does, does.
    const body = await pm
      .start(
        nodeSpec('body', 'it4-http.mjs', ['0'], {
          readiness: { type: 'http', url: `http://127.0.0.1:${port}/health`, body: 'status: broken', interval: 50 },
          startTimeout: 600,
        }),
      )
      .catch((e: unknown) => e);
    expect(body).toBeInstanceOf(StartFailedError);
    const good = await pm.start(
      nodeSpec('body-ok', 'it4-http.mjs', ['0'], { readiness: { type: 'http', url: `http://127.0.0.1:${port}/health`, body: 'status: ok' } }),
    );
    expect(good.readyData).toEqual({ status: 200 });
    expect(payloads(seen, 'start-failed').map((e) => e.name).sort()).toEqual(['body', 'teapot']);
    await pm.shutdown();
  });

  it('tcp: passes once a late listener accepts; readyData names the address', async ({ expect }) => {
    const pm = manager();
    const port = await freePort();
    const started = performance.now();
    const handle = await pm.start(
      nodeSpec('late', 'it4-http.mjs', [String(port), 'Infinity', '400'], { readiness: { type: 'tcp', port, interval: 50 } }),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(handle.readyData).toEqual({ host: '127.0.0.1', port });
    // It is this process that listens (its line follows the accepted connection).
    await until(() => handle.logs().some((l) => l.line === `listening ${port}`), 5000, 'the listening line');
    await pm.stop('late');
  });

  it('exec: passes when the command exits 0', async ({ expect }) => {
    const pm = manager();
    const flag = join(tmpdir(), `procvisor-it4-exec-${process.pid}-${Date.now()}`);
    // Each check appends a line here, so the test sees checks fail before it creates the flag.
    const checks = `${flag}.checks`;
    try {
      const spec = nodeSpec('touch', 'slow-ready.mjs', ['20000'], {
        readiness: { type: 'exec', command: 'sh', args: ['-c', `echo >> '${checks}'; test -f '${flag}'`], interval: 50 },
      });
      const starting = pm.start(spec);
      await until(() => existsSync(checks) && readFileSync(checks, 'utf8').length >= 3, 10_000, 'three failed checks');
      expect(pm.get('touch')?.state).toBe('starting');
      writeFileSync(flag, '');
      const handle = await starting;
      expect(handle.state).toBe('running');
      expect(handle.readyData).toEqual({ exitCode: 0, signal: null });
      await pm.stop('touch');
    } finally {
      rmSync(flag, { force: true });
      rmSync(checks, { force: true });
    }
  });

  it('custom: a check that throws or says no is a failed check; its data becomes readyData', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['error', 'start-failed']);
    const calls: ProbeContext[] = [];
    const check = async (ctx: ProbeContext): Promise<boolean | { ok: boolean; data?: unknown }> => {
      calls.push(ctx);
      if (calls.length === 1) throw new Error('not yet');
      if (calls.length === 2) return false;
      return { ok: true, data: { calls: calls.length } };
    };
    const handle = await pm.start(nodeSpec('custom', 'idle.mjs', [], { readiness: { type: 'custom', check, interval: 20 } }));
    expect(handle.readyData).toEqual({ calls: 3 });
    expect(calls.map((c) => [c.name, c.pid])).toEqual(Array.from({ length: 3 }, () => ['custom', handle.pid]));
    expect(calls.every((c) => c.signal.aborted)).toBe(true);
    expect(payloads(seen, 'error')).toEqual([]);
    expect(payloads(seen, 'start-failed')).toEqual([]);
    // A check that always throws only makes the start time out.
    const error = await pm
      .start(
        nodeSpec('thrower', 'idle.mjs', [], {
          readiness: { type: 'custom', check: () => Promise.reject(new Error('boom')), interval: 20 },
          startTimeout: 300,
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    expect((error as StartFailedError).reason).toBe('timeout');
    expect(payloads(seen, 'error')).toEqual([]);
    await pm.stop('custom');
  });

  it('ipc: a Node child calling ready({ port }) is started with that data', async ({ expect }) => {
    const pm = manager();
    const started = performance.now();
    const handle = await pm.start(ipcSpec('announcer', { readyData: { port: 4321 }, readyAfter: 200 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(handle.readyData).toEqual({ port: 4321 });
    // `booted` is printed before `ready()` is called: readiness waited for the call, not the output.
    expect(handle.logs().map((l) => l.line)).toContain('booted');
    await pm.stop('announcer');
  });

  it('output command: `::procvisor::ready` with JSON is parsed; bad JSON is kept as text; the line is consumed', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['output']);
    const json = await pm.start(shSpec('json', 'it4-commands.sh', ['{"port":1}']));
    expect(json.readyData).toEqual({ port: 1 });
    const text = await pm.start(shSpec('text', 'it4-commands.sh', ['{port: 1']));
    expect(text.readyData).toBe('{port: 1');
    const bare = await pm.start(shSpec('bare', 'it4-commands.sh', ['']));
    expect(bare.readyData).toBeUndefined();
    const lines = payloads(seen, 'output').map((e) => e.line);
    expect(lines).toContain('booting');
    expect(lines.filter((l) => l.includes('::procvisor::'))).toEqual([]);
    // Without `output.commands` the line is plain output (here it is what a log probe waits for).
    const plain = await pm.start({
      ...shSpec('plain', 'it4-commands.sh', ['{"port":1}']),
      output: { commands: false },
      readiness: { type: 'log', pattern: /^::procvisor::ready (.*)$/ },
    });
    expect((plain.readyData as RegExpMatchArray)[1]).toBe('{"port":1}');
    await pm.shutdown();
  });

  it('startTimeout: StartFailedError with reason timeout, the process is gone', async ({ expect }) => {
    const pm = manager();
    const { port, close } = await silentPort();
    const seen = record(pm, ['spawn']);
    const started = performance.now();
    const error = await pm
      .start(nodeSpec('never', 'idle.mjs', [], { readiness: { type: 'http', url: `http://127.0.0.1:${port}/`, interval: 50 }, startTimeout: 500 }))
      .catch((e: unknown) => e);
    const pid = payloads(seen, 'spawn')[0]?.pid as number;
    await close();
    try {
      expect(error).toBeInstanceOf(StartFailedError);
      expect((error as StartFailedError).reason, String(error)).toBe('timeout');
      expect(performance.now() - started).toBeGreaterThanOrEqual(490);
      expect((error as StartFailedError).code).toBe('START_FAILED');
      expect(alive(pid)).toBe(false);
      expect(pm.get('never')?.state).toBe('failed');
    } finally {
      killAll([pid]);
    }
  });

  it('an exit while a polled probe waits ends the start at once, with the exit code and last output', async ({ expect }) => {
    const pm = manager();
    const { port, close } = await silentPort();
    const started = performance.now();
    const error = await pm
      .start(
        nodeSpec('crash', 'emit-lines.mjs', ['o:loading', 'e:fatal: no config', 'exit:3'], {
          readiness: { type: 'http', url: `http://127.0.0.1:${port}/`, interval: 5000 },
          startTimeout: 20_000,
        }),
      )
      .catch((e: unknown) => e);
    await close();
    // Neither the start timeout nor the probe interval is waited for.
    expect(performance.now() - started).toBeLessThan(4000);
    expect(error).toBeInstanceOf(StartFailedError);
    const start = error as StartFailedError;
    expect(start.reason).toBe('exited');
    expect(start.exitCode).toBe(3);
    expect(start.message).toMatch(/exited with code 3/);
    expect(start.lastOutput.map((l) => l.line).sort()).toEqual(['fatal: no config', 'loading']);
  });

  it('the readiness loop stops with a failed start: no check runs afterwards', async ({ expect }) => {
    // The manager's clock is a fake one: the start timeout and the probe's rests move with it.
    const clock = new FakeClock();
    const pm = manager(clock);
    let calls = 0;
    let error: unknown;
    const starting = pm
      .start(
        nodeSpec('gone', 'idle.mjs', [], {
          readiness: { type: 'custom', check: () => Promise.resolve(++calls < 0), interval: 20 },
          startTimeout: 300,
        }),
      )
      .catch((e: unknown) => (error = e));
    await driveClock(clock, () => error !== undefined, { step: 25, what: 'the start to time out' });
    await starting;
    expect(error).toBeInstanceOf(StartFailedError);
    expect((error as StartFailedError).reason).toBe('timeout');
    // About one check per rest of 20 ms, until 300 ms.
    expect(calls).toBeGreaterThan(10);
    const after = calls;
    await clock.advance(60_000);
    expect(calls).toBe(after);
  });
});

