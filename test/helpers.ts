/**
 * Shared test helpers: fixture paths, managers that are always shut down, and event waits.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Listens on a port of 127.0.0.1 the OS picks, and resolves with it. */
async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as { port: number }).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A port free right now on 127.0.0.1 (the OS's pick; whoever listens next takes it, in this worker
 * or another): for a server a test starts there. A probe that must find a port closed or silent
 * uses {@link closedPort} or {@link silentPort}, which nobody else can take meanwhile.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenLocal(server);
  await closeServer(server);
  return port;
}

/**
 * A port on 127.0.0.1 where nothing listens and nothing can while the test holds it: the local end
 * of a connection the test keeps open (to a server of its own), so a listen there fails with
 * EADDRINUSE and a connection to it is refused (ECONNREFUSED). `close()` it when done.
 */
export async function closedPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  const serverPort = await listenLocal(server);
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const holder = connect(serverPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    holder.once('connect', resolve);
    holder.once('error', reject);
  });
  const peer = await accepted;
  return {
    port: holder.localPort as number,
    close: async () => {
      holder.destroy();
      peer.destroy();
      await closeServer(server);
    },
  };
}

/**
 * A port on 127.0.0.1 held for the test, where every connection is reset at once: no request gets
 * an answer, and no other server (of a concurrent test, or another worker) can take the port while
 * the test runs, as one could a {@link freePort}. `close()` it when done.
 */
export async function silentPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((socket) => socket.resetAndDestroy());
  const port = await listenLocal(server);
  return { port, close: () => closeServer(server) };
}

/** Absolute path of a fixture script in test/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** The Node binary running the tests, so fixtures run under the same version. */
export const NODE = process.execPath;

interface Disposable {
  shutdown(): Promise<void>;
}
const live = new Set<Disposable>();

/** Registers something with `shutdown()` to be disposed after the test file. */
export function track<T extends Disposable>(value: T): T {
  live.add(value);
  return value;
}

/** Shuts down every tracked manager. */
export async function disposeManagers(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((m) => m.shutdown()));
}

/** Resolves after `ms`; only for deliberate waits inside fixtures or bounded polling. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every 20 ms until it is true or `timeout` ms pass, then throws. */
export async function until(predicate: () => boolean, timeout = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await delay(20);
  }
}

/** A live process that carries an environment marker. */
export interface MarkedProcess {
  pid: number;
  cmd: string;
}

/**
 * Every live process (zombies and this process left out) whose environment holds `key=value`, with
 * its command line: how the suite finds what a test left behind, whatever it re-parented to. Reads
 * every `/proc/<pid>/environ`, skipping unreadable ones; Linux only (`[]` elsewhere).
 */
export function markedProcesses(key: string, value: string): MarkedProcess[] {
  if (process.platform !== 'linux') return [];
  const first = Buffer.from(`${key}=${value}\0`, 'latin1');
  const inner = Buffer.from(`\0${key}=${value}\0`, 'latin1');
  const found: MarkedProcess[] = [];
  const seen = new Set<number>();
  // `direct`: tried by number, not listed. Thread ids share the numbering, and `/proc/<tid>` opens
  // for a thread too: a match counts only for a process (its own thread group's leader).
  const look = (pid: number, direct: boolean): void => {
    if (!Number.isInteger(pid) || seen.has(pid) || pid <= 1 || pid === process.pid) return;
    seen.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.charAt(stat.lastIndexOf(') ') + 2);
      if (state === 'Z' || state === 'X') return;
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (!(environ.subarray(0, first.length).equals(first) || environ.includes(inner))) return;
      if (direct && /^Tgid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] !== String(pid)) return;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid, cmd });
    } catch {
      // gone meanwhile, or not ours to read
    }
  };
  // A process that keeps escaping (it forks a new session and exits every few ms) can be in no
  // single listing: forked after it, its parent gone before its own read. So the pids allocated
  // while the listing was read are read as well, until none were (as the product's cookie scan).
  let last = lastPid();
  for (const name of readdirSync('/proc')) look(Number(name), false);
  for (let round = 0; round < 20; round++) {
    const now = lastPid();
    if (now === last) break;
    if (now > last && now - last <= 256) for (let pid = last + 1; pid <= now; pid++) look(pid, true);
    else for (const name of readdirSync('/proc')) look(Number(name), false);
    last = now;
  }
  return found;
}

/** The most recently allocated pid, from `/proc/loadavg`. */
function lastPid(): number {
  const text = readFileSync('/proc/loadavg', 'latin1').trim();
  return Number(text.slice(text.lastIndexOf(' ') + 1));
}

/** True while a PID exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform === 'linux') {
    try {
      return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    } catch {
      return false;
    }
  }
  return true;
}

/** Resolves with the first line `child` writes to stdout; rejects when it exits before one. */
export function firstLine(child: ChildProcess, what: string): Promise<string> {
  let text = '';
  return new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    child.once('exit', () => reject(new Error(`${what} exited early`)));
  });
}
