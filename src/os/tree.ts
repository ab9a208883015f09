/**
 * Whole process trees: snapshot them while the parent links still exist, signal every member and
 * every process group they lead, and wait until they are gone.
 *
 * A member is named by `(pid, starttime)`: a PID alone may be reused by an unrelated process as soon
 * as the original dies, but the pair names one process for ever. Every signal is preceded by a check
 * that the PID still carries the recorded start time.
 *
 * On Linux a tree is walked down from its root through the kernel's children lists, a few reads per
 * member; where the kernel has none, one scan of every process's parent link; elsewhere, `ps`. A
 * descendant whose parent died is out of reach of all three: cookie.ts finds it by its environment.
 *
 * Where there is no `/proc`, a tree is SIGKILLed through tree-kill ({@link killTreeWithoutProc}):
 * `taskkill /T` on Windows, which has neither `ps` nor process groups; `ps`/`pgrep` elsewhere.
 */
import { descendantsOf, HAS_PROC, hasChildrenFiles, isAlive, listPids, readChildren, readLink, readNode, readStat, scanLinks } from './proc.js';
import type { LinkScan, ProcLink, ProcNode } from './proc.js';
import { childProcess } from '../util/builtins.js';
import type { Ending } from '../util/ending.js';

/** One process, named so that a reused PID never matches it. */
export interface ProcessId {
  pid: number;
  /** Start time in clock ticks after boot; `undefined` where there is no `/proc` to read it from. */
  starttime: number | undefined;
}

/** Options of {@link signalTree}. */
export interface SignalTreeOptions {
  /** Also signal each distinct process group of the live members (`kill(-pgid)`). Default `false`. */
  groups?: boolean;
  /**
   * Then send SIGCONT to the members `/proc` shows stopped (all of them without `/proc`): a
   * stopped (SIGSTOP) process holds the signal until it runs again (systemd wakes them too). A
   * stop signal still pending at the look takes effect after it: {@link wakeStopped}, called while
   * the tree is awaited, catches those.
   */
  wake?: boolean;
}

/** Options of {@link waitGone}. */
export interface WaitGoneOptions {
  /** Give up after this many ms and resolve `false`. */
  timeout: number;
  /** Stops the wait early; it then resolves `false`. */
  signal?: AbortSignal;
  /** Also stops the wait early, the same way (the cheaper form the termination ladder uses). */
  end?: Ending;
  /** Longest interval between two polls, in ms. Polls start 1 ms apart, each 25% later. Default 50. */
  pollMs?: number;
}

/** ppid → children, from `ps`, for platforms without `/proc`. */
function psChildrenIndex(): Map<number, number[]> {
  const index = new Map<number, number[]>();
  let text: string;
  try {
    text = childProcess().execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return index;
  }
  for (const line of text.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined || !Number.isInteger(pid) || !Number.isInteger(ppid)) continue;
    const siblings = index.get(ppid);
    if (siblings) siblings.push(pid);
    else index.set(ppid, [pid]);
  }
  return index;
}

/** The node of `pid` as `scan` shows it, or read now without one. */
function nodeOf(pid: number, scan: LinkScan | undefined): ProcNode | undefined {
  return scan ? scan.links.get(pid) : readNode(pid);
}

/**
 * The live (non-zombie) node of `id`, or `undefined` when it is gone or its PID was reused; read
 * now, or looked up in `scan`.
 */
function liveNode(id: ProcessId, scan?: LinkScan): ProcNode | undefined {
  const node = nodeOf(id.pid, scan);
  if (!node || node.gone) return undefined;
  if (id.starttime !== undefined && node.starttime !== id.starttime) return undefined;
  return node;
}

/** True while `id` runs (not a zombie) with its recorded start time. */
function aliveAs(id: ProcessId): boolean {
  if (!HAS_PROC) return isAlive(id.pid);
  const link = readLink(id.pid);
  return link !== undefined && !link.gone && (id.starttime === undefined || link.starttime === id.starttime);
}

/**
 * Walks down from `seeds` through the kernel's per-task children lists: a few reads per member
 * instead of a scan of every process on the machine (the dominant cost of a stop). Seeds gone or
 * carrying another start time are skipped, not walked. A child is taken only while its parent link
 * still points at the member it was listed under (a PID reused meanwhile does not). The kernel may
 * omit a child that forks or exits during the read: refreshes and the cookie sweep catch those.
 * With `scan`, nothing is read: the walk follows the scan's parent links ({@link WalkBurst}).
 */
function walk(seeds: readonly ProcessId[], groups?: Map<number, Member>, scan?: LinkScan): ProcessId[] {
  const found: ProcessId[] = [];
  const seen = new Set<number>();
  const queue: { pid: number; threads: number }[] = [];
  for (const seed of seeds) {
    if (seen.has(seed.pid)) continue;
    const node = liveNode(seed, scan);
    if (!node) continue;
    seen.add(seed.pid);
    found.push({ pid: seed.pid, starttime: node.starttime });
    groups?.set(seed.pid, node);
    queue.push({ pid: seed.pid, threads: node.threads });
    for (let i = queue.length - 1; i < queue.length; i++) {
      const parent = queue[i] as { pid: number; threads: number };
      for (const pid of (scan ? scan.children.get(parent.pid) : readChildren(parent.pid, parent.threads)) ?? []) {
        if (seen.has(pid)) continue;
        const child = nodeOf(pid, scan);
        if (!child || child.gone || child.ppid !== parent.pid) continue;
        seen.add(pid);
        found.push({ pid, starttime: child.starttime });
        groups?.set(pid, child);
        queue.push({ pid, threads: child.threads });
      }
    }
  }
  return found;
}

/** The processes of a scan reachable from `seeds` through parent links, seeds first. */
function closure(seeds: readonly number[], scan: ReturnType<typeof scanLinks>): ProcessId[] {
  const found: ProcessId[] = [];
  const seen = new Set<number>();
  for (const seed of seeds) {
    for (const pid of [seed, ...descendantsOf(seed, scan.children)]) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      const link = scan.links.get(pid);
      if (link && !link.gone) found.push({ pid, starttime: link.starttime });
    }
  }
  return found;
}

/** True when a scanned process is `id`, alive. */
function matches(id: ProcessId, link: ProcLink | undefined): boolean {
  return link !== undefined && !link.gone && (id.starttime === undefined || link.starttime === id.starttime);
}

/**
 * The process `rootPid` and every descendant, root first. Descendants that moved to another
 * session or process group are included (the walk follows parent links, not groups).
 *
 * With `starttime`, the snapshot is empty unless `rootPid` still carries it. Empty when the root is
 * gone or a zombie; zombies are left out everywhere (they have no children and cannot be killed).
 * Without `/proc`, falls back to one `ps` snapshot and leaves start times `undefined`.
 */
export function readProcessTree(rootPid: number, starttime?: number): ProcessId[] {
  if (!HAS_PROC) {
    if (!isAlive(rootPid)) return [];
    return [rootPid, ...descendantsOf(rootPid, psChildrenIndex())].map((pid) => ({ pid, starttime: undefined }));
  }
  if (hasChildrenFiles()) return walk([{ pid: rootPid, starttime }]);
  const scan = scanLinks();
  const root = scan.links.get(rootPid);
  if (!matches({ pid: rootPid, starttime }, root)) return [];
  return closure([rootPid], scan);
}

/**
 * Looks again for members born since `tracked` was taken: adds every descendant of each tracked
 * member still alive with its recorded start time, the root (`rootPid`, which must be in `tracked`)
 * first. Returns `tracked` followed by the new members (dead members are kept: they are harmless,
 * their identities never match again). A PID is never adopted without its start time, so a reused
 * root PID cannot pull in a stranger's tree.
 *
 * With `wake`, the members `/proc` shows stopped are SIGCONTed too ({@link wakeStopped}), from the
 * reads the walk made anyway where it can.
 */
export function refreshTree(tracked: readonly ProcessId[], rootPid: number, opts: { wake?: boolean } = {}): ProcessId[] {
  const known = new Set(tracked.map((id) => `${id.pid}:${id.starttime}`));
  const ordered = [...tracked.filter((id) => id.pid === rootPid), ...tracked];
  let found: ProcessId[];
  let woken = false;
  if (HAS_PROC && hasChildrenFiles()) {
    const members = opts.wake ? new Map<number, Member>() : undefined;
    found = walk(ordered, members);
    if (members) {
      signalLive(stoppedOnly(members), 'SIGCONT', {});
      woken = true;
    }
  } else if (HAS_PROC) {
    const scan = scanLinks();
    const seeds = ordered.filter((id) => matches(id, scan.links.get(id.pid))).map((id) => id.pid);
    found = closure(seeds, scan);
  } else {
    const index = psChildrenIndex();
    const seeds = ordered.filter((id) => isAlive(id.pid)).map((id) => id.pid);
    const pids = new Set<number>();
    for (const seed of seeds) for (const pid of [seed, ...descendantsOf(seed, index)]) pids.add(pid);
    found = [...pids].map((pid) => ({ pid, starttime: undefined }));
  }
  const tree = [...tracked, ...found.filter((id) => !known.has(`${id.pid}:${id.starttime}`))];
  if (opts.wake && !woken) wakeStopped(tree);
  return tree;
}

/** Our own process group: never signalled, whatever a member's stat says. */
let ownGroup: number | undefined;
function hostGroup(): number | undefined {
  if (ownGroup === undefined && HAS_PROC) ownGroup = readStat(process.pid)?.pgid;
  return ownGroup;
}

/** `process.kill` that reports success instead of throwing for ESRCH/EPERM. */
function send(target: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
}

/**
 * Sends `signal` to each member still alive with its recorded start time. With `groups`, signals
 * each distinct process group of those members first (one call reaches every process of a group,
 * members or not, such as a grandchild whose parent already exited), then only the members outside
 * those groups, so no process gets the signal twice (a second SIGTERM means "force" to some
 * programs). The host's own group, init, and the host itself are never signalled. Members that
 * vanish meanwhile are skipped. Returns the PIDs of the members the signal reached.
 */
export function signalTree(
  tree: readonly ProcessId[],
  signal: NodeJS.Signals | number,
  opts: SignalTreeOptions = {},
): number[] {
  const live = new Map<number, Member>();
  for (const id of tree) {
    if (live.has(id.pid)) continue;
    if (HAS_PROC) {
      const node = liveNode(id);
      if (node) live.set(id.pid, node);
    } else if (isAlive(id.pid)) {
      live.set(id.pid, UNKNOWN_MEMBER);
    }
  }
  return signalLive(live, signal, opts);
}

/**
 * {@link readProcessTree} and {@link signalTree} in one pass: each member is signalled with the
 * group its walk just read, not read a second time (a stop of a thousand children reads a third
 * less of `/proc`). Returns the tree and the PIDs the signal reached.
 */
export function signalNewTree(
  rootPid: number,
  signal: NodeJS.Signals | number,
  opts: SignalTreeOptions & { burst?: WalkBurst | undefined; rootStarttime?: number | undefined } = {},
): { tree: ProcessId[]; signalled: number[] } {
  // A root the burst's scan does not show as itself (forked after the scan; with its start time
  // known, a PID the scan saw held by another process) is walked on its own.
  const scan = opts.burst?.scan();
  const scanned = scan?.links.get(rootPid);
  if (scan && scanned && (opts.rootStarttime === undefined || scanned.starttime === opts.rootStarttime)) {
    return signalScannedTree(rootPid, signal, opts, scan);
  }
  if (!HAS_PROC || !hasChildrenFiles()) {
    const tree = readProcessTree(rootPid);
    return { tree, signalled: signalTree(tree, signal, opts) };
  }
  const live = new Map<number, Member>();
  const tree = walk([{ pid: rootPid, starttime: undefined }], live);
  return { tree, signalled: signalLive(live, signal, opts) };
}

/**
 * {@link signalNewTree} from a scan taken earlier in the same burst. The root is unreaped and was
 * in the scan as itself, so its PID and group are still its own; every other member is read again
 * before it is signalled (in the scan it may have died since, and its PID or group gone to another
 * process); a tree of one, the common case, reads nothing.
 */
function signalScannedTree(rootPid: number, signal: NodeJS.Signals | number, opts: SignalTreeOptions, scan: LinkScan): { tree: ProcessId[]; signalled: number[] } {
  const scanned = new Map<number, Member>();
  const tree = walk([{ pid: rootPid, starttime: undefined }], scanned, scan);
  const live = new Map<number, Member>();
  for (const id of tree) {
    const node = id.pid === rootPid ? scanned.get(id.pid) : liveNode(id);
    if (node) live.set(id.pid, node);
  }
  return { tree, signalled: signalLive(live, signal, opts) };
}

/**
 * The first tree walks of many stops issued in one go (a shutdown of many top-level entries), made
 * from one scan of the process table: a walk from its root reads about two files per member, a scan
 * one per process on the machine, so from half as many roots as processes the scan is cheaper
 * (decided at the first walk, from the number of processes listed; never where there is no
 * `/proc`). Valid only while those stops are issued, within one synchronous run. The snapshot ages
 * with every stop (about 0.1 ms each): a member forked after it is not in its tree. If it stayed in
 * its root's group, the group signal reaches it, but its stop does not wait for it, and a shutdown's
 * final cookie sweep SIGKILLs it if it still runs by then; if it left the group, the re-walks or
 * that sweep find it, and it gets SIGKILL without the graceful signal. A walk from the root has the
 * same race, for the microseconds between its reads and the signal.
 */
export class WalkBurst {
  #scan: LinkScan | undefined;
  #decided = false;
  #ended = false;

  /** `roots`: how many trees the burst will walk. */
  constructor(private readonly roots: number) {}

  /** The shared scan, or `undefined` when walking each tree is cheaper or the burst has ended. */
  scan(): LinkScan | undefined {
    if (this.#ended) return undefined;
    if (!this.#decided) {
      this.#decided = true;
      if (HAS_PROC && this.roots > 1) {
        const pids = listPids();
        if (pids.length <= 2 * this.roots) this.#scan = scanLinks(pids);
      }
    }
    return this.#scan;
  }

  /** Ends the burst: walks made from now on read `/proc` themselves. */
  end(): void {
    this.#ended = true;
    this.#scan = undefined;
  }
}

/** What signalling needs to know of a live member: its group (0: unknown) and whether it is stopped. */
interface Member {
  pgid: number;
  stopped: boolean;
}

/** A member seen alive without `/proc`: group unknown, and taken as stopped, so it is always woken. */
const UNKNOWN_MEMBER: Member = { pgid: 0, stopped: true };

/** The signalling of {@link signalTree}, for members known alive. */
function signalLive(members: ReadonlyMap<number, Member>, signal: NodeJS.Signals | number, opts: SignalTreeOptions): number[] {
  const skipGroup = hostGroup();
  // pid → its group, or 0 when unknown (no /proc: a member that leads a group has pgid = pid).
  const live = new Map<number, number>();
  for (const [pid, member] of members) {
    if (pid <= 1 || pid === process.pid) continue;
    live.set(pid, member.pgid > 1 && member.pgid !== skipGroup ? member.pgid : 0);
  }
  const wake = opts.wake === true && signal !== 'SIGCONT';
  const reached = new Set<number>();
  if (opts.groups) {
    const groups = new Set<number>();
    for (const [pid, pgid] of live) groups.add(HAS_PROC ? pgid : pid);
    groups.delete(0);
    for (const pgid of groups) if (send(-pgid, signal)) reached.add(pgid);
  }
  const signalled: number[] = [];
  // The stopped targets again, with SIGCONT, the way the signal reached them: each group holding a
  // stopped member, then each stopped member signalled on its own. A running process is left
  // alone: waking it does nothing, and each of those calls costs as much as the signal itself.
  const wakeGroups = new Set<number>();
  const wakeDirect: number[] = [];
  for (const [pid, pgid] of live) {
    const viaGroup = reached.has(pgid) || (!HAS_PROC && reached.has(pid));
    if (viaGroup || send(pid, signal)) signalled.push(pid);
    if (!wake || !(members.get(pid) as Member).stopped) continue;
    if (viaGroup) wakeGroups.add(HAS_PROC ? pgid : pid);
    else wakeDirect.push(pid);
  }
  for (const pgid of wakeGroups) send(-pgid, 'SIGCONT');
  for (const pid of wakeDirect) send(pid, 'SIGCONT');
  return signalled;
}

/**
 * SIGCONTs each member `/proc` shows stopped: a stop signal that was pending when the tree was
 * signalled took effect afterwards, and holds the signal back. Returns the PIDs woken.
 */
function wakeStopped(tree: readonly ProcessId[]): number[] {
  if (!HAS_PROC) return [];
  const stopped = new Map<number, Member>();
  for (const id of tree) {
    const node = liveNode(id);
    if (node?.stopped) stopped.set(id.pid, node);
  }
  return signalLive(stopped, 'SIGCONT', {});
}

/** The members of `members` that are stopped. */
function stoppedOnly(members: ReadonlyMap<number, Member>): Map<number, Member> {
  return new Map([...members].filter(([, member]) => member.stopped));
}

/** True when no member of `tree` is alive (zombies count as gone: they hold no resources but a slot). */
export function allGone(tree: readonly ProcessId[]): boolean {
  return !tree.some(aliveAs);
}

/** Polls of {@link waitGone} stay 1 ms apart this long (ms): a SIGKILLed tree takes a few ms to go. */
const TIGHT_POLL_MS = 10;

/**
 * Resolves `true` as soon as every member of `tree` is dead or a zombie, `false` on timeout or
 * abort. Polls `/proc` at once, then every millisecond for the first 10 ms, then each interval 25%
 * longer up to `pollMs`: a SIGKILLed tree is seen gone about a millisecond after it is, and a slow
 * one costs one read per member still alive every `pollMs` (a member seen gone is not read again:
 * its identity never comes back).
 *
 * Polls and `timeout` are on real time, not an injected clock: the polling only notices the kernel
 * ending processes, which a fake clock cannot hurry. Callers whose behaviour hangs on a deadline
 * (the termination ladder) pass `timeout: Infinity` and race their own clock's timer instead.
 */
export function waitGone(tree: readonly ProcessId[], opts: WaitGoneOptions): Promise<boolean> {
  const maxPoll = opts.pollMs ?? 50;
  const started = performance.now();
  const deadline = started + opts.timeout;
  let left: readonly ProcessId[] = tree;
  return new Promise((resolve) => {
    let interval = Math.min(1, maxPoll);
    let timer: NodeJS.Timeout | undefined;
    let forgetEnd: (() => void) | undefined;
    const finish = (gone: boolean): void => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      forgetEnd?.();
      resolve(gone);
    };
    const onAbort = (): void => finish(false);
    const poll = (): void => {
      left = left.filter(aliveAs);
      if (left.length === 0) return finish(true);
      const now = performance.now();
      if (now >= deadline) return finish(false);
      timer = setTimeout(poll, Math.min(interval, deadline - now));
      if (now - started >= TIGHT_POLL_MS) interval = Math.min(interval * 1.25, maxPoll);
    };
    if (opts.signal?.aborted || opts.end?.ended) return finish(false);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.end) forgetEnd = opts.end.on(onAbort);
    poll();
  });
}

/**
 * A tree followed through a stop: snapshot at creation, {@link refresh} between signals to catch
 * processes forked meanwhile.
 */
export class TreeTracker {
  /** Every member seen so far, dead or alive. */
  members: ProcessId[];

  /** Snapshots the tree of `rootPid` now (empty when the root is gone or its start time differs). */
  constructor(
    readonly rootPid: number,
    starttime?: number,
  ) {
    this.members = readProcessTree(rootPid, starttime);
  }

  /** Adds descendants born since the last scan; returns only the new members. */
  refresh(): ProcessId[] {
    const before = this.members.length;
    this.members = refreshTree(this.members, this.rootPid);
    return this.members.slice(before);
  }

  /** {@link signalTree} over the members; returns the PIDs signalled. */
  signal(signal: NodeJS.Signals | number, opts?: SignalTreeOptions): number[] {
    return signalTree(this.members, signal, opts);
  }

  /** {@link waitGone} over the members. */
  waitGone(opts: WaitGoneOptions): Promise<boolean> {
    return waitGone(this.members, opts);
  }
}

/**
 * Kills `pid` and its descendants with the `tree-kill` package, for platforms without `/proc` or
 * process groups (Windows: `taskkill /T /F`, whatever `signal`; elsewhere one `ps` or `pgrep` per
 * member, then the signal to each). Loaded on first use so Linux never pays for it. Rejects when
 * the tree could not be read or a member could not be signalled.
 */
export async function killTreeFallback(pid: number, signal: NodeJS.Signals | number = 'SIGTERM'): Promise<void> {
  const { default: treeKill } = await import('tree-kill');
  await new Promise<void>((resolve, reject) => {
    treeKill(pid, signal, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * The SIGKILL of a whole tree where there is no `/proc`: the tree is snapshotted first (`tracked`
 * and every descendant `ps` finds now; `readProcessTree` when nothing is tracked yet), then
 * tree-kill takes down the root and what descends from it at that moment — on Windows the only
 * way to reach descendants at all — and last the snapshot's members and their process groups get
 * SIGKILL too: a member whose parent already died is out of tree-kill's reach. A second SIGKILL to
 * a member tree-kill got is harmless.
 *
 * `rootLive` says the root has not been reaped: its PID is used — by tree-kill, by the snapshot, by
 * the direct signal — only then (a reaped root's PID may already name an unrelated process). A
 * tree-kill failure (no `ps`, a member it may not signal) is not fatal: the direct signals still
 * go out, and the caller's wait reports what survived.
 *
 * Returns the tree and the PIDs of its members alive when the kill went out (start times are
 * unknown here, so liveness is `kill(pid, 0)`, which cannot tell a zombie from a live process).
 * Costs tree-kill's `ps` calls (100–600 ms for a ten-process tree): never used where `/proc` is.
 */
export async function killTreeWithoutProc(
  rootPid: number,
  tracked: readonly ProcessId[],
  rootLive: boolean,
): Promise<{ tree: ProcessId[]; killed: number[] }> {
  const members = rootLive ? tracked : tracked.filter((id) => id.pid !== rootPid);
  let tree: ProcessId[];
  if (members.length > 0) tree = refreshTree(members, rootPid);
  else tree = rootLive ? readProcessTree(rootPid) : [];
  const killed = [...new Set(tree.filter((id) => id.pid > 1 && id.pid !== process.pid && isAlive(id.pid)).map((id) => id.pid))];
  if (rootLive) {
    try {
      await killTreeFallback(rootPid, 'SIGKILL');
    } catch {
      // reported through the survivors: the direct signals below still go out
    }
  }
  signalTree(tree, 'SIGKILL', { groups: true });
  return { tree, killed };
}
