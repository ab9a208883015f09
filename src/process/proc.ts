/**
 * Direct reads of Linux `/proc`. Everything here is synchronous on purpose: `/proc` files are
 * generated in memory by the kernel, a read never blocks on a disk, and a sync read costs a few
 * microseconds where an async one costs a thread-pool round trip.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';

/** True when this platform has a Linux-style `/proc`. */
export const HAS_PROC = process.platform === 'linux';

/** The fields of `/proc/<pid>/stat` procvisor uses. */
export interface ProcStat {
  pid: number;
  /** Executable name (may be truncated to 15 chars by the kernel). */
  comm: string;
  /** One-letter state; `Z` is a zombie, `X` dead. */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** User + system CPU time in clock ticks. */
  utime: number;
  stime: number;
  /** CPU time of waited-for (reaped) children, in clock ticks. */
  cutime?: number;
  cstime?: number;
  threads: number;
  /** Start time in clock ticks after boot: with the pid, it names one process for ever. */
  starttime: number;
  /** Resident set in pages. */
  rssPages: number;
}

/** Parses the text of `/proc/<pid>/stat`. The comm field may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const num = (i: number): number => Number(rest[i]);
  return {
    pid: Number(text.slice(0, open - 1)),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(1),
    pgid: num(2),
    sid: num(3),
    utime: num(11),
    stime: num(12),
    cutime: num(13),
    cstime: num(14),
    threads: num(17),
    starttime: num(19),
    rssPages: num(21),
  };
}

/**
 * Reads one process's stat, or `undefined` when it is gone (or not readable). Goes through
 * `readProcText` (one shared buffer, open + read + close): scans read hundreds of these in a row.
 */
export function readStat(pid: number): ProcStat | undefined {
  const text = readProcText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** Lists the PIDs currently in `/proc`. */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const code = entry.charCodeAt(0);
    if (code >= 48 && code <= 57) pids.push(Number(entry));
  }
  return pids;
}

/** One scan of every process in `/proc`: pid → stat. Processes that vanish meanwhile are skipped. */
export function scanProcesses(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (stat) table.set(pid, stat);
  }
  return table;
}

/** Builds ppid → children from a scan. */
export function childrenIndex(table: ReadonlyMap<number, ProcStat>): Map<number, number[]> {
  const index = new Map<number, number[]>();
  for (const stat of table.values()) {
    const siblings = index.get(stat.ppid);
    if (siblings) siblings.push(stat.pid);
    else index.set(stat.ppid, [stat.pid]);
  }
  return index;
}

/**
 * Every descendant of `root` in a scan, breadth first, `root` excluded. Descendants that moved to
 * their own session or process group are included: the walk follows parent links, not groups.
 */
export function descendantsOf(root: number, index: ReadonlyMap<number, readonly number[]>): number[] {
  const found: number[] = [];
  const queue = [root];
  const seen = new Set<number>([root]);
  for (let i = 0; i < queue.length; i++) {
    for (const child of index.get(queue[i] as number) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number, starttime?: number): boolean {
  if (HAS_PROC) {
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
    return starttime === undefined || stat.starttime === starttime;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/*
 * Cheaper reads for sampling rounds that touch hundreds of pids: `readFileSync` does open, fstat,
 * read, close and allocates a buffer per call; `/proc` files are small, so one shared buffer and
 * open/read/close halves the cost.
 */
const shared = Buffer.allocUnsafe(4096);

/** Reads a small `/proc` file as latin1 text, or `undefined` when it is gone or not readable. */
export function readProcText(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = readSync(fd, shared, 0, shared.length, 0);
    // A file that fills the buffer may be longer: fall back to a whole read.
    return length < shared.length ? shared.toString('latin1', 0, length) : readFileSync(path, 'latin1');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Same result as `parseStat`, without splitting all 52 fields into strings: digits are summed as
 * they are scanned. A sampling round parses every sampled process each round, and the split
 * dominated its own (JavaScript) share of the cost.
 */
export function parseStatLean(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0 || close + 2 >= text.length) return undefined;
  let ppid = 0;
  let pgid = 0;
  let sid = 0;
  let utime = 0;
  let stime = 0;
  let cutime = 0;
  let cstime = 0;
  let threads = 0;
  let starttime = 0;
  let rssPages = 0;
  // Fields counted from the state (0); the state is one letter, numbers start at field 1.
  let field = 1;
  let value = 0;
  let sign = 1;
  for (let i = close + 4; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 45) {
      sign = -1;
      continue;
    }
    if (code !== 32 && code !== 10) {
      value = value * 10 + (code - 48);
      continue;
    }
    const n = sign * value;
    if (field === 1) ppid = n;
    else if (field === 2) pgid = n;
    else if (field === 3) sid = n;
    else if (field === 11) utime = n;
    else if (field === 12) stime = n;
    else if (field === 13) cutime = n;
    else if (field === 14) cstime = n;
    else if (field === 17) threads = n;
    else if (field === 19) starttime = n;
    else if (field === 21) {
      rssPages = n;
      break;
    }
    field++;
    value = 0;
    sign = 1;
  }
  if (field < 21) return undefined;
  return {
    pid: Number(text.slice(0, open - 1)),
    comm: text.slice(open + 1, close),
    state: text.charAt(close + 2),
    ppid,
    pgid,
    sid,
    utime,
    stime,
    cutime,
    cstime,
    threads,
    starttime,
    rssPages,
  };
}

/** Like `readStat`, through `readProcText`. */
export function readStatFast(pid: number): ProcStat | undefined {
  const text = readProcText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** Bytes a process caused to be read from / written to storage (`/proc/<pid>/io`). */
export interface ProcIo {
  read: number;
  write: number;
}

/** Picks storage read/write bytes out of the text of `/proc/<pid>/io`. */
export function parseIo(text: string): ProcIo | undefined {
  const read = /^read_bytes: (\d+)/m.exec(text);
  const write = /^write_bytes: (\d+)/m.exec(text);
  if (!read || !write) return undefined;
  return { read: Number(read[1]), write: Number(write[1]) };
}

/** Reads `/proc/<pid>/io`; `undefined` when gone or not permitted (it needs ptrace access). */
export function readIo(pid: number): ProcIo | undefined {
  const text = readProcText(`/proc/${pid}/io`);
  return text === undefined ? undefined : parseIo(text);
}

/**
 * Counts a process's open file descriptors; `undefined` when gone or not permitted. Linux 6.2+
 * reports the count as the size of `/proc/<pid>/fd`, one stat call; older kernels report 0 and
 * the directory is listed instead.
 */
export function countFds(pid: number): number | undefined {
  try {
    const size = statSync(`/proc/${pid}/fd`).size;
    return size > 0 ? size : readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Seconds since boot from `/proc/uptime` (the time base of `ProcStat.starttime`), or `undefined`. */
export function readUptime(): number | undefined {
  const text = readProcText('/proc/uptime');
  const seconds = text === undefined ? Number.NaN : Number.parseFloat(text);
  return Number.isFinite(seconds) ? seconds : undefined;
}

/** What a tree walk needs of one process: {@link scanLinks}. */
export interface ProcLink {
  ppid: number;
  starttime: number;
  /** Zombie or dead: its children were already handed to a reaper, it is no parent any more. */
  gone: boolean;
}

/**
 * Reads ppid, state and start time from `/proc/<pid>/stat` without splitting all 52 fields: a scan
 * does this for every process on the machine, so the parse is a fair share of its cost.
 */
export function readLink(pid: number): ProcLink | undefined {
  const text = readProcText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // Fields are counted after the last ')': the command name may hold spaces and parentheses.
  const state = text.lastIndexOf(')') + 2;
  if (state < 2) return undefined;
  const ppid = text.indexOf(' ', state) + 1;
  let start = ppid;
  for (let field = 1; field < 19; field++) start = text.indexOf(' ', start) + 1;
  const code = text.charCodeAt(state);
  return {
    ppid: Number.parseInt(text.slice(ppid, text.indexOf(' ', ppid)), 10),
    starttime: Number.parseInt(text.slice(start, text.indexOf(' ', start)), 10),
    gone: code === 90 /* Z */ || code === 88 /* X */,
  };
}

/**
 * One scan of the process table for tree walks: pid → link, and ppid → children. Leaner than
 * `scanProcesses` + `childrenIndex`, which matters when a stop waits on it.
 */
export function scanLinks(): { links: Map<number, ProcLink>; children: Map<number, number[]> } {
  const links = new Map<number, ProcLink>();
  const children = new Map<number, number[]>();
  for (const pid of listPids()) {
    const link = readLink(pid);
    if (!link) continue;
    links.set(pid, link);
    const siblings = children.get(link.ppid);
    if (siblings) siblings.push(pid);
    else children.set(link.ppid, [pid]);
  }
  return { links, children };
}

/** What a tree walk and a signal need of one process: {@link readNode}. */
export interface ProcNode extends ProcLink {
  pgid: number;
  /** Threads: a single-threaded process lists its children in one file. */
  threads: number;
}

/**
 * Reads ppid, pgid, state, thread count and start time from `/proc/<pid>/stat`, counting spaces
 * instead of splitting the 52 fields (a stop reads this for every member, several times).
 */
export function readNode(pid: number): ProcNode | undefined {
  const text = readProcText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // Fields are counted after the last ')': the command name may hold spaces and parentheses.
  const state = text.lastIndexOf(')') + 2;
  if (state < 2) return undefined;
  const starts: number[] = [];
  let at = state;
  for (let field = 1; field <= 19; field++) {
    at = text.indexOf(' ', at) + 1;
    if (at === 0) return undefined;
    starts.push(at);
  }
  const int = (field: number): number => {
    const from = starts[field - 1] as number;
    return Number.parseInt(text.slice(from, text.indexOf(' ', from)), 10);
  };
  const code = text.charCodeAt(state);
  return {
    ppid: int(1),
    pgid: int(2),
    threads: int(17),
    starttime: int(19),
    gone: code === 90 /* Z */ || code === 88 /* X */,
  };
}

let childrenFiles: boolean | undefined;

/**
 * True where the kernel lists each task's children in `/proc/<pid>/task/<tid>/children`
 * (`CONFIG_PROC_CHILDREN`, on in the common distribution kernels): a tree can then be walked from
 * its root in a few reads instead of a scan of every process on the machine.
 */
export function hasChildrenFiles(): boolean {
  if (childrenFiles === undefined) {
    childrenFiles = HAS_PROC && readProcText(`/proc/${process.pid}/task/${process.pid}/children`) !== undefined;
  }
  return childrenFiles;
}

/** Appends the PIDs of a `children` file's text ("12 34 ") to `into`. */
function parsePids(text: string, into: number[]): void {
  let value = 0;
  let digits = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits = true;
    } else if (digits) {
      into.push(value);
      value = 0;
      digits = false;
    }
  }
  if (digits) into.push(value);
}

/**
 * The children of `pid` from `/proc/<pid>/task/<tid>/children` of every thread (a child belongs to
 * the thread that forked it), or `undefined` when the process is gone. `threads` (from
 * {@link readNode}) of 1 saves listing the task directory. The kernel documents the list as
 * possibly incomplete while children exit or fork during the read: callers must tolerate a miss.
 */
export function readChildren(pid: number, threads = 0): number[] | undefined {
  const found: number[] = [];
  if (threads === 1) {
    const text = readProcText(`/proc/${pid}/task/${pid}/children`);
    if (text === undefined) return undefined;
    parsePids(text, found);
    return found;
  }
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tasks) {
    const text = readProcText(`/proc/${pid}/task/${tid}/children`);
    if (text !== undefined) parsePids(text, found);
  }
  return found;
}

/** Grows as needed: environments are usually a few KB, but may reach the kernel's ARG_MAX share. */
let environBuffer = Buffer.allocUnsafe(16 * 1024);

/**
 * The raw bytes of `/proc/<pid>/environ` (NUL-separated `KEY=value` entries), or `undefined` when
 * it is gone or not readable (another user's process: EACCES). The result is a view of a shared
 * buffer, valid until the next call: search it, don't keep it. Empty for zombies and kernel threads.
 */
export function readEnvironRaw(pid: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/environ`, 'r');
  } catch {
    return undefined;
  }
  try {
    // The kernel fills a read of environ up to the end of the block: a short read is the end.
    let length = readSync(fd, environBuffer, 0, environBuffer.length, null);
    while (length === environBuffer.length) {
      const bigger = Buffer.allocUnsafe(environBuffer.length * 2);
      environBuffer.copy(bigger, 0, 0, length);
      environBuffer = bigger;
      length += readSync(fd, environBuffer, length, environBuffer.length - length, null);
    }
    return environBuffer.subarray(0, length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The PIDs of kernel threads: the children of `kthreadd` (PID 2), from one read. They have no
 * environment, and opening theirs fails (an exception per thread), so scans skip them. Empty where
 * PID 2 is not `kthreadd` (a PID namespace, where kernel threads are not visible anyway).
 */
export function kernelThreads(): Set<number> {
  const threads = new Set<number>();
  if (!HAS_PROC || readProcText('/proc/2/comm') !== 'kthreadd\n') return threads;
  const text = readProcText('/proc/2/task/2/children');
  if (text === undefined) return threads;
  const pids: number[] = [];
  parsePids(text, pids);
  for (const pid of pids) threads.add(pid);
  threads.add(2);
  return threads;
}
