/**
 * The termination ladder (SEMANTICS: stopping one process): ask, signal the process group, wait,
 * then SIGKILL the whole tree — including descendants that left the group — and give up waiting
 * after a short grace, reporting what would not die. Last, whatever still carries the
 * incarnation's tree cookie (a descendant that lost its parent link, out of the walk's reach) is
 * SIGKILLed, so a stop leaves nothing behind. Where the tree has a cgroup (os/cgroup.ts), its
 * `cgroup.kill` goes out with the SIGKILL step and with the final sweep: an addition that reaches,
 * race-free, every member still in the cgroup, whether a walk saw it or not.
 *
 * Where there is no `/proc` (macOS, the BSDs, Windows), the SIGKILL goes through tree-kill from the
 * leader while it is unreaped, then to every member the `ps` snapshots found (os/tree.ts,
 * `killTreeWithoutProc`); there is no cookie sweep. Windows has no signals to ask with: the signal
 * step would be a hard `TerminateProcess` of the leader alone, orphaning its descendants out of
 * `taskkill /T`'s reach, so there the ladder asks over IPC, waits `shutdown.timeout` for the exit
 * (not at all without a channel), then kills the tree.
 *
 * The two waits that decide what the ladder does — `shutdown.timeout` before SIGKILL, and
 * `unstoppedGrace` before a process is reported unstopped — run on the injected clock. The polls
 * that watch the kernel take a tree down (the tree re-scan below, `waitGone` in os/tree.ts) stay
 * on real time: they only notice deaths sooner or later, and a fake clock cannot make a real
 * process die any sooner.
 */
import type { Clock } from '../api/types.js';
import type { ResolvedShutdown } from '../spec/resolved.js';
import { sweepUntilQuiet, type TreeOrigin } from '../os/cookie.js';
import { HAS_PROC, isAlive } from '../os/proc.js';
import { killTreeWithoutProc, refreshTree, signalNewTree, signalTree, waitGone, type ProcessId, type WalkBurst } from '../os/tree.js';
import { systemClock } from '../util/clock.js';
import { Ending } from '../util/ending.js';

/** What the ladder needs to know about the process it stops. */
export interface LadderTarget {
  /** PID of the process (the leader of its group). */
  readonly pid: number;
  /** Its kernel start time, where known: a shared scan is used for it only if it shows the same. */
  readonly starttime?: number | undefined;
  /** Resolves when the process reported its exit. */
  readonly exited: Promise<unknown>;
  /** Asks the process to stop over IPC, where it has a channel (the only graceful path on Windows). */
  readonly askToStop?: (() => void) | undefined;
  /** The tree cookie its descendants inherit (`PROCVISOR_TREE`); without one, nothing is swept. */
  readonly cookie?: string | undefined;
  /** Where the tree began, so a young tree's sweep reads only processes created since. */
  readonly origin?: TreeOrigin | undefined;
  /**
   * SIGKILLs everything in the tree's cgroup at once (`cgroup.kill`), where it has one: an
   * addition to the walk and the sweep, which reaches what they cannot see (os/cgroup.ts).
   */
  readonly killCgroup?: (() => void) | undefined;
}

/** Hooks the ladder reports through, and its settings. */
export interface LadderHooks {
  /** Escalated: SIGKILL goes to these PIDs. */
  onKill?: (pids: number[]) => void;
  /** These did not die within the grace after SIGKILL. */
  onUnstopped?: (pids: number[]) => void;
  /** How long to wait for the kill to take effect. */
  unstoppedGrace: number;
  /** Clock for the `shutdown.timeout` and `unstoppedGrace` waits (default the system clock). */
  clock?: Clock;
  /**
   * Takes over the final cookie sweep (true) instead of this ladder running its own: a manager
   * shutting down sweeps every stopped tree's cookie in one pass once all its stops are done.
   */
  deferSweep?: (cookie: string, origin: TreeOrigin | undefined) => boolean;
  /** Stops issued together with this one: its first walk may come from their shared scan. */
  burst?: WalkBurst | undefined;
}

/** How a ladder ended. */
export interface LadderOutcome {
  /** SIGKILL was needed. */
  escalated: boolean;
  /** PIDs still alive after the grace (normally empty). */
  unstopped: number[];
  /** PIDs found by the tree cookie only (escapees without a parent link), SIGKILLed. */
  swept: number[];
}

/** Resolves true when `promise` settles within `ms` on `clock` (`Infinity` waits for ever), false otherwise. */
function within(promise: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  if (ms === Infinity) return promise.then(() => true);
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clock.clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * True once every member of `ids` is gone, false when `ms` pass on `clock` first. The `/proc`
 * polling itself is real time (see the top of this file) and ends with the ladder (`cancel`).
 */
async function goneWithin(ids: readonly ProcessId[], ms: number, clock: Clock, cancel: Ending): Promise<boolean> {
  let gone = false;
  const polled = waitGone(ids, { timeout: Infinity, end: cancel }).then((result) => {
    gone = result;
  });
  return (await within(polled, ms, clock)) && gone;
}

/**
 * The leader's exit and the end of every tracked descendant. While the leader lives, the tree is
 * re-scanned now and then, since links to descendants are lost once their parent dies, and with
 * `wake` its stopped members are woken (a stop that was still pending when the signal went out).
 */
async function treeGone(target: LadderTarget, tree: { current: ProcessId[] }, cancel: Ending, wake = false): Promise<void> {
  let leaderExited = false;
  void target.exited.then(() => {
    leaderExited = true;
  });
  // Real time on purpose: it only catches forks, and stops that took effect after the signal,
  // sooner or later (see the top of this file). 100 ms after the signal, then each wait twice as
  // long up to a second: a tree that handles its signal forks early if at all, and a shutdown of
  // a thousand slow trees would otherwise walk each of them ten times a second. A fork the walks
  // miss (its parent exited between two) is still found by the cookie sweep.
  // The walk itself waits for the loop's check phase (setImmediate): when the timer is due, exits
  // the kernel has already reported may not have been read yet (a busy loop runs due timers
  // before it polls for I/O), and a shutdown of a thousand children re-walked most of the trees
  // that had in fact ended, one `/proc` walk each.
  let rescan: NodeJS.Timeout | undefined;
  let walk: NodeJS.Immediate | undefined;
  const scheduleRescan = (delay: number): void => {
    rescan = setTimeout(() => {
      walk = setImmediate(() => {
        if (leaderExited || cancel.ended) return;
        tree.current = refreshTree(tree.current, target.pid, { wake });
        scheduleRescan(Math.min(delay * 2, RESCAN_MAX_MS));
      });
    }, delay);
  };
  scheduleRescan(RESCAN_FIRST_MS);
  let forget: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => (forget = cancel.on(resolve)));
  try {
    await Promise.race([target.exited, aborted]);
    if (cancel.ended) return;
    // The leader has been reaped (its exit was reported): only descendants can still be alive.
    const rest = tree.current.filter((id) => id.pid !== target.pid);
    if (rest.length > 0) await waitGone(rest, { timeout: Infinity, end: cancel });
  } finally {
    clearTimeout(rescan);
    clearImmediate(walk);
    forget?.();
  }
}

/** First re-walk of a tree that has not ended since its signal, and the longest wait between two (ms). */
const RESCAN_FIRST_MS = 100;
const RESCAN_MAX_MS = 1000;

/**
 * SIGKILLs what carries the target's cookie and is not in `spare`, scanning again after each find:
 * a swept process may have forked between the scan and its SIGKILL. A scan that finds nothing ends
 * it (usually the first). SIGKILLed members cannot fork any more, so nothing escapes behind it.
 * Nothing is swept here when `hooks.deferSweep` takes the sweep over (a shutdown's final pass).
 */
async function sweepLeftovers(target: LadderTarget, spare: readonly ProcessId[], hooks: LadderHooks): Promise<ProcessId[]> {
  const { cookie, origin } = target;
  if (cookie === undefined || hooks.deferSweep?.(cookie, origin) === true) return [];
  return sweepUntilQuiet(new Map([[cookie, origin]]), spare);
}

/**
 * False on Windows: no signal a process can catch (Node turns them into `TerminateProcess`) and no
 * process groups, so the ladder has no signal step there (see the top of this file).
 */
const CATCHABLE_SIGNALS = process.platform !== 'win32';

/**
 * Resolves true when `promise` has not settled yet. When it has, its own reaction is queued
 * before the probe's and wins the race.
 */
function pending(promise: Promise<unknown>): Promise<boolean> {
  const settled = () => false;
  return Promise.race([promise.then(settled, settled), Promise.resolve().then(() => true)]);
}

/** Runs the ladder to its end. Never rejects. */
export async function runLadder(target: LadderTarget, shutdown: ResolvedShutdown, hooks: LadderHooks): Promise<LadderOutcome> {
  const clock = hooks.clock ?? systemClock;
  const tree: { current: ProcessId[] } = { current: [] };
  const cancel = new Ending();
  try {
    if (shutdown !== 'kill') {
      try {
        target.askToStop?.();
      } catch {
        // a closed channel only means the signal has to do the asking
      }
      // A stopped (SIGSTOP'd) process holds the signal until it runs again: it is woken, as systemd
      // does, so it can handle the stop gracefully instead of waiting out the timeout for SIGKILL.
      // On Windows only the IPC ask is graceful: without a channel there is nothing to wait for.
      if (CATCHABLE_SIGNALS) tree.current = signalNewTree(target.pid, shutdown.signal, { groups: true, wake: true, burst: hooks.burst, rootStarttime: target.starttime }).tree;
      const wait = CATCHABLE_SIGNALS || target.askToStop !== undefined ? shutdown.timeout : 0;
      if (await within(treeGone(target, tree, cancel, true), wait, clock)) {
        // The tree is gone: what the cookie still finds escaped the walk (its parent died before
        // the walk could see it), and is SIGKILLed at once — it never got the shutdown signal. So
        // is what is left in its cgroup.
        target.killCgroup?.();
        const swept = await sweepLeftovers(target, [], hooks);
        const outcome = { escalated: false, swept: swept.map((id) => id.pid) };
        if (swept.length === 0 || (await goneWithin(swept, hooks.unstoppedGrace, clock, cancel))) return { ...outcome, unstopped: [] };
        const unstopped = swept.filter((p) => isAlive(p.pid, p.starttime)).map((p) => p.pid);
        hooks.onUnstopped?.(unstopped);
        return { ...outcome, unstopped };
      }
    }
    // After a graceful phase the tree may have grown: walked again, and the new members added.
    let killed: number[];
    if (!HAS_PROC) {
      // tree-kill starts from the leader's PID: only while it is unreaped is that PID still its own.
      const rootLive = await pending(target.exited);
      ({ tree: tree.current, killed } = await killTreeWithoutProc(target.pid, tree.current, rootLive));
    } else if (shutdown === 'kill') {
      ({ tree: tree.current, signalled: killed } = signalNewTree(target.pid, 'SIGKILL', { groups: true, burst: hooks.burst, rootStarttime: target.starttime }));
    } else {
      tree.current = refreshTree(tree.current, target.pid);
      killed = signalTree(tree.current, 'SIGKILL', { groups: true });
    }
    // Race-free where the tree has a cgroup: a member forked after the walk is in it too.
    target.killCgroup?.();
    hooks.onKill?.(killed);
    // Swept now rather than once the tree is gone: no member can fork any more, and the scan
    // overlaps the kernel's teardown of the tree.
    const sweeping = sweepLeftovers(target, tree.current, hooks);
    const treeEnded = within(treeGone(target, tree, cancel), hooks.unstoppedGrace, clock);
    const swept = await sweeping;
    const outcome = { escalated: true, swept: swept.map((id) => id.pid) };
    const gone = (await treeEnded) && (swept.length === 0 || (await goneWithin(swept, hooks.unstoppedGrace, clock, cancel)));
    tree.current = [...tree.current, ...swept];
    if (gone) return { ...outcome, unstopped: [] };
    const unstopped = tree.current.filter((p) => isAlive(p.pid, p.starttime)).map((p) => p.pid);
    hooks.onUnstopped?.(unstopped);
    return { ...outcome, unstopped };
  } finally {
    cancel.fire();
  }
}
