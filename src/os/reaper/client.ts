/**
 * Host side of the reaper: the promise that supervised children die with the host, even when the
 * host is SIGKILLed and no hook of its own runs.
 *
 * The reaper is a tiny `sh` process (see script.ts) holding the read end of a pipe from the host.
 * The kernel closes the host's end however the host dies, and the reaper then kills every tree it
 * was told about. It is started on the first `track()`, in its own session (a Ctrl-C to the host's
 * terminal group must not kill it before the host), and unref'd so it never keeps the host alive.
 * If it dies (someone killed it), the next one starts at once, or on the next `track()` when it
 * died young. With each child goes its tree cookie, so the reaper also finds descendants that left
 * the group and lost their parent link (by their environment, see process/cookie.ts).
 *
 * A `process.on('exit')` hook backs it up: whenever the host exits by itself (process.exit, an
 * uncaught exception, a signal Node handles), still-tracked trees are SIGKILLed synchronously, reaper
 * or not. A child is tracked (known to that hook) the moment it is forked; on Linux its
 * registration is written to the pipe before the loop goes on (a `process.nextTick`), with those
 * of every child forked in the same run of the host's code: each write wakes the reaper, which then
 * competes with the host for a core, and a start of a thousand children spent an eighth of its
 * time on one write per child. Should the host die in between, the reaper's sweep of the host's
 * cookies finds the child. Without `/proc` there is no such sweep, and each line goes at once.
 * Either way its spawn is reported after the write.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { childProcess, fs } from '../../util/builtins.js';
import { hostCookiePrefix, isTreeCookie, killByCookie } from '../cookie.js';
import { HAS_PROC } from '../proc.js';
import { refreshTree, signalTree } from '../tree.js';
import { REAPER_SCRIPT } from './script.js';

/** `process`: a reaper process plus the exit hook; `exit-hook`: the exit hook only. */
export type ReaperMode = 'process' | 'exit-hook';

/** Kills registered children's trees when the host goes away. */
export interface Reaper {
  /** `exit-hook` where no reaper process can run (Windows, no `/bin/sh`, or its spawn failed). */
  readonly mode: ReaperMode;
  /** PID of the reaper process while one runs. */
  readonly pid: number | undefined;
  /**
   * Registers a child that leads its own process group (spawned `detached`), and the tree cookie
   * in its environment (`PROCVISOR_TREE`), if it has one.
   */
  track(pid: number, starttime: number | undefined, cookie?: string): void;
  /**
   * Forgets a child. With `exited` (it has been reaped), the line may wait a moment for another to
   * travel with; the reaper checks start times, so a reused PID never matches the stale entry.
   */
  untrack(pid: number, exited?: boolean): void;
  /**
   * Closes the pipe as if the host had exited: the reaper kills every tree still tracked, then
   * exits. The instance stays usable; the next `track()` starts a new reaper.
   */
  close(): void;
}

/** Options of {@link createReaper}. */
export interface ReaperOptions {
  /** Force a mode; default `process` where {@link reaperSupported}, else `exit-hook`. */
  mode?: ReaperMode;
  /** A reaper that lived longer than this (ms) is replaced as soon as it dies. Default 1000. */
  respawnAfter?: number;
}

const SHELL = '/bin/sh';
/** A reaper that lived longer than this (ms) is replaced as soon as it dies (a younger one waits for the next track()). */
const RESPAWN_AFTER = 1000;
/** Longest time an un-registration waits for another line to travel with (ms). */
const UNTRACK_BATCH_MS = 50;

/** True where a reaper process can run: a POSIX platform with `/bin/sh`. */
export function reaperSupported(): boolean {
  return process.platform !== 'win32' && fs().existsSync(SHELL);
}

/** What the client keeps of a tracked child. */
interface Tracked {
  starttime: number | undefined;
  cookie: string | undefined;
}

/** SIGKILLs tracked trees at once, synchronously: the exit hook cannot wait for anything. */
function killTreesNow(tracked: ReadonlyMap<number, Tracked>): void {
  if (process.platform === 'win32') {
    for (const pid of tracked.keys()) {
      try {
        childProcess().execFileSync('taskkill', ['/T', '/F', '/PID', String(pid)], { stdio: 'ignore', windowsHide: true });
      } catch {}
    }
    return;
  }
  const roots = [...tracked].map(([pid, { starttime }]) => ({ pid, starttime }));
  // One walk for all: the descendants of every root still alive with its start time.
  if (roots[0]) signalTree(refreshTree(roots, roots[0].pid), 'SIGKILL', { groups: true });
  // Then, in one scan, what only the cookies still find.
  const cookies = [...tracked.values()].flatMap(({ cookie }) => (cookie === undefined ? [] : [cookie]));
  killByCookie(cookies);
}

/** A protocol line registering a child (the cookie only when it is one: digits and dots). */
function trackLine(pid: number, { starttime, cookie }: Tracked): string {
  const tail = cookie !== undefined && isTreeCookie(cookie) ? ` ${cookie}` : '';
  return `+ ${pid} ${starttime ?? '-'}${tail}\n`;
}

class ReaperClient implements Reaper {
  #mode: ReaperMode;
  readonly #tracked = new Map<number, Tracked>();
  #child: ChildProcess | undefined;
  #stdin: Socket | undefined;
  #hooked = false;
  #startedAt = 0;
  /**
   * Lines not written yet, in the order they were made: registrations go out before the loop goes
   * on ({@link ReaperClient.#flushSoon}); un-registrations of exited children with the next write,
   * or after {@link UNTRACK_BATCH_MS}.
   */
  #pending = '';
  #untrackTimer: NodeJS.Timeout | undefined;
  #flushQueued = false;
  readonly #onExit = (): void => {
    // The host exits by itself (process.exit, an uncaught exception, a signal Node handles): kill
    // what is still tracked now, synchronously, whether or not a reaper runs. The reaper would do
    // it too once the pipe closes, but only for what it was told; this leaves it nothing to race.
    if (this.#tracked.size > 0) killTreesNow(this.#tracked);
  };

  readonly #respawnAfter: number;

  constructor(mode: ReaperMode, respawnAfter: number) {
    this.#mode = mode;
    this.#respawnAfter = respawnAfter;
  }

  get mode(): ReaperMode {
    return this.#mode;
  }

  get pid(): number | undefined {
    return this.#running() ? this.#child?.pid : undefined;
  }

  track(pid: number, starttime: number | undefined, cookie?: string): void {
    const entry = { starttime, cookie };
    this.#tracked.set(pid, entry);
    if (!this.#hooked) {
      process.on('exit', this.#onExit);
      this.#hooked = true;
    }
    if (this.#mode !== 'process') return;
    if (!this.#running()) return this.#start();
    this.#pending += trackLine(pid, entry);
    // Without /proc the reaper has no cookie sweep to find a child whose line never arrived.
    if (HAS_PROC) this.#flushSoon();
    else this.#write('');
  }

  /**
   * Writes what is pending once the host's current run of code (the microtasks included) is over,
   * before the loop goes on: the spawns of that run travel in one write. A `nextTick`, not a
   * timer: the children's own spawn reports, queued the same way when they were forked, come
   * first, and the `spawn` events they lead to after it.
   */
  #flushSoon(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    process.nextTick(() => {
      this.#flushQueued = false;
      this.#write('');
    });
  }

  /**
   * A child that exited and is checked by its start time is forgotten lazily: its line waits for
   * the next write (the restart's registration, usually) or a short batching window. Until then
   * the reaper holds a dead child's PID with its start time, which a reused PID never matches;
   * each line costs the host a pipe write and the reaper a wake-up, which a restart loop or a
   * shutdown of many children would otherwise pay twice per child. A child that may still run,
   * or one without a start time (no `/proc`: a PID is all the reaper could check), goes at once.
   */
  untrack(pid: number, exited = false): void {
    const entry = this.#tracked.get(pid);
    if (!entry) return;
    this.#tracked.delete(pid);
    if (!this.#running()) return;
    if (!exited || entry.starttime === undefined) return this.#write(`- ${pid}\n`);
    this.#pending += `- ${pid}\n`;
    // A real timer, unref'd: a batching window for a pipe, not a delay anything waits for.
    this.#untrackTimer ??= setTimeout(() => {
      this.#untrackTimer = undefined;
      this.#write('');
    }, UNTRACK_BATCH_MS).unref();
  }

  close(): void {
    this.#tracked.clear();
    this.#write('');
    if (this.#hooked) process.off('exit', this.#onExit);
    this.#hooked = false;
    this.#stdin?.end();
    this.#forget();
  }

  #running(): boolean {
    return this.#child !== undefined && this.#stdin !== undefined;
  }

  /** Spawns a reaper and registers every tracked child with it. */
  #start(): void {
    let child: ChildProcess;
    try {
      // The host's cookie prefix: at the end, the reaper also takes what carries a cookie of this
      // host that never reached it (forked a moment before the host died).
      child = childProcess().spawn(SHELL, ['-c', REAPER_SCRIPT, 'procvisor-reaper', HAS_PROC ? '1' : '0', hostCookiePrefix()], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
        cwd: '/',
      });
    } catch {
      this.#mode = 'exit-hook';
      return;
    }
    const stdin = child.stdin as Socket | null;
    if (child.pid === undefined || !stdin) {
      // The spawn failed (its 'error' event follows): no reaper on this machine, the hook remains.
      child.on('error', () => {});
      this.#mode = 'exit-hook';
      return;
    }
    child.unref();
    stdin.unref();
    // A dead reaper turns writes into EPIPE: forget it silently and start another at once if it
    // had lived a while (one that dies at birth waits for the next track(), so no spawn storm).
    const lost = (): void => {
      if (this.#child !== child) return;
      this.#forget();
      if (this.#tracked.size > 0 && performance.now() - this.#startedAt > this.#respawnAfter) this.#start();
    };
    stdin.on('error', lost);
    child.on('error', lost);
    child.on('exit', lost);
    this.#child = child;
    this.#stdin = stdin;
    this.#startedAt = performance.now();
    let lines = '';
    for (const [pid, entry] of this.#tracked) lines += trackLine(pid, entry);
    this.#write(lines);
  }

  /** Writes what is pending, then `text`, in one pipe write (one wake-up of the reaper). */
  #write(text: string): void {
    const lines = this.#pending + text;
    this.#dropPending();
    if (lines && this.#stdin?.writable) this.#stdin.write(lines);
  }

  #dropPending(): void {
    this.#pending = '';
    if (this.#untrackTimer) clearTimeout(this.#untrackTimer);
    this.#untrackTimer = undefined;
  }

  #forget(): void {
    this.#child = undefined;
    this.#stdin = undefined;
    this.#dropPending();
  }
}

/** A new, independent reaper client (tests and benchmarks); most code wants {@link getReaper}. */
export function createReaper(opts: ReaperOptions = {}): Reaper {
  return new ReaperClient(opts.mode ?? (reaperSupported() ? 'process' : 'exit-hook'), opts.respawnAfter ?? RESPAWN_AFTER);
}

let shared: Reaper | undefined;

/** The host's reaper, created on first use; its process starts on the first `track()`. */
export function getReaper(): Reaper {
  shared ??= createReaper();
  return shared;
}
