/**
 * A process's start time as an identity: a pid is recycled, a pid with its start time names one
 * process for ever. For records that outlive the process that wrote them (the fixture ledger, port
 * locks), compared as text only, never as a time.
 */
import { childProcess } from '../util/builtins.js';
import { HAS_PROC, isAlive, readStat } from './proc.js';

/**
 * The start time of `pid`: the kernel's (clock ticks after boot) from `/proc` on Linux, `ps`'s
 * `lstart` elsewhere on POSIX (one `ps` run: only for records written once per process), or
 * `undefined` when the process does not exist or nothing tells (Windows).
 */
export function startTimeOf(pid: number): string | undefined {
  if (HAS_PROC) {
    const starttime = readStat(pid)?.starttime;
    return starttime === undefined ? undefined : String(starttime);
  }
  if (process.platform === 'win32') return undefined;
  try {
    const text = childProcess().execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * True when the process `pid` that started at `start` still lives (on Linux a zombie counts as
 * gone). With no recorded start, the pid alone decides: only where nothing records start times.
 */
export function isSameProcessAlive(pid: number, start: string | undefined): boolean {
  if (HAS_PROC) return isAlive(pid, start === undefined ? undefined : Number(start));
  if (start === undefined) return isAlive(pid);
  return startTimeOf(pid) === start;
}
