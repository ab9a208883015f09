import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOnce, type ProbeCheckContext } from '../../src/health/probes.js';
import type { ResolvedProbe, ResolvedProbeTiming } from '../../src/spec/resolved.js';
import type { ProbeContext } from '../../src/api/types.js';
import { NODE, alive, fixture, until } from '../helpers.js';
import { startFixture, type FixtureProcess } from './fixture-process.js';

const timing: ResolvedProbeTiming = { initialDelay: 0, interval: 100, timeout: 2000, successThreshold: 1, failureThreshold: 3 };

function http(url: string, extra: Partial<Extract<ResolvedProbe, { type: 'http' }>> = {}): ResolvedProbe {
  return { ...timing, type: 'http', url, method: 'GET', status: [200, 399], body: undefined, ...extra };
}
function tcp(port: number, timeout = timing.timeout): ResolvedProbe {
  return { ...timing, timeout, type: 'tcp', port, host: '127.0.0.1' };
}
function exec(command: string, args: string[], timeout = timing.timeout): ResolvedProbe {
  return { ...timing, timeout, type: 'exec', command, args };
}
function custom(check: (ctx: ProbeContext) => Promise<unknown>, timeout = timing.timeout): ResolvedProbe {
  return { ...timing, timeout, type: 'custom', check: check as Extract<ResolvedProbe, { type: 'custom' }>['check'] };
}
function context(signal = new AbortController().signal): ProbeCheckContext {
  return { name: 'probed', pid: 4242, signal };
}
function count(kind: string): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === kind).length;
}

const started: FixtureProcess[] = [];
async function start(name: string, args: string[] = []): Promise<{ proc: FixtureProcess; port: number }> {
  const proc = startFixture(name, args);
  started.push(proc);
  return { proc, port: Number(await proc.line()) };
}
afterAll(async () => {
  await Promise.all(started.map((proc) => proc.stop()));
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('http probe', () => {
  it('passes on a 2xx and reports the status', async () => {
    const { port } = await start('health-http.mjs');
    const result = await checkOnce(http(`http://127.0.0.1:${port}/health`), context());
    expect(result).toMatchObject({ ok: true, data: { status: 200 } });
  });

  it('fails on a status outside the range, and passes when the range allows it', async () => {
    const { port } = await start('health-http.mjs', ['0']);
    const url = `http://127.0.0.1:${port}/`;
    const failed = await checkOnce(http(url), context());
    expect(failed).toMatchObject({ ok: false, data: { status: 500 } });
    expect(failed.message).toMatch(/500/);
    expect(await checkOnce(http(url, { status: [500, 503] }), context())).toMatchObject({ ok: true, data: { status: 500 } });
  });

  it('matches the body by string and by RegExp', async () => {
    const { port } = await start('health-http.mjs');
    const url = `http://127.0.0.1:${port}/`;
    expect((await checkOnce(http(url, { body: 'status: ok' }), context())).ok).toBe(true);
    expect((await checkOnce(http(url, { body: /status: \w+/g }), context())).ok).toBe(true);
    // A global RegExp must give the same answer twice (no lastIndex carried over).
    expect((await checkOnce(http(url, { body: /status: \w+/g }), context())).ok).toBe(true);
    const wrong = await checkOnce(http(url, { body: /status: nope/ }), context());
    expect(wrong).toMatchObject({ ok: false, data: { status: 200 } });
    expect(wrong.message).toMatch(/body did not match/);
  });

  it('counts a server that never answers as a failure at the timeout', async () => {
    const { port } = await start('health-http.mjs');
    const before = performance.now();
    const result = await checkOnce(http(`http://127.0.0.1:${port}/hang`, { timeout: 300 }), context());
    const took = performance.now() - before;
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/timed out after 300 ms/);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3000);
  });

  it('fails on a refused connection and on a bad URL', async () => {
    const refused = await checkOnce(http(`http://127.0.0.1:${await closedPort()}/`), context());
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/ECONNREFUSED/);
    const bad = await checkOnce(http('not a url'), context());
    expect(bad).toMatchObject({ ok: false });
    expect(bad.message).toMatch(/Bad probe URL/);
  });

  it('reuses sockets within an incarnation and closes them all when it aborts', async () => {
    const { port } = await start('health-http.mjs');
    const sockets = count('TCPSocketWrap');
    const incarnation = new AbortController();
    for (let i = 0; i < 5; i++) {
      expect((await checkOnce(http(`http://127.0.0.1:${port}/`), context(incarnation.signal))).ok).toBe(true);
    }
    // Keep-alive: one pooled socket serves every check.
    expect(count('TCPSocketWrap') - sockets).toBeLessThanOrEqual(1);
    incarnation.abort();
    await until(() => count('TCPSocketWrap') === sockets, 2000, 'pooled sockets closed');
  });
});

describe('tcp probe', () => {
  it('fails before the listener is up and passes once it listens', async () => {
    const { proc, port } = await start('health-tcp-late.mjs', ['400']);
    const early = await checkOnce(tcp(port), context());
    expect(early.ok).toBe(false);
    expect(early.message).toMatch(/ECONNREFUSED/);
    expect(await proc.line()).toBe('listening');
    expect(await checkOnce(tcp(port), context())).toMatchObject({ ok: true, data: { host: '127.0.0.1', port } });
  });

  it('counts a connection that hangs as a failure at the timeout, and leaves no socket', async () => {
    const { proc, port } = await start('health-tcp-stuck.mjs');
    proc.child.kill('SIGSTOP');
    const fillers: Socket[] = [];
    try {
      // Fill the accept queue of the stopped listener until a connection no longer completes.
      for (let i = 0; i < 10; i++) {
        const socket = connect(port, '127.0.0.1');
        fillers.push(socket);
        const connected = await new Promise<boolean>((resolve) => {
          socket.once('connect', () => resolve(true));
          setTimeout(() => resolve(false), 300);
        });
        if (!connected) break;
      }
      const sockets = count('TCPSocketWrap');
      const result = await checkOnce(tcp(port, 300), context());
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/timed out/);
      await until(() => count('TCPSocketWrap') <= sockets, 2000, 'the probe socket to close');
    } finally {
      for (const socket of fillers) socket.destroy();
    }
  });
});

describe('exec probe', () => {
  it('passes on exit code 0', async () => {
    expect(await checkOnce(exec(NODE, ['-e', 'process.exit(0)']), context())).toMatchObject({
      ok: true,
      data: { exitCode: 0, signal: null },
    });
  });

  it('fails on another code and quotes the output tail', async () => {
    const result = await checkOnce(exec(NODE, ['-e', 'console.error("disk full"); process.exit(3)']), context());
    expect(result).toMatchObject({ ok: false, data: { exitCode: 3 } });
    expect(result.message).toMatch(/exited with code 3: disk full/);
  });

  it('fails when the command cannot run', async () => {
    const result = await checkOnce(exec('procvisor-no-such-command', []), context());
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/Could not run procvisor-no-such-command: ENOENT/);
  });

  it.runIf(process.platform !== 'win32')('kills the whole process group on timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procvisor-exec-'));
    try {
      const pidFile = join(dir, 'pid');
      const result = await checkOnce(exec('sh', [fixture('health-exec-tree.sh'), pidFile, 'wait'], 500), context());
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/timed out after 500 ms/);
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      await until(() => !alive(grandchild), 3000, 'the background sleep to die');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform !== 'win32')('passes at once when the command exits 0, killing what it left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procvisor-exec-'));
    try {
      const pidFile = join(dir, 'pid');
      const before = performance.now();
      const result = await checkOnce(exec('sh', [fixture('health-exec-tree.sh'), pidFile, '0'], 10_000), context());
      expect(result).toMatchObject({ ok: true, data: { exitCode: 0 } });
      expect(performance.now() - before).toBeLessThan(5000);
      const straggler = Number(readFileSync(pidFile, 'utf8'));
      await until(() => !alive(straggler), 3000, 'the straggler to die');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('custom probe', () => {
  it('accepts a boolean or a ProbeResult and passes the context', async () => {
    let seen: ProbeContext | undefined;
    expect(await checkOnce(custom(async (ctx) => ((seen = ctx), true)), context())).toEqual({ ok: true });
    expect(seen).toMatchObject({ name: 'probed', pid: 4242 });
    expect(seen?.signal.aborted).toBe(true); // released once the check is over
    expect(await checkOnce(custom(async () => false), context())).toEqual({ ok: false });
    expect(await checkOnce(custom(async () => ({ ok: true, message: 'fine', data: { queue: 3 } })), context())).toEqual({
      ok: true,
      message: 'fine',
      data: { queue: 3 },
    });
  });

  it('turns a throw, a rejection or a strange value into a failed check', async () => {
    const thrown = await checkOnce(
      custom((() => {
        throw new Error('boom');
      }) as unknown as () => Promise<unknown>),
      context(),
    );
    expect(thrown).toMatchObject({ ok: false, message: 'The custom check threw: boom' });
    const rejected = await checkOnce(custom(() => Promise.reject(new Error('nope'))), context());
    expect(rejected).toMatchObject({ ok: false, message: 'The custom check threw: nope' });
    const odd = await checkOnce(custom(async () => 'yes'), context());
    expect(odd.ok).toBe(false);
    expect(odd.message).toMatch(/returned yes \(string\)/);
  });

  it('times out a check that never settles and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const result = await checkOnce(
      custom((ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      }, 200),
      context(),
    );
    expect(result).toEqual({ ok: false, message: 'timed out after 200 ms' });
    expect(signal?.aborted).toBe(true);
  });
});

describe('checkOnce', () => {
  it('ends a check at once when the incarnation aborts', async () => {
    const incarnation = new AbortController();
    const pending = checkOnce(custom(() => new Promise(() => {}), 10_000), context(incarnation.signal));
    setTimeout(() => incarnation.abort(), 50);
    const before = performance.now();
    expect(await pending).toEqual({ ok: false, message: 'aborted' });
    expect(performance.now() - before).toBeLessThan(2000);
    expect(await checkOnce(custom(async () => true), context(incarnation.signal))).toEqual({ ok: false, message: 'aborted' });
  });

  it('refuses to poll event-driven probes', async () => {
    const result = await checkOnce({ ...timing, type: 'ipc' }, context());
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/cannot be polled/);
  });
});
