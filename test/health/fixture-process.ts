/**
 * Spawns a fixture directly (no ProcessManager) for the health, IPC and child-helper tests, reads its
 * stdout line by line, and kills it for sure in `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE, fixture } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A running fixture. */
export interface FixtureProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** The next unread stdout line; rejects after `timeout` ms or when the process ends first. */
  line(timeout?: number): Promise<string>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process if it still runs and waits for its exit. */
  stop(): Promise<void>;
}

/** Options of {@link startFixture}. */
export interface FixtureOptions {
  /** Open an IPC channel. */
  ipc?: boolean;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** Starts `test/fixtures/<name>` with Node. */
export function startFixture(name: string, args: string[] = [], options: FixtureOptions = {}): FixtureProcess {
  const child = spawn(NODE, [fixture(name), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit', ...(options.ipc ? (['ipc'] as const) : [])],
    env: { ...process.env, ...options.env },
  });
  const lines: string[] = [];
  let read = 0;
  let buffer = '';
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n');
    while (end !== -1) {
      lines.push(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      end = buffer.indexOf('\n');
    }
    wake();
  });
  child.stdout?.on('end', () => {
    if (buffer !== '') lines.push(buffer);
    buffer = '';
    wake();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      setImmediate(wake);
    });
  });
  let ended = false;
  void exit.then(() => {
    ended = true;
  });

  return {
    child,
    lines,
    line(timeout = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No line from ${name} within ${timeout} ms (got ${JSON.stringify(lines)})`));
        }, timeout);
        const check = (): void => {
          if (read < lines.length) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(lines[read++] as string);
          } else if (ended && child.stdout?.readableEnded !== false) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`${name} ended without another line (got ${JSON.stringify(lines)})`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    exited: () => exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}
