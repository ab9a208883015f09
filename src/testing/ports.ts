/**
 * Free ports for fixtures (`port: 'auto'`), distinct across every process of the machine that
 * allocates through here: the parallel workers of one test run, and concurrent runs.
 *
 * The OS picks a free port (a listen on port 0 of 127.0.0.1, closed at once); between that close and
 * the fixture's own listen, another worker could be handed the same port. So each port taken is
 * also claimed by a lock file created exclusively (`O_EXCL`) in a directory every worker shares,
 * holding the claimant's pid and start time. A port whose lock is held by a live process is skipped;
 * a lock whose holder died (a SIGKILLed run) is taken over. The lock is released when the fixture
 * stops for good, or by a synchronous exit hook when the host exits.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameProcessAlive, startTimeOf } from '../os/start-time.js';

/** A port claimed for one fixture, until `release()`. */
export interface PortLease {
  readonly port: number;
  /** Frees the claim (idempotent). */
  release(): void;
}

/** Where the lock files live: one directory for the machine, so that every run sees every claim. */
export function portLockDir(): string {
  return join(tmpdir(), 'procvisor-ports');
}

/** Attempts before giving up: each is one OS pick, and only a port claimed by a live process is skipped. */
const ATTEMPTS = 50;

/** The claims this process holds, by lock path: released by the exit hook if nothing else did. */
const held = new Set<string>();
let hooked = false;

function releaseAll(): void {
  for (const path of held) unlinkQuietly(path);
  held.clear();
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/** A port the OS considers free on 127.0.0.1 right now. */
function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Our identity as a lock holder: `<pid> <start time>`. */
function holderLine(): string {
  return `${process.pid} ${startTimeOf(process.pid) ?? '-'}\n`;
}

/** True when the lock at `path` names a process that still lives. */
function heldByLiveProcess(path: string): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false;
  }
  const [pid, ...start] = text.trim().split(' ');
  const startText = start.join(' ');
  // A lock being written this instant reads empty: held, unless its writer died long ago.
  if (pid === undefined || pid === '') return Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 10_000;
  return isSameProcessAlive(Number(pid), startText === '-' || startText === '' ? undefined : startText);
}

/** Claims `port` by creating its lock file: its path, or undefined when a live process holds it. */
function claim(dir: string, port: number): string | undefined {
  const path = join(dir, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, holderLine());
      } finally {
        closeSync(fd);
      }
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (heldByLiveProcess(path)) return undefined;
      // Its holder died without releasing it: take it over (once; a racing taker may win).
      unlinkQuietly(path);
    }
  }
  return undefined;
}

/**
 * Claims a free port on 127.0.0.1 that no other live process claimed through here.
 * @throws Error when no port could be claimed in {@link ATTEMPTS} picks (the OS kept handing out
 *   claimed ports, or the lock directory is not writable).
 */
export async function allocatePort(): Promise<PortLease> {
  const dir = portLockDir();
  mkdirSync(dir, { recursive: true });
  if (!hooked) {
    process.on('exit', releaseAll);
    hooked = true;
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await pickFreePort();
    const path = claim(dir, port);
    if (path === undefined) continue;
    held.add(path);
    return {
      port,
      release: () => {
        if (held.delete(path)) unlinkQuietly(path);
      },
    };
  }
  throw new Error(`No free port could be claimed in ${ATTEMPTS} attempts (lock directory ${dir})`);
}
