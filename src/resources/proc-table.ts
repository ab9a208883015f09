/**
 * The process table a `/proc` sampling round works on, kept between rounds so a round costs
 * about one read per sampled process instead of one per process on the machine:
 *
 * - each round lists `/proc` once; pids new since the last round are read, vanished ones dropped;
 * - members (targets and their descendants) are re-read every round, through file descriptors
 *   held open between rounds: a held fd is one `pread` instead of open, read and close, and it
 *   names one process for ever — once that process is gone the read fails, pid reuse or not;
 * - other processes keep the parent link they were read with. A parent link only changes when
 *   the parent dies, and then the child was a member if it mattered, so the cache stays right;
 *   a full re-read when a new target appears, and every `FULL_EVERY` rounds, covers the rest
 *   (a target added over an existing tree, a subreaper adopting orphans).
 *
 * Open fds stay within a budget shared by all tables (a quarter of the soft `RLIMIT_NOFILE`):
 * past it, reads fall back to open/read/close. A table dropped without `release()` closes its
 * fds when garbage-collected.
 */
import type { ProcIo, ProcStat } from '../os/proc.js';
import { descendantsOf, listPids, parseIo, parseStat, readProcText } from '../os/proc.js';
import { fs } from '../util/builtins.js';
import { NONE } from '../util/none.js';

/** Rounds between two full re-reads of every process. */
const FULL_EVERY = 60;

interface Entry {
  stat: ProcStat;
  /** Round in which `stat` was read. */
  seen: number;
  /** Last round in which it was a target or a descendant of one. */
  used?: number;
  /** Has been a target: its tree was read in full once. */
  target?: boolean;
  statFd?: number;
  ioFd?: number;
  dirFd?: number;
}

type FdKind = 'statFd' | 'ioFd' | 'dirFd';

const buffer = Buffer.allocUnsafe(4096);

/** Reads a held `/proc` fd from the start; `undefined` once its process is gone or access is denied. */
function pread(fd: number): string | undefined {
  try {
    const length = fs().readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  }
}

let budget: number | undefined;
/** Fds held by every table in this process: the budget is shared, not per table. */
let heldTotal = 0;

function closeQuietly(fd: number): void {
  heldTotal--;
  try {
    fs().closeSync(fd);
  } catch {
    // already closed
  }
}

/** A table dropped without `release()` still gives its fds back when collected. */
const orphaned = new FinalizationRegistry<Set<number>>((held) => {
  for (const fd of held) closeQuietly(fd);
});

/** A quarter of the soft open-files limit, at most 8192: room for the host's own fds. */
function fdBudget(): number {
  if (budget === undefined) {
    const limits = readProcText('/proc/self/limits') ?? '';
    const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
    budget = Number.isFinite(soft) && soft > 0 ? Math.min(8192, Math.floor(soft / 4)) : 256;
  }
  return budget;
}

/** Incremental view of `/proc` for sampling rounds. */
export class ProcTable {
  readonly #entries = new Map<number, Entry>();
  #children = new Map<number, number[]>();
  #round = 0;
  /** Fds this table holds open. */
  readonly #held = new Set<number>();
  readonly #budget: number;

  /** `fdBudget` caps the fds held by all tables together; default a quarter of the soft limit. */
  constructor(options: { fdBudget?: number } = {}) {
    this.#budget = options.fdBudget ?? fdBudget();
    orphaned.register(this, this.#held, this);
  }

  /** File descriptors this table holds open now. */
  get openFds(): number {
    return this.#held.size;
  }

  /**
   * Brings the table up to date for a round over `targets` (which may be a subset of the
   * sampled processes: those due this round).
   */
  update(targets: readonly number[]): void {
    const round = ++this.#round;
    const listing = listPids();
    const full = round % FULL_EVERY === 1 || targets.some((pid) => this.#entries.get(pid)?.target !== true);
    const present = new Set(listing);
    for (const [pid, entry] of this.#entries) if (!present.has(pid)) this.#drop(pid, entry);
    for (const pid of listing) {
      if (full || !this.#entries.has(pid)) this.#read(pid, false);
    }
    let moved = this.#walk(targets, round);
    // A member whose fresh stat shows a new parent moved in or out of a tree: walk again.
    for (let pass = 0; moved && pass < 3; pass++) moved = this.#walk(targets, round);
    for (const pid of targets) {
      const entry = this.#entries.get(pid);
      if (entry) entry.target = true;
    }
    if (full) this.#closeIdle(round);
  }

  /** The stat read this round (fresh for targets and their descendants). */
  stat(pid: number): ProcStat | undefined {
    return this.#entries.get(pid)?.stat;
  }

  /** Descendants of `pid` by parent links, as of the last `update()`. */
  descendants(pid: number): readonly number[] {
    // Most sampled processes have no children: skip the walk's allocations.
    return this.#children.has(pid) ? descendantsOf(pid, this.#children) : NONE;
  }

  /** Storage I/O of a target; `undefined` when not permitted (or gone). */
  io(pid: number): ProcIo | undefined {
    const entry = this.#entries.get(pid);
    if (!entry) return undefined;
    const path = `/proc/${pid}/io`;
    const fd = this.#hold(entry, 'ioFd', path, 'r');
    const text = fd === undefined ? readProcText(path) : pread(fd);
    if (text === undefined) {
      this.#close(entry, 'ioFd');
      return undefined;
    }
    return parseIo(text);
  }

  /** Open file descriptors of a target; `undefined` when not permitted (or gone). */
  fds(pid: number): number | undefined {
    const entry = this.#entries.get(pid);
    if (!entry) return undefined;
    const path = `/proc/${pid}/fd`;
    const { O_DIRECTORY, O_RDONLY } = fs().constants;
    try {
      const fd = this.#hold(entry, 'dirFd', path, O_RDONLY | O_DIRECTORY);
      // Linux 6.2+ reports the fd count as the directory size; before, it is 0 and we list it.
      const size = fd === undefined ? -1 : fs().fstatSync(fd).size;
      return size > 0 ? size : fs().readdirSync(path).length;
    } catch {
      this.#close(entry, 'dirFd');
      return undefined;
    }
  }

  /** Closes every held fd and forgets the table; the next `update()` starts afresh. */
  release(): void {
    for (const [pid, entry] of this.#entries) this.#drop(pid, entry);
    this.#children = new Map();
    this.#round = 0;
  }

  /**
   * Indexes parent links, then reads every member (targets and descendants) not yet read this
   * round, through held fds. Returns whether a member turned out to have a new parent.
   */
  #walk(targets: readonly number[], round: number): boolean {
    this.#children = new Map();
    for (const { stat } of this.#entries.values()) {
      const siblings = this.#children.get(stat.ppid);
      if (siblings) siblings.push(stat.pid);
      else this.#children.set(stat.ppid, [stat.pid]);
    }
    let moved = false;
    const visit = (pid: number): void => {
      const entry = this.#entries.get(pid);
      if (!entry) return;
      entry.used = round;
      if (entry.seen === round && (entry.statFd !== undefined || heldTotal >= this.#budget)) return;
      const ppid = entry.stat.ppid;
      this.#read(pid, true);
      if (this.#entries.get(pid)?.stat.ppid !== ppid) moved = true;
    };
    for (const pid of targets) {
      if (!this.#entries.has(pid)) continue;
      visit(pid);
      for (const child of this.descendants(pid)) visit(child);
    }
    return moved;
  }

  /** Closes the fds of processes that were no member for a while (their target went away). */
  #closeIdle(round: number): void {
    for (const entry of this.#entries.values()) {
      if (entry.used !== undefined && entry.used < round - FULL_EVERY) {
        this.#close(entry, 'statFd');
        this.#close(entry, 'ioFd');
        this.#close(entry, 'dirFd');
        delete entry.used;
        entry.target = false;
      }
    }
  }

  /**
   * Reads a stat through the entry's held fd, or through a new held fd when `hold` asks for one
   * and the budget allows, or else by path. A process that is gone is dropped.
   */
  #read(pid: number, hold: boolean): void {
    const path = `/proc/${pid}/stat`;
    let entry = this.#entries.get(pid);
    let fd = entry?.statFd;
    const opened = fd === undefined && hold ? this.#openFd(path, 'r') : undefined;
    fd ??= opened;
    const text = fd === undefined ? readProcText(path) : pread(fd);
    const stat = text === undefined ? undefined : parseStat(text);
    if (!stat) {
      if (opened !== undefined) this.#closeFd(opened);
      if (entry) this.#drop(pid, entry);
      return;
    }
    if (entry && entry.stat.starttime !== stat.starttime) {
      // The pid now names another process: what was held for the old one is worthless.
      this.#drop(pid, entry);
      entry = undefined;
    }
    if (!entry) {
      entry = { stat, seen: this.#round };
      this.#entries.set(pid, entry);
    }
    entry.stat = stat;
    entry.seen = this.#round;
    if (opened !== undefined) entry.statFd = opened;
  }

  /** The entry's held fd of `kind`, opened now if the budget allows; `undefined` if not held. */
  #hold(entry: Entry, kind: FdKind, path: string, flags: string | number): number | undefined {
    const held = entry[kind];
    if (held !== undefined) return held;
    const fd = this.#openFd(path, flags);
    if (fd !== undefined) entry[kind] = fd;
    return fd;
  }

  #openFd(path: string, flags: string | number): number | undefined {
    if (heldTotal >= this.#budget) return undefined;
    try {
      const fd = fs().openSync(path, flags);
      heldTotal++;
      this.#held.add(fd);
      return fd;
    } catch {
      return undefined;
    }
  }

  #closeFd(fd: number): void {
    this.#held.delete(fd);
    closeQuietly(fd);
  }

  #close(entry: Entry, kind: FdKind): void {
    const fd = entry[kind];
    if (fd === undefined) return;
    delete entry[kind];
    this.#closeFd(fd);
  }

  #drop(pid: number, entry: Entry): void {
    this.#close(entry, 'statFd');
    this.#close(entry, 'ioFd');
    this.#close(entry, 'dirFd');
    this.#entries.delete(pid);
  }
}
