/**
 * Tree cookies: every incarnation gets an environment variable, `PROCVISOR_TREE=<cookie>`, that all
 * its descendants inherit. A descendant that left the process group *and* lost its parent link (its
 * parent died, it was re-parented to init) can no longer be found by walking the tree; it can still
 * be found by its environment. The same idea as Jenkins' ProcessTreeKiller with `BUILD_ID`.
 *
 * A cookie is `<host pid>.<host start time>.<nonce>.<seq>`: unique per incarnation, never reused
 * by a later host that gets the same PID, nor by a second copy of this module in the same host (a
 * duplicated dependency, a test runner that reloads modules): each copy counts from 1, hence the
 * random nonce. The limit: a descendant that starts with a scrubbed environment (`env -i`, `sudo`,
 * a service manager) does not carry it.
 *
 * Cookies nest. A host that itself runs inside a supervised incarnation (a procvisor runner under
 * a procvisor supervisor, a test suite with fixtures under a CLI) prefixes its cookies with the one
 * it inherited and a `/`: `<outer cookie>/<pid>.<start>.<nonce>.<seq>`. Every lookup of a cookie
 * also matches the cookies nested under it, so stopping the outer incarnation finds the inner
 * host's whole tree, daemons included, whatever the inner host manages to do before it dies.
 */
import { TUNING } from '../api/tuning.js';
import { fs } from '../util/builtins.js';
import { HAS_PROC, kernelThreads, listPids, readEnvironRaw, readLink, readProcText, readStat } from './proc.js';
import { signalTree, waitGone, type ProcessId } from './tree.js';

/** The environment variable carrying an incarnation's tree cookie. */
export const TREE_COOKIE_ENV = 'PROCVISOR_TREE';

let hostPart: string | undefined;
let keptPart: string | undefined;
let sequence = 0;

/**
 * `<host pid>.<host start time>.<nonce>.`, the prefix of every cookie this module hands out, after
 * `<inherited cookie>/` when this host runs inside a supervised incarnation (see the file comment).
 */
export function hostCookiePrefix(): string {
  if (hostPart === undefined) {
    // Without /proc the start time only tells hosts apart: the time origin does that as well.
    const started = readStat(process.pid)?.starttime ?? Math.round(performance.timeOrigin);
    const inherited = process.env[TREE_COOKIE_ENV];
    const outer = inherited !== undefined && isTreeCookie(inherited) ? `${inherited}/` : '';
    hostPart = `${outer}${process.pid}.${started}.${Math.floor(Math.random() * 2 ** 32)}.`;
  }
  return hostPart;
}

/**
 * A cookie for one new incarnation: unique within this host, and across hosts. With `outlivesHost`
 * (a manager with `orphans: 'keep'`) it has a prefix of its own, so the reaper's sweep of every
 * cookie under {@link hostCookiePrefix} never takes a process that is meant to outlive the host.
 */
export function newTreeCookie(outlivesHost = false): string {
  if (!outlivesHost) return `${hostCookiePrefix()}${++sequence}`;
  keptPart ??= hostCookiePrefix().replace(/[0-9]+\.$/, `${Math.floor(Math.random() * 2 ** 32)}.`);
  return `${keptPart}${++sequence}`;
}

/** True for the characters a cookie is made of: digits and dots, `/` between nesting levels (the reaper script relies on it too). */
export function isTreeCookie(value: string): boolean {
  return /^[0-9][0-9.]*(\/[0-9][0-9.]*)*$/.test(value);
}

/** Options of {@link findByCookie}. */
export interface FindByCookieOptions {
  /** Match every cookie that starts with the given text (e.g. {@link hostCookiePrefix}). */
  prefix?: boolean;
}

/**
 * Which processes' environments to read: all when we are root (a descendant may have switched to
 * another user, and root reads every environment); otherwise only our own user's, since another
 * user's is unreadable anyway and a failed open costs more (an Error with a stack) than a stat of
 * the `/proc/<pid>` directory, whose owner is the process's user.
 */
function readableBy(uid: number | undefined): (pid: number) => boolean {
  if (uid === undefined || uid === 0) return () => true;
  return (pid) => fs().lstatSync(`/proc/${pid}`, { throwIfNoEntry: false })?.uid === uid;
}

/**
 * Where a tree began: its leader's pid and when it was spawned (`performance.now()`). Descendants
 * get pids allocated after the leader's, in the kernel's cyclic order; for a young tree that lets a
 * sweep read only the environments of processes created since, instead of every process.
 */
export interface TreeOrigin {
  readonly pid: number;
  readonly bornAt: number;
}

/**
 * A tree younger than this is swept by pid range. The kernel hands out pids cyclically up to
 * `pid_max` (32768 by default): a range is only wrong after a whole wrap, i.e. more than `pid_max`
 * processes created during the tree's life, which does not happen in a few seconds.
 */
const RANGE_MAX_AGE_MS = 5_000;

/** The most recently allocated pid (in our pid namespace), from `/proc/loadavg`. */
function lastPid(): number | undefined {
  try {
    const text = fs().readFileSync('/proc/loadavg', 'latin1').trim();
    const value = Number(text.slice(text.lastIndexOf(' ') + 1));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pids created after `origins` began, or undefined when every pid must be read: a filter, and the
 * pids themselves when there are few enough to try one by one.
 */
function createdSince(origins: readonly (TreeOrigin | undefined)[]): PidRange | undefined {
  const now = performance.now();
  let oldest: TreeOrigin | undefined;
  for (const origin of origins) {
    if (origin === undefined || now - origin.bornAt > RANGE_MAX_AGE_MS) return undefined;
    if (!oldest || origin.bornAt < oldest.bornAt) oldest = origin;
  }
  const last = lastPid();
  if (!oldest || last === undefined) return undefined;
  const from = oldest.pid;
  const few = from <= last && last - from <= FEW_PIDS ? Array.from({ length: last - from }, (_, i) => from + 1 + i) : undefined;
  return { has: pidRange(from, last), few, last };
}

/** Pids allocated since some moment: {@link pidRange}'s filter, and the list itself when short. */
interface PidRange {
  has(pid: number): boolean;
  /** Every pid of the range, when it holds at most {@link FEW_PIDS}; else `undefined`. */
  few: number[] | undefined;
  /** The last pid of the range: the most recently allocated one when it was made. */
  last: number;
}

/**
 * A range this short is read pid by pid (a missing one costs a failed open) instead of listing
 * `/proc`: the sweep after a crash in a restart loop looks at the one or two processes born since,
 * and a listing of every process took ~0.5 ms of each restart on a 2-core VM (measured).
 */
const FEW_PIDS = 32;

/** Pids allocated after `from` up to `last`, in the kernel's cyclic order (wrapping past pid_max). */
export function pidRange(from: number, last: number): (pid: number) => boolean {
  return from <= last ? (pid) => pid > from && pid <= last : (pid) => pid > from || pid <= last;
}

/**
 * Which process holds which cookie: one scan, each process matched to the first cookie it falls
 * under. Then the pids allocated while it read are read too, until none were: a process forked
 * after the listing is in no listing, and an escapee that forks and exits between the listing and
 * the read of its own environment leaves only such a child behind. Without this a process that
 * keeps escaping (a new session every few ms) was, now and then, in no scan at all: the sweep saw
 * nothing, stopped, and the escapee ran on for good.
 */
function scan(cookies: readonly string[], prefix: boolean, range?: PidRange): { id: ProcessId; index: number }[] {
  if (!HAS_PROC || cookies.length === 0) return [];
  const matcher = cookieMatcher(cookies, prefix);
  const readable = readableBy(process.getuid?.());
  const skip = kernelThreads();
  skip.add(process.pid);
  const found: { id: ProcessId; index: number }[] = [];
  const seen = new Set<number>();
  // `direct`: the pid was not listed but tried by number, and thread ids are numbered from the
  // same pool: `/proc/<tid>` opens for a thread too, so a match is taken only for a process.
  const look = (pid: number, direct: boolean): void => {
    if (seen.has(pid) || skip.has(pid)) return;
    seen.add(pid);
    if (!readable(pid)) return;
    const environ = readEnvironRaw(pid);
    if (!environ) return;
    const index = matchEnviron(environ, matcher);
    if (index < 0 || (direct && !leadsThreadGroup(pid))) return;
    const link = readLink(pid);
    if (link && !link.gone) found.push({ id: { pid, starttime: link.starttime }, index });
  };
  let last = range?.last ?? lastPid();
  if (range?.few) for (const pid of range.few) look(pid, true);
  else for (const pid of listPids()) if (!range || range.has(pid)) look(pid, false);
  for (let round = 0; round < CATCH_UP_ROUNDS && last !== undefined; round++) {
    const now = lastPid();
    if (now === undefined || now === last) break;
    // Pid by pid while few were allocated (a failed open for each that is gone); else, or past a
    // wrap of the pid space, one listing, of which only the pids allocated since are read.
    if (now > last && now - last <= CATCH_UP_PIDS) for (let pid = last + 1; pid <= now; pid++) look(pid, true);
    else {
      const fresh = pidRange(last, now);
      for (const pid of listPids()) if (fresh(pid)) look(pid, false);
    }
    last = now;
  }
  return found;
}

/** True when `pid` names a process (the leader of its thread group), not one of its other threads. */
function leadsThreadGroup(pid: number): boolean {
  const status = readProcText(`/proc/${pid}/status`);
  const match = status === undefined ? null : /^Tgid:\s*(\d+)$/m.exec(status);
  return match !== null && Number(match[1]) === pid;
}

/** Most catch-up reads of one scan: on a machine forking without pause, it ends all the same. */
const CATCH_UP_ROUNDS = 20;
/** Pids allocated during a scan that are read one by one; more take a listing of `/proc`. */
const CATCH_UP_PIDS = 256;

/** `KEY=` as it appears in an environment block, after the NUL that ends the entry before it. */
const COOKIE_ENTRY = Buffer.from(`\0${TREE_COOKIE_ENV}=`, 'latin1');

/** The index in the sought cookies of the first one a cookie value falls under, or -1. */
type CookieMatcher = (value: string) => number;

/**
 * The matcher for `cookies`: a value falls under the cookie it equals and under those it is nested
 * under (`<cookie>/…`); with `prefix`, under any cookie it starts with. Exact and nested lookups
 * are one map read per nesting level, whatever the number of cookies: a shutdown sweeps a thousand
 * cookies in one pass, and trying each against each environment was that pass's main cost.
 */
function cookieMatcher(cookies: readonly string[], prefix: boolean): CookieMatcher {
  if (prefix) return (value) => cookies.findIndex((cookie) => value.startsWith(cookie));
  const indices = new Map<string, number>();
  cookies.forEach((cookie, index) => {
    if (!indices.has(cookie)) indices.set(cookie, index);
  });
  return (value) => {
    let best = indices.get(value) ?? -1;
    for (let slash = value.indexOf('/'); slash >= 0; slash = value.indexOf('/', slash + 1)) {
      const index = indices.get(value.slice(0, slash));
      if (index !== undefined && (best < 0 || index < best)) best = index;
    }
    return best;
  };
}

/**
 * The best match of any `PROCVISOR_TREE` entry of `environ` (`KEY=value\0…`, the first entry
 * without a NUL before it; an environment may hold the key more than once), or -1. The raw bytes
 * are searched; only the values found are decoded.
 */
function matchEnviron(environ: Buffer, matcher: CookieMatcher): number {
  let best = -1;
  const consider = (start: number): void => {
    let end = environ.indexOf(0, start);
    if (end < 0) end = environ.length;
    const index = matcher(environ.toString('latin1', start, end));
    if (index >= 0 && (best < 0 || index < best)) best = index;
  };
  const key = COOKIE_ENTRY.length - 1;
  if (environ.length >= key && environ.compare(COOKIE_ENTRY, 1, COOKIE_ENTRY.length, 0, key) === 0) consider(key);
  for (let at = environ.indexOf(COOKIE_ENTRY); at >= 0; at = environ.indexOf(COOKIE_ENTRY, at + 1)) consider(at + COOKIE_ENTRY.length);
  return best;
}

/**
 * Every live process (zombies excluded, this process excluded) whose environment holds
 * `PROCVISOR_TREE=<cookie>` for one of `cookies` — exactly or nested under it (`<cookie>/…`), or as
 * any prefix with `prefix: true` —
 * from one scan of `/proc/<pid>/environ`. Only processes of our own user are read (all of them
 * when we are root), kernel threads are skipped, and so are unreadable or vanished processes. The
 * raw bytes are searched, no environment is decoded. Linux only: elsewhere, `[]`.
 *
 * The kernel shows the environment a process was started with (its initial block): a process
 * that merely `unsetenv`s the variable is still found; one exec'd with a scrubbed environment is not.
 */
export function findByCookie(cookies: string | readonly string[], opts: FindByCookieOptions = {}): ProcessId[] {
  return scan(typeof cookies === 'string' ? [cookies] : cookies, opts.prefix ?? false).map(({ id }) => id);
}

const keyOf = (id: ProcessId): string => `${id.pid}:${id.starttime}`;

/**
 * SIGKILLs every process found by {@link findByCookie} (and the groups they lead: a member that
 * scrubbed its environment but stayed in an escapee's group goes too), except `spare` (members
 * already being dealt with). Returns what was found, `spare` left out. Synchronous, for the exit
 * hook; elsewhere {@link sweep} shares one scan between concurrent callers.
 */
export function killByCookie(cookies: string | readonly string[], spare: readonly ProcessId[] = []): ProcessId[] {
  const known = new Set(spare.map(keyOf));
  const found = findByCookie(cookies).filter((id) => !known.has(keyOf(id)));
  if (found.length > 0) signalTree(found, 'SIGKILL', { groups: true });
  return found;
}

interface SweepRequest {
  cookie: string;
  origin: TreeOrigin | undefined;
  spare: Set<string>;
  resolve: (swept: ProcessId[]) => void;
}

let requests: SweepRequest[] = [];

/** Runs every queued sweep on one scan. Never throws: it runs on its own turn of the loop. */
function runSweeps(): void {
  const batch = requests;
  requests = [];
  let swept: ProcessId[][] = batch.map(() => []);
  try {
    const found = scan(
      batch.map((r) => r.cookie),
      false,
      createdSince(batch.map((r) => r.origin)),
    );
    swept = batch.map((r, index) => found.filter((f) => f.index === index && !r.spare.has(keyOf(f.id))).map((f) => f.id));
    const all = swept.flat();
    if (all.length > 0) signalTree(all, 'SIGKILL', { groups: true });
  } catch {
    // /proc unreadable as a whole: nothing to sweep with, the walk did what it could
  }
  batch.forEach((r, index) => r.resolve(swept[index] ?? []));
}

/**
 * Like {@link killByCookie} for one cookie, on the next turn of the event loop, in one scan with
 * every sweep requested meanwhile: a shutdown ends many trees at about the same time, and a scan
 * reads every process on the machine. Resolves with what was found (`spare` left out), SIGKILLed.
 */
export function sweep(cookie: string, spare: readonly ProcessId[] = [], origin?: TreeOrigin): Promise<ProcessId[]> {
  if (!HAS_PROC) return Promise.resolve([]);
  return new Promise((resolve) => {
    // A real next-turn tick, not the manager's clock: it only batches concurrent requests into one
    // scan, and no behaviour waits on its length.
    if (requests.length === 0) setImmediate(runSweeps);
    requests.push({ cookie, origin, spare: new Set(spare.map(keyOf)), resolve });
  });
}

/**
 * How long an unexpected exit's sweep waits, in ms. Not on the next turn (setImmediate, or a 0 ms
 * timer): the restart this exit triggers is a 0 ms timer itself, and would wait behind the scan.
 * Sweeps queued within this window share one scan (a crash loop, or a group that fails together).
 */
const SWEEP_DELAY = 20;

const later = new Map<string, TreeOrigin | undefined>();
/** The sweeps {@link sweepSoon} has queued or runs, until they found nothing more. */
let settling: Promise<void> | undefined;

/**
 * The cookie sweeps of several stops made one after another (a supervisor stopping its children in
 * reverse order), collected and run as one {@link sweepUntilQuiet} once the last stop is done:
 * each sweep lists every process created since its tree began, so one per stop costs a `/proc`
 * pass each. Escapees (processes that lost their parent link) are SIGKILLed a few stops later
 * than they would be alone, and always before the caller goes on.
 */
export class SweepBatch {
  readonly #cookies = new Map<string, TreeOrigin | undefined>();

  /** A ladder's `deferSweep` hook: takes the sweep over. */
  readonly defer = (cookie: string, origin: TreeOrigin | undefined): boolean => {
    this.#cookies.set(cookie, origin);
    return true;
  };

  /**
   * Sweeps what was collected (nothing when no stop deferred a sweep) and starts afresh. Resolves
   * once what it SIGKILLed is gone, or after `grace` ms (as a stop's own sweep waits).
   */
  async run(grace: number): Promise<void> {
    if (this.#cookies.size === 0) return;
    const cookies = new Map(this.#cookies);
    this.#cookies.clear();
    await sweepUntilGone(cookies, grace);
  }
}

/**
 * {@link sweepUntilQuiet}, then waits up to `grace` ms for what it SIGKILLed to be gone: a killed
 * process still runs its exit for a moment (longer on a loaded machine), and whoever awaits a sweep
 * (a supervisor going on, a shutdown resolving) counts on nothing of it running any more.
 */
async function sweepUntilGone(cookies: ReadonlyMap<string, TreeOrigin | undefined>, grace: number): Promise<void> {
  const swept = await sweepUntilQuiet(cookies);
  if (swept.length > 0) await waitGone(swept, { timeout: grace });
}

/**
 * Most rounds one sweep makes: a process that keeps escaping (forks, exits, its child calls
 * `setsid()`) is outrun within a few, since everything found is SIGKILLed and cannot fork again.
 */
const MAX_ROUNDS = 50;

/**
 * Sweeps `cookies` until a pass finds nothing new (SIGKILLed members cannot fork any more, but a
 * member may have forked between a scan and its SIGKILL). Each round shares a scan with every sweep
 * requested meanwhile.
 */
export async function sweepUntilQuiet(cookies: ReadonlyMap<string, TreeOrigin | undefined>, spare: readonly ProcessId[] = []): Promise<ProcessId[]> {
  const swept: ProcessId[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = (await Promise.all([...cookies].map(([cookie, origin]) => sweep(cookie, [...spare, ...swept], origin)))).flat();
    if (found.length === 0) break;
    swept.push(...found);
  }
  return swept;
}

/**
 * Resolves once every sweep {@link sweepSoon} queued has run to its end (found nothing more). A
 * shutdown awaits it, so nothing a crashed incarnation left behind outlives the shutdown.
 */
export function sweepsSettled(): Promise<void> {
  return settling ?? Promise.resolve();
}

/**
 * Adds `work` (an end of an incarnation still under way, such as the removal of its cgroup) to what
 * {@link sweepsSettled} waits for.
 */
export function settleAlso(work: Promise<unknown>): void {
  const previous = settling;
  const all = Promise.all([previous, work.then(noop, noop)]).then(() => {
    if (settling === all) settling = undefined;
  });
  settling = all;
}

function noop(): void {}

/**
 * {@link sweep}s `cookie` a little later ({@link SWEEP_DELAY}), in one scan for every cookie queued
 * meanwhile: an unexpected exit runs this, and must not delay the restart it triggers. The timer
 * is not unref'd: a host about to go idle still sweeps first. It is a real timer, not the manager's
 * clock: a batching window like {@link sweep}'s next-turn tick, not a delay any behaviour waits for
 * (nothing is decided when it ends; a fake clock that never advances must not hold sweeps back).
 * What it SIGKILLs is waited for, up to the unstopped grace, before {@link sweepsSettled} counts it
 * done ({@link sweepUntilGone}): nothing runs once a shutdown that awaited it resolves.
 */
export function sweepSoon(cookie: string, origin?: TreeOrigin): void {
  if (!HAS_PROC) return;
  if (later.size === 0) {
    const previous = settling;
    const run = new Promise<void>((resolve) => {
      setTimeout(() => {
        const batch = new Map(later);
        later.clear();
        void sweepUntilGone(batch, TUNING.unstoppedGrace).then(
          () => resolve(),
          () => resolve(),
        );
      }, SWEEP_DELAY);
    });
    const all = Promise.all([previous, run]).then(() => {
      if (settling === all) settling = undefined;
    });
    settling = all;
  }
  later.set(cookie, origin);
}
