/**
 * Listening sockets held by the host and handed to children (src/sockets/listen.ts), with real
 * processes: children accept on fd 3; the host itself never accepts; two children share one socket,
 * and one of them can go while requests keep coming without a single failed request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PortUnavailableError } from '../../src/index.js';
import { openSockets, socketEnv, type ListenSocket } from '../../src/sockets/listen.js';
import { firstLine, fixture, NODE, until } from '../helpers.js';

const open: ListenSocket[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  for (const socket of open.splice(0)) socket.close();
});

/** A server child on `socket`, resolved once it accepts. */
async function serve(socket: ListenSocket): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(NODE, [fixture('sockets-http.mjs')], {
    stdio: ['ignore', 'pipe', 'pipe', socket.fd],
    env: { ...process.env, ...socketEnv([socket]) },
  });
  children.push(child);
  return { child, line: await firstLine(child, 'the server to listen') };
}

async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
  return res.text();
}

describe('openSockets', () => {
  it('listens on a port of its own choosing; a child accepts on fd 3 with LISTEN_FDS and LISTEN_FDNAMES', async () => {
    const [socket] = openSockets([{ port: 0, name: 'web' }]);
    open.push(socket as ListenSocket);
    const { child, line } = await serve(socket as ListenSocket);
    expect(line).toBe(`listening ${child.pid} 1 web`);
    expect(await get((socket as ListenSocket).port)).toBe(String(child.pid));
  });

  it('the host never accepts: with no child, a connection waits in the backlog until one comes', async () => {
    const [socket] = openSockets([{ port: 0 }]);
    open.push(socket as ListenSocket);
    const pending = get((socket as ListenSocket).port);
    const { child } = await serve(socket as ListenSocket);
    expect(await pending).toBe(String(child.pid));
  });

  it('two children share one socket; one leaves gracefully under load and no request fails', async () => {
    const [socket] = openSockets([{ port: 0 }]);
    const s = socket as ListenSocket;
    open.push(s);
    const first = await serve(s);
    let failed = 0;
    const answered = new Set<string>();
    let stop = false;
    const load = (async () => {
      while (!stop) {
        try {
          answered.add(await get(s.port));
        } catch {
          failed++;
        }
      }
    })();
    const second = await serve(s);
    first.child.kill('SIGTERM');
    await new Promise((resolve) => first.child.once('exit', resolve));
    // The load goes on until the second child has answered after the first left.
    const served = answered.size;
    await until(() => answered.has(String(second.child.pid)) && answered.size >= served, 5000, 'the second child to answer');
    stop = true;
    await load;
    expect(failed).toBe(0);
    expect(answered.has(String(second.child.pid))).toBe(true);
  });

  it('names a port in use, and binds nothing when one of several fails', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const error = (() => {
        try {
          openSockets([{ port: 0 }, { port }]);
        } catch (e) {
          return e;
        }
        return undefined;
      })() as PortUnavailableError;
      expect(error).toBeInstanceOf(PortUnavailableError);
      expect(error.port).toBe(port);
      expect(error.message).toContain(`Cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('close() is idempotent; socketEnv lists names in order', () => {
    const sockets = openSockets([{ port: 0, name: 'http' }, { port: 0 }]);
    expect(socketEnv(sockets)).toEqual({ LISTEN_FDS: '2', LISTEN_FDNAMES: 'http:socket1' });
    for (const s of sockets) {
      s.close();
      s.close();
    }
  });
});
