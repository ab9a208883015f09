import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOnce, type ProbeCheckContext } from '../../src/health/probes.js';
import type { ResolvedProbe, ResolvedProbeTiming } from '../../src/spec/resolved.js';
import type { ProbeContext, ProbeResult } from '../../src/api/types.js';
import { FakeClock, flushPromises } from '../clock.js';
import { spawn } from 'node:child_process';
import { NODE, alive, delay, firstLine, fixture, until } from '../helpers.js';
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
function context(signal = new AbortController().signal, clock?: FakeClock): ProbeCheckContext {
  return { name: 'probed', pid: 4242, signal, ...(clock ? { clock } : {}) };
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
const listeners: Server[] = [];
afterAll(async () => {
  for (const listener of listeners) listener.close();
  await Promise.all(started.map((proc) => proc.stop()));
});
/** health-http.mjs servers shared by the file (their answers depend on the request only): healthy, and failing. */
const servers = new Map<string, Promise<number>>();
function server(kind: 'healthy' | 'failing'): Promise<number> {
  let port = servers.get(kind);
  if (port === undefined) {
    port = start('health-http.mjs', kind === 'failing' ? ['0'] : []).then((started) => started.port);
    servers.set(kind, port);
  }
  return port;
}
// Both start while the first test runs.
void server('healthy');
void server('failing');

/** A check that tells whether it has settled yet. */
function tracked(promise: Promise<ProbeResult>): { promise: Promise<ProbeResult>; settled: () => boolean } {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  return { promise, settled: () => settled };
}

/**
 * Advances `clock` to one ms before `timeout` (the check is still pending), then to `timeout`: the
 * check must end there, with the timeout's message.
 */
async function expectTimeoutAt(clock: FakeClock, check: { promise: Promise<ProbeResult>; settled: () => boolean }, timeout: number): Promise<ProbeResult> {
  await clock.advance(timeout - 1);
  expect(check.settled()).toBe(false);
  await clock.advance(1);
  await flushPromises();
  expect(check.settled()).toBe(true);
  const result = await check.promise;
  expect(result).toMatchObject({ ok: false, message: `timed out after ${timeout} ms` });
  return result;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const listener = createServer().listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  await new Promise((resolve) => listener.close(resolve));
  return port;
}

/**
 * Active TCP sockets, once the sockets earlier tests destroyed are closed (their handles go in the
 * close phase of the loop turn after the destroy): a baseline to compare with.
 */
async function settledSockets(): Promise<number> {
  await flushPromises();
  await flushPromises();
  return count('TCPSocketWrap');
}

/** Rows of /proc/net/tcp split into fields (Linux), or undefined where there is none. */
function tcpTable(): string[][] | undefined {
  try {
    return readFileSync('/proc/net/tcp', 'latin1')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/));
  } catch {
    return undefined;
  }
}
/** How 127.0.0.1:`port` looks in the kernel's table: its listener's accept queue, and connections to it still in SYN_SENT. */
function tcpState(table: string[][], port: number): { queued: number; connecting: number } {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let queued = 0;
  let connecting = 0;
  for (const [, address, remote, state, queues = ''] of table) {
    // For a listening socket (0A), rx_queue is the number of connections waiting to be accepted.
    if (address === local && state === '0A') queued = parseInt(queues.split(':')[1] ?? '', 16);
    if (remote === local && state === '02') connecting += 1;
  }
  return { queued, connecting };
}
/** health-tcp-stuck.mjs listens with this backlog: the kernel queues one more connection than it. */
const STUCK_BACKLOG = 1;

describe('http probe', () => {
  it('passes on a 2xx and reports the status', async () => {
    const port = await server('healthy');
    const result = await checkOnce(http(`http://127.0.0.1:${port}/health`), context());
    expect(result).toMatchObject({ ok: true, data: { status: 200 } });
  });

  it('fails on a status outside the range, and passes when the range allows it', async () => {
    const url = `http://127.0.0.1:${await server('failing')}/`;
    const failed = await checkOnce(http(url), context());
    expect(failed).toMatchObject({ ok: false, data: { status: 500 } });
    expect(failed.message).toMatch(/500/);
    expect(await checkOnce(http(url, { status: [500, 503] }), context())).toMatchObject({ ok: true, data: { status: 500 } });
  });

  it('matches the body by string and by RegExp', async () => {
    const port = await server('healthy');
    const url = `http://127.0.0.1:${port}/`;
    expect((await checkOnce(http(url, { body: 'status: ok' }), context())).ok).toBe(true);
    expect((await checkOnce(http(url, { body: /status: \w+/g }), context())).ok).toBe(true);
    // A global RegExp must give the same answer twice (no lastIndex carried over).
    expect((await checkOnce(http(url, { body: /status: \w+/g }), context())).ok).toBe(true);
    const wrong = await checkOnce(http(url, { body: /status: nope/ }), context());
    expect(wrong).toMatchObject({ ok: false, data: { status: 200 } });
    expect(wrong.message).toMatch(/body did not match/);
  });

  it('counts a server that never answers as a failure at the timeout, and leaves no socket', async () => {
    const port = await server('healthy');
    const clock = new FakeClock();
    const sockets = await settledSockets();
    const check = tracked(checkOnce(http(`http://127.0.0.1:${port}/hang`, { timeout: 300 }), context(undefined, clock)));
    await until(() => count('TCPSocketWrap') > sockets, 2000, 'the probe socket');
    await expectTimeoutAt(clock, check, 300);
    await until(() => count('TCPSocketWrap') <= sockets, 2000, 'the probe socket to close');
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
    const port = await server('healthy');
    const sockets = await settledSockets();
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
  it('closes a passed connection gently: a server that greets, with no error handler, survives 40 checks', async () => {
    // As a database does: write at once on every connection. A probe that cut the connection with
    // unread data in its buffer would reset it, and this server would die of ECONNRESET.
    const server = spawn(NODE, ['-e', "const s = require('node:net').createServer((c) => c.end('ready\\n')).listen(0, '127.0.0.1', () => console.log(s.address().port))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = Number(await firstLine(server, 'the greeting server to listen'));
      for (let i = 0; i < 40; i++) expect((await checkOnce(tcp(port), context())).ok).toBe(true);
      // A reset reaches the server after the check: give its event loop a round trip to crash on it.
      expect(await checkOnce(tcp(port), context())).toMatchObject({ ok: true });
      expect(server.exitCode).toBeNull();
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('fails before the listener is up and passes once it listens', async () => {
    const port = await closedPort();
    const early = await checkOnce(tcp(port), context());
    expect(early.ok).toBe(false);
    expect(early.message).toMatch(/ECONNREFUSED/);
    const listener = createServer((socket) => socket.end()).listen(port, '127.0.0.1');
    listeners.push(listener);
    await once(listener, 'listening');
    expect(await checkOnce(tcp(port), context())).toMatchObject({ ok: true, data: { host: '127.0.0.1', port } });
  });

  it('counts a connection that hangs as a failure at the timeout, and leaves no socket', async () => {
    const { proc, port } = await start('health-tcp-stuck.mjs');
    proc.child.kill('SIGSTOP');
    const fillers: Socket[] = [];
    try {
      // Fill the accept queue of the stopped listener: once it is full, the kernel drops new
      // connection requests and a connection hangs. On Linux the kernel's table shows the queue and
      // the hanging connection; elsewhere a connection that does not complete in 100 ms is the sign.
      const table = tcpTable() !== undefined;
      for (let i = 0; i < 10; i++) {
        if (table && tcpState(tcpTable() ?? [], port).queued > STUCK_BACKLOG) break;
        const socket = connect(port, '127.0.0.1');
        fillers.push(socket);
        if (table) {
          await until(() => !socket.connecting, 2000, 'a filler to connect');
          await until(() => tcpState(tcpTable() ?? [], port).queued >= fillers.length, 2000, 'the connection to be queued');
        } else if (!(await Promise.race([once(socket, 'connect').then(() => true), delay(100).then(() => false)]))) {
          break;
        }
      }
      const clock = new FakeClock();
      const sockets = await settledSockets();
      const check = tracked(checkOnce(tcp(port, 300), context(undefined, clock)));
      expect(count('TCPSocketWrap')).toBeGreaterThan(sockets);
      // Its connection request was dropped: it waits for a retransmission, which the timeout beats.
      if (table) await until(() => tcpState(tcpTable() ?? [], port).connecting === 1, 2000, 'the probe to hang in SYN_SENT');
      await expectTimeoutAt(clock, check, 300);
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
      const clock = new FakeClock();
      const check = tracked(checkOnce(exec('sh', [fixture('health-exec-tree.sh'), pidFile, 'wait'], 500), context(undefined, clock)));
      // The command is running, with its background sleep, when its time is up.
      await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 5000, 'the pid file');
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(grandchild)).toBe(true);
      await expectTimeoutAt(clock, check, 500);
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
    const clock = new FakeClock();
    const check = tracked(
      checkOnce(
        custom((ctx) => {
          signal = ctx.signal;
          return new Promise(() => {});
        }, 200),
        context(undefined, clock),
      ),
    );
    await flushPromises();
    expect(signal?.aborted).toBe(false);
    expect(await expectTimeoutAt(clock, check, 200)).toEqual({ ok: false, message: 'timed out after 200 ms' });
    expect(signal?.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });
});

describe('checkOnce', () => {
  it('ends a check at once when the incarnation aborts', async () => {
    const incarnation = new AbortController();
    // The clock never moves: only the abort can end the check.
    const clock = new FakeClock();
    const pending = tracked(checkOnce(custom(() => new Promise(() => {}), 10_000), context(incarnation.signal, clock)));
    await flushPromises();
    expect(pending.settled()).toBe(false);
    incarnation.abort();
    expect(await pending.promise).toEqual({ ok: false, message: 'aborted' });
    expect(clock.pending).toBe(0);
    expect(await checkOnce(custom(async () => true), context(incarnation.signal, clock))).toEqual({ ok: false, message: 'aborted' });
  });

  it('refuses to poll event-driven probes', async () => {
    const result = await checkOnce({ ...timing, type: 'ipc' }, context());
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/cannot be polled/);
  });
});

describe('tcp probe and TCP self-connect', () => {
  it('tells a socket connected to itself (nothing listening, the source port chosen equal to the target) from a real connection', async () => {
    const { connectedToItself } = await import('../../src/health/check-tcp.js');
    const { createServer, connect } = await import('node:net');
    // A free port, then a connection from that very port to it: the kernel connects it to itself.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const self = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: port });
    await new Promise<void>((resolve, reject) => {
      self.once('connect', () => resolve());
      self.once('error', reject);
    });
    expect(connectedToItself(self)).toBe(true);
    self.destroy();
    const server = createServer((s) => s.end()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const real = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    await new Promise((resolve) => real.once('connect', resolve));
    expect(connectedToItself(real)).toBe(false);
    real.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
});
