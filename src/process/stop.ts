/**
 * The termination ladder (SEMANTICS: stopping one process): ask, signal the process group, wait,
 * then SIGKILL the whole tree — including descendants that left the group — and give up waiting
 * after a short grace, reporting what would not die.
 */
import type { ResolvedShutdown } from '../spec/resolved.js';
import { isAlive } from './proc.js';
import { refreshTree, signalTree, snapshotTree, waitGone, type ProcessId } from './tree.js';

/** What the ladder needs to know about the process it stops. */
export interface LadderTarget {
  /** PID of the process (the leader of its group). */
  readonly pid: number;
  /** Resolves when the process reported its exit. */
  readonly exited: Promise<unknown>;
  /** Asks the process to stop over IPC, where it has a channel (the only graceful path on Windows). */
  readonly askToStop?: (() => void) | undefined;
}

/** Hooks the ladder reports through. */
export interface LadderHooks {
  /** Escalated: SIGKILL goes to these PIDs. */
  onKill?: (pids: number[]) => void;
  /** These did not die within the grace after SIGKILL. */
  onUnstopped?: (pids: number[]) => void;
  /** How long to wait for the kill to take effect. */
  unstoppedGrace: number;
}

/** How a ladder ended. */
export interface LadderOutcome {
  /** SIGKILL was needed. */
  escalated: boolean;
  /** PIDs still alive after the grace (normally empty). */
  unstopped: number[];
}

/** Resolves true when `promise` settles within `ms` (`Infinity` waits for ever), false otherwise. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Infinity) return promise.then(() => true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * The leader's exit and the end of every tracked descendant. While the leader lives, the tree is
 * re-scanned now and then, since links to descendants are lost once their parent dies.
 */
async function treeGone(target: LadderTarget, tree: { current: ProcessId[] }, cancel: AbortSignal): Promise<void> {
  let leaderExited = false;
  void target.exited.then(() => {
    leaderExited = true;
  });
  const rescan = setInterval(() => {
    if (!leaderExited) tree.current = refreshTree(tree.current, target.pid);
  }, 100);
  const aborted = new Promise<void>((resolve) => cancel.addEventListener('abort', () => resolve(), { once: true }));
  try {
    await Promise.race([target.exited, aborted]);
    if (cancel.aborted) return;
    await waitGone(tree.current, { timeout: Infinity, signal: cancel });
  } finally {
    clearInterval(rescan);
  }
}

/** Runs the ladder to its end. Never rejects. */
export async function runLadder(target: LadderTarget, shutdown: ResolvedShutdown, hooks: LadderHooks): Promise<LadderOutcome> {
  const tree = { current: snapshotTree(target.pid) };
  const cancel = new AbortController();
  try {
    if (shutdown !== 'kill') {
      try {
        target.askToStop?.();
      } catch {
        // a closed channel only means the signal has to do the asking
      }
      signalTree(tree.current, shutdown.signal, { groups: true });
      if (await within(treeGone(target, tree, cancel.signal), shutdown.timeout)) return { escalated: false, unstopped: [] };
    }
    tree.current = refreshTree(tree.current, target.pid);
    const killed = signalTree(tree.current, 'SIGKILL', { groups: true });
    hooks.onKill?.(killed);
    if (await within(treeGone(target, tree, cancel.signal), hooks.unstoppedGrace)) return { escalated: true, unstopped: [] };
    const unstopped = tree.current.filter((p) => isAlive(p.pid, p.starttime)).map((p) => p.pid);
    hooks.onUnstopped?.(unstopped);
    return { escalated: true, unstopped };
  } finally {
    cancel.abort();
  }
}
