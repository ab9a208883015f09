/**
 * The fixture ledger: what `procvisor/testing` started, written down the moment it is forked, so
 * that a later run can kill what a crashed one left behind (`reapLeftovers`).
 *
 * Normally nothing is left: the exit hook and the reaper take every fixture down with its host,
 * however it dies. What escapes them is a host killed together with its reaper (every process of a
 * CI job killed at once, the out-of-memory killer taking both). Each host writes one file in a directory of its project (found by
 * the nearest `package.json`, hashed, under the OS temporary directory; a reboot clears it together
 * with every process it could name): a first line naming the host by pid and start time, then one
 * line per forked fixture incarnation with its pid, start time and tree cookie. A ledger whose host
 * is gone names leftovers; one whose host lives belongs to a run in progress (a parallel worker, or
 * another run of the same project) and is never touched. A pid counts only with its start time:
 * a recycled pid is never killed.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { threadId } from 'node:worker_threads';
import { dirname, join, resolve } from 'node:path';
import { findByCookie } from '../os/cookie.js';
import { isSameProcessAlive, startTimeOf } from '../os/start-time.js';
import { readProcessTree, signalTree, waitGone, type ProcessId } from '../os/tree.js';

/** The project a directory belongs to: the nearest directory upward holding a package.json, else itself. */
export function projectRoot(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(cwd);
    dir = parent;
  }
}

/** The ledger directory of the project `cwd` belongs to. */
export function ledgerDir(cwd: string = process.cwd()): string {
  const key = createHash('sha256').update(projectRoot(cwd)).digest('hex').slice(0, 16);
  return join(tmpdir(), 'procvisor-fixtures', key);
}

/** One line of a ledger. */
interface HostLine {
  host: number;
  start?: string;
}
interface ForkLine {
  pid: number;
  start?: string;
  cookie?: string;
}

let file: string | undefined;
let hooked = false;

/**
 * Writes one forked incarnation into this host's ledger, synchronously (the host may be killed the
 * next instant). The file is created on the first call, and removed once every fixture stopped
 * ({@link forgetLedger}) or the host exits by itself (the exit hook and the reaper then take its
 * fixtures down). A test runner that kills its workers leaves it: the next reap removes it.
 */
export function recordFork(pid: number, starttime: number | undefined, cookie: string | undefined): void {
  try {
    if (file === undefined) {
      const dir = ledgerDir();
      mkdirSync(dir, { recursive: true });
      const start = startTimeOf(process.pid);
      // The thread too: test runners may run files in worker threads of one process, each with its own fixtures.
      const path = join(dir, `${process.pid}-${(start ?? 'x').replace(/[^0-9A-Za-z]/g, '')}-${threadId}.jsonl`);
      const hostLine: HostLine = { host: process.pid, ...(start === undefined ? {} : { start }) };
      appendFileSync(path, `${JSON.stringify(hostLine)}\n`);
      file = path;
      if (!hooked) {
        process.on('exit', forgetLedger);
        hooked = true;
      }
    }
    const line: ForkLine = { pid, ...(starttime === undefined ? {} : { start: String(starttime) }), ...(cookie === undefined ? {} : { cookie }) };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    // An unwritable temporary directory costs only the reaping of a later run, never this start.
  }
}

/** Removes this host's ledger (every fixture stopped); the next fork starts a new one. */
export function forgetLedger(): void {
  if (file === undefined) return;
  unlinkQuietly(file);
  file = undefined;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // removed already
  }
}

/** Parses a ledger; undefined when it is not one (or half-written beyond its first line). */
function readLedger(path: string): { host: HostLine; forks: ForkLine[] } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const lines: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // the host died in the middle of a line: the lines before it still count
    }
  }
  const [host, ...forks] = lines as [HostLine | undefined, ...ForkLine[]];
  if (typeof host?.host !== 'number') return undefined;
  return { host, forks: forks.filter((f) => typeof f?.pid === 'number') };
}

/**
 * Kills what the fixtures of finished runs of the project at `cwd` left running: for each ledger
 * whose host is gone, every recorded incarnation still alive with its recorded start time, its
 * descendants, and (Linux) every process carrying one of its tree cookies. Ledgers of live hosts
 * are left alone. Resolves with the number of processes killed, once they are gone.
 */
export async function reap(cwd: string = process.cwd()): Promise<number> {
  const dir = ledgerDir(cwd);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const killed = new Map<string, ProcessId>();
  for (const name of names) {
    const path = join(dir, name);
    if (path === file) continue;
    const ledger = readLedger(path);
    if (!ledger) continue;
    if (isSameProcessAlive(ledger.host.host, ledger.host.start)) continue;
    const targets: ProcessId[] = [];
    for (const fork of ledger.forks) {
      if (!isSameProcessAlive(fork.pid, fork.start)) continue;
      const starttime = fork.start === undefined || !/^[0-9]+$/.test(fork.start) ? undefined : Number(fork.start);
      targets.push(...readProcessTree(fork.pid, starttime));
    }
    const cookies = ledger.forks.flatMap((f) => (f.cookie === undefined ? [] : [f.cookie]));
    if (cookies.length > 0) targets.push(...findByCookie(cookies));
    for (const id of targets) if (id.pid !== process.pid) killed.set(`${id.pid}:${id.starttime}`, id);
    unlinkQuietly(path);
  }
  const all = [...killed.values()];
  if (all.length > 0) {
    signalTree(all, 'SIGKILL', { groups: true });
    await waitGone(all, { timeout: 2000 });
  }
  return all.length;
}
