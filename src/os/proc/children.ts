/**
 * Parent → children relations: whole-table scans, the kernel's per-task `children` files, and the
 * breadth-first walk over either.
 */
import { fs } from '../../util/builtins.js';
import { HAS_PROC, listPids, readProcText } from './read.js';
import { readNode, readStat } from './stat.js';
import type { ProcNode, ProcStat } from './stat.js';

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

/** A scan of the process table for tree walks: what {@link scanLinks} returns. */
export interface LinkScan {
  /** pid → what a walk and a signal need of it. */
  readonly links: ReadonlyMap<number, ProcNode>;
  /** ppid → its children's pids. */
  readonly children: ReadonlyMap<number, readonly number[]>;
}

/**
 * One scan of the process table for tree walks (of `pids`, by default every process listed now):
 * pid → node, and ppid → children. Leaner than `scanProcesses` + `childrenIndex`, which matters
 * when a stop waits on it; a node costs the same read as a bare link.
 */
export function scanLinks(pids: readonly number[] = listPids()): LinkScan {
  const links = new Map<number, ProcNode>();
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const link = readNode(pid);
    if (!link) continue;
    links.set(pid, link);
    const siblings = children.get(link.ppid);
    if (siblings) siblings.push(pid);
    else children.set(link.ppid, [pid]);
  }
  return { links, children };
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
 * `readNode`) of 1 saves listing the task directory. The kernel documents the list as
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
    tasks = fs().readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tasks) {
    const text = readProcText(`/proc/${pid}/task/${tid}/children`);
    if (text !== undefined) parsePids(text, found);
  }
  return found;
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
