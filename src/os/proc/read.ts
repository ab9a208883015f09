/**
 * The shared reader of small `/proc` files. Everything under `proc/` is synchronous on purpose:
 * `/proc` files are generated in memory by the kernel, a read never blocks on a disk, and a sync
 * read costs a few microseconds where an async one costs a thread-pool round trip.
 */
import { fs } from '../../util/builtins.js';

/**
 * True when this platform has a Linux-style `/proc`. A live binding: every module reading it sees
 * {@link forceNoProcForTests} at once.
 */
export let HAS_PROC = process.platform === 'linux';

/**
 * For tests only (not exported by the package): `true` makes every module take the path of a
 * platform without `/proc` — `ps` snapshots, liveness by `kill(pid, 0)`, tree-kill for SIGKILL, no
 * cookie sweeps — so a Linux run can exercise it; `false` restores the platform's own value. It
 * can only take `/proc` away, never pretend there is one.
 */
export function forceNoProcForTests(on: boolean): void {
  HAS_PROC = !on && process.platform === 'linux';
}

/*
 * Scans and sampling rounds read hundreds of pids in a row: `readFileSync` does open, fstat, read,
 * close and allocates a buffer per call; `/proc` files are small, so one shared buffer and
 * open/read/close halves the cost.
 */
const shared = Buffer.allocUnsafe(4096);

/** Reads a small `/proc` file as latin1 text, or `undefined` when it is gone or not readable. */
export function readProcText(path: string): string | undefined {
  let fd: number;
  try {
    fd = fs().openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = fs().readSync(fd, shared, 0, shared.length, 0);
    // A file that fills the buffer may be longer: fall back to a whole read.
    return length < shared.length ? shared.toString('latin1', 0, length) : fs().readFileSync(path, 'latin1');
  } catch {
    return undefined;
  } finally {
    fs().closeSync(fd);
  }
}

/** Lists the PIDs currently in `/proc`. */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const entry of fs().readdirSync('/proc')) {
    const code = entry.charCodeAt(0);
    if (code >= 48 && code <= 57) pids.push(Number(entry));
  }
  return pids;
}

/** Seconds since boot from `/proc/uptime` (the time base of `ProcStat.starttime`), or `undefined`. */
export function readUptime(): number | undefined {
  const text = readProcText('/proc/uptime');
  const seconds = text === undefined ? Number.NaN : Number.parseFloat(text);
  return Number.isFinite(seconds) ? seconds : undefined;
}
