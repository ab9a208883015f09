/**
 * Free ports for fixtures (`port: 'auto'`), distinct across every process of the machine that
 * allocates through here: the parallel workers of one test run, and concurrent runs.
 *
 * A free port is picked below the OS's ephemeral range (tried with a listen on 127.0.0.1, closed at
 * once; the OS's own pick when there is no room below); between that close and
 * the fixture's own listen, another worker could be handed the same port. So each port taken is
 * also claimed by a lock file created exclusively (`O_EXCL`) in a directory every worker shares,
 * holding the claimant's pid and start time. A port whose lock is held by a live process is skipped;
 * a lock whose holder died (a SIGKILLed run) is taken over, under a second exclusive file
 * (`<port>.takeover`) so that two claimants never both delete and re-create it. The lock is
 * released when the fixture stops for good, or by a synchronous exit hook when the host exits.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PortUnavailableError } from '../api/errors.js';
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
async function pickFreePort(): Promise<number> {
  const below = ephemeralStart();
  // Below the ephemeral range when there is room: the OS never uses those ports as the source of an
  // outgoing connection, so a probe connecting before the fixture listens cannot meet itself
  // (a TCP self-connect holds the port against the fixture), nor a client take the port.
  if (below > MIN_PORT + 1000) {
    for (let i = 0; i < 20; i++) {
      const port = MIN_PORT + Math.floor(Math.random() * (below - MIN_PORT));
      if ((await tryListen(port)) === undefined) return port;
    }
  }
  return listenOnAny();
}

/** Lowest port handed out below the ephemeral range (above the well-known and most registered ones). */
const MIN_PORT = 10_000;

/** The first port of the OS's ephemeral range (Linux: ip_local_port_range; elsewhere IANA's 49152). */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 49_152;
  } catch {
    return 49_152;
  }
}

/** Listens on `port` of 127.0.0.1 and closes at once: undefined when that worked, else the error. */
function tryListen(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', resolve);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** A port the OS picks (from its ephemeral range). */
function listenOnAny(): Promise<number> {
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

/** Creates `path` exclusively with our holder line; false when it exists. */
function createExclusive(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, holderLine());
  } finally {
    closeSync(fd);
  }
  return true;
}

/** A takeover file older than this was left by a claimant that died in the middle of one. */
const STALE_TAKEOVER_MS = 10_000;

/**
 * Claims `port` by creating its lock file: its path, or undefined when a live process holds it (or
 * another claimant is taking over the same dead lock this instant).
 */
function claim(dir: string, port: number): string | undefined {
  const path = join(dir, String(port));
  if (createExclusive(path)) return path;
  if (heldByLiveProcess(path)) return undefined;
  // Its holder died without releasing it. Take it over under the takeover file: whoever creates
  // that re-reads the lock, and only a lock still dead is replaced.
  const takeover = `${path}.takeover`;
  if (!createExclusive(takeover)) {
    const age = Date.now() - (statSync(takeover, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > STALE_TAKEOVER_MS) unlinkQuietly(takeover);
    return undefined;
  }
  try {
    if (heldByLiveProcess(path)) return undefined;
    unlinkQuietly(path);
    return createExclusive(path) ? path : undefined;
  } finally {
    unlinkQuietly(takeover);
  }
}

/**
 * Claims a free port on 127.0.0.1 that no other live process claimed through here.
 * @throws PortUnavailableError when no port could be claimed in {@link ATTEMPTS} picks (the OS kept
 *   handing out claimed ports), or the lock directory is not writable (its error as `cause`).
 */
export async function allocatePort(): Promise<PortLease> {
  const dir = portLockDir();
  try {
    return await claimFreePort(dir);
  } catch (error) {
    if (error instanceof PortUnavailableError) throw error;
    throw new PortUnavailableError(
      undefined,
      `No port could be claimed for a fixture with \`port: 'auto'\`: the claim directory ${dir} is not usable (${(error as Error).message}) — make the OS temporary directory writable, or set TMPDIR to one that is`,
      { cause: error },
    );
  }
}

async function claimFreePort(dir: string): Promise<PortLease> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const lease = claimPort(await pickFreePort(), dir);
    if (lease) return lease;
  }
  throw new PortUnavailableError(
    undefined,
    `No free port could be claimed for a fixture with \`port: 'auto'\` in ${ATTEMPTS} attempts: every port the OS offered was claimed by another test process (claims in ${dir}) — too many fixtures at once?`,
  );
}

/**
 * Claims `port` by its lock file (taking over a dead holder's): the lease, or undefined when a live
 * process holds it. The port itself is not checked here: {@link allocatePort} picks free ones.
 */
export function claimPort(port: number, dir: string = portLockDir()): PortLease | undefined {
  mkdirSync(dir, { recursive: true });
  if (!hooked) {
    process.on('exit', releaseAll);
    hooked = true;
  }
  const path = claim(dir, port);
  if (path === undefined) return undefined;
  held.add(path);
  return {
    port,
    release: () => {
      if (held.delete(path)) unlinkQuietly(path);
    },
  };
}

/**
 * Checks that a fixed port is free on 127.0.0.1 before a fixture is started on it: a fixture that
 * cannot listen would otherwise fail later, as an exit whose reason is buried in its output.
 * @throws PortUnavailableError naming the port, when it is in use
 */
export async function checkPortFree(port: number): Promise<void> {
  const error = await tryListen(port);
  // Anything but "in use" (e.g. a privileged port) is not ours to judge: the fixture's own start tells.
  if (error?.code !== 'EADDRINUSE') return;
  throw new PortUnavailableError(port, `Port ${port} is in use on 127.0.0.1, so a fixture cannot listen on it — stop what holds it, or use \`port: 'auto'\` for a free one`, {
    cause: error,
  });
}
