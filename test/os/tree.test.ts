import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendantsOf, hasChildrenFiles, listPids, readChildren, readLink, readNode, readStat, scanLinks } from '../../src/os/proc.js';
import {
  killTreeFallback,
  refreshTree,
  signalNewTree,
  signalTree,
  readProcessTree,
  TreeTracker,
  waitGone,
  WalkBurst,
} from '../../src/os/tree.js';
import type { ProcessId } from '../../src/os/tree.js';
import { getReaper } from '../../src/os/reaper/client.js';
import { alive, firstLine, fixture, NODE, until } from '../helpers.js';

const linux = process.platform === 'linux';

interface TreeInfo {
  root: number;
  sleepers: number[];
  setsid?: number;
  ignoreTerm?: number;
  orphan?: number;
}

/** Every pid a tree-fork fixture reported. */
function allPids(info: TreeInfo): number[] {
  return [info.root, ...info.sleepers, info.setsid, info.ignoreTerm, info.orphan].filter(
    (pid): pid is number => pid !== undefined,
  );
}

/** Starts test/fixtures/tree-fork.mjs as a detached group leader and waits for its pid line. */
async function startTree(...args: string[]): Promise<{ child: ChildProcess; info: TreeInfo }> {
  const child = spawn(NODE, [fixture('tree-fork.mjs'), ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Should this worker die mid-test, its trees die with it.
  getReaper().track(child.pid as number, readStat(child.pid as number)?.starttime);
  const line = await firstLine(child, 'tree-fork');
  return { child, info: JSON.parse(line) as TreeInfo };
}

/** SIGKILLs whatever is left of a fixture tree, whatever the test did. */
function cleanup(info: TreeInfo | undefined): void {
  if (!info) return;
  getReaper().untrack(info.root);
  for (const target of [-info.root, ...allPids(info)]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {}
  }
}

function starttimeOf(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.starttime;
}

describe.runIf(linux)('readLink', () => {
  it('agrees with readStat on every process', () => {
    let compared = 0;
    for (const pid of listPids()) {
      const link = readLink(pid);
      const stat = readStat(pid);
      // Skip processes that changed between the reads (exited, reparented, pid reused).
      if (!link || !stat || JSON.stringify(readLink(pid)) !== JSON.stringify(link)) continue;
      expect(link.ppid).toBe(stat.ppid);
      expect(link.gone).toBe(stat.state === 'Z' || stat.state === 'X');
      compared++;
    }
    expect(compared).toBeGreaterThan(2);
  });
});

describe.runIf(linux)('readNode and readChildren', () => {
  it('readNode agrees with readStat on every process', () => {
    let compared = 0;
    for (const pid of listPids()) {
      const node = readNode(pid);
      const stat = readStat(pid);
      if (!node || !stat || JSON.stringify(readNode(pid)) !== JSON.stringify(node)) continue;
      expect(node).toEqual({
        ppid: stat.ppid,
        pgid: stat.pgid,
        threads: stat.threads,
        starttime: stat.starttime,
        gone: stat.state === 'Z' || stat.state === 'X',
        stopped: stat.state === 'T' || stat.state === 't',
      });
      compared++;
    }
    expect(compared).toBeGreaterThan(2);
  });

  it.runIf(hasChildrenFiles())('readChildren lists what parent links say, for one thread and for many', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('3', '--setsid'));
      const expected = [...info.sleepers, info.setsid as number].sort((a, b) => a - b);
      const threads = readNode(info.root)?.threads as number;
      expect(threads).toBeGreaterThan(1); // Node: the children sit on the main thread's list
      expect(readChildren(info.root, threads)?.sort((a, b) => a - b)).toEqual(expected);
      expect(readChildren(info.root)?.sort((a, b) => a - b)).toEqual(expected);
      expect(readChildren(info.sleepers[0] as number, 1)).toEqual([]);
      expect(readChildren(2 ** 22 + 1)).toBeUndefined();
    } finally {
      cleanup(info);
    }
  });
});

describe.runIf(linux)('readProcessTree', () => {
  it('finds what a scan of every parent link finds', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('3', '--setsid', '--ignore-term'));
      const walked = readProcessTree(info.root).map((id) => id.pid).sort((a, b) => a - b);
      const scanned = [info.root, ...descendantsOf(info.root, scanLinks().children)].sort((a, b) => a - b);
      expect(walked).toEqual(scanned);
      expect(walked).toHaveLength(6);
    } finally {
      cleanup(info);
    }
  });


  it('finds the root and every descendant, including one in its own session', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('3', '--setsid', '--ignore-term', '--orphan'));
      const tree = readProcessTree(info.root);
      const pids = tree.map((id) => id.pid);
      expect(pids[0]).toBe(info.root);
      for (const pid of [...info.sleepers, info.setsid, info.ignoreTerm]) expect(pids).toContain(pid);
      // The orphan's parent exited before the snapshot: its parent link is gone, only its group remains.
      expect(pids).not.toContain(info.orphan);
      expect(readStat(info.setsid as number)?.sid).toBe(info.setsid);
      for (const id of tree) expect(id.starttime).toBe(starttimeOf(id.pid));
    } finally {
      cleanup(info);
    }
  });

  it('is empty when the root is gone or carries another start time', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('1'));
      expect(readProcessTree(info.root, starttimeOf(info.root) + 1)).toEqual([]);
      expect(readProcessTree(info.root, starttimeOf(info.root))).toHaveLength(2);
    } finally {
      cleanup(info);
    }
    expect(readProcessTree(2 ** 22 + 1)).toEqual([]);
  });
});

describe.runIf(linux)('signalTree and waitGone', () => {
  it('kills the whole tree, escalating past a SIGTERM-ignoring member, and its group', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('3', '--setsid', '--ignore-term', '--orphan'));
      const tree = readProcessTree(info.root);
      const termed = signalTree(tree, 'SIGTERM', { groups: true });
      expect(termed.sort()).toEqual(tree.map((id) => id.pid).sort());
      expect(await waitGone(tree, { timeout: 300 })).toBe(false);
      const ignoring = info.ignoreTerm as number;
      expect(alive(ignoring)).toBe(true);
      expect(tree.filter((id) => alive(id.pid)).map((id) => id.pid)).toEqual([ignoring]);

      expect(signalTree(tree, 'SIGKILL', { groups: true })).toEqual([ignoring]);
      expect(await waitGone(tree, { timeout: 5000 })).toBe(true);
      // Not a member, but in the root's group: the group signal reached it.
      await until(() => !alive(info?.orphan as number), 5000, 'the orphan to die');
    } finally {
      cleanup(info);
    }
  });

  it('signals no groups unless asked', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('1', '--orphan'));
      const tree = readProcessTree(info.root);
      signalTree(tree, 'SIGKILL');
      expect(await waitGone(tree, { timeout: 5000 })).toBe(true);
      expect(alive(info.orphan as number)).toBe(true);
    } finally {
      cleanup(info);
    }
  });

  it('never signals a process whose start time differs (a reused pid)', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('2'));
      const victim = info.sleepers[0] as number;
      const impostor: ProcessId = { pid: victim, starttime: starttimeOf(victim) + 1 };
      expect(signalTree([impostor], 'SIGKILL', { groups: true })).toEqual([]);
      expect(await waitGone([impostor], { timeout: 1000 })).toBe(true);
      expect(alive(victim)).toBe(true);
    } finally {
      cleanup(info);
    }
  });

  it('never signals the host itself', () => {
    const self: ProcessId = { pid: process.pid, starttime: starttimeOf(process.pid) };
    expect(signalTree([self], 0, { groups: true })).toEqual([]);
  });

  it('resolves false on timeout and on abort', async () => {
    const self: ProcessId = { pid: process.pid, starttime: starttimeOf(process.pid) };
    const started = performance.now();
    expect(await waitGone([self], { timeout: 100 })).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    const controller = new AbortController();
    const waiting = waitGone([self], { timeout: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await waiting).toBe(false);
    expect(await waitGone([self], { timeout: 60_000, signal: AbortSignal.abort() })).toBe(false);
  });
});

describe.runIf(linux)('signalNewTree in a WalkBurst', () => {
  const sorted = (pids: number[]): number[] => [...pids].sort((a, b) => a - b);

  /** A burst whose scan saw the whole tree, then its first sleeper SIGKILLed and reaped: the scan is stale for it. */
  async function staleScan(info: TreeInfo): Promise<{ burst: WalkBurst; gone: number }> {
    const burst = new WalkBurst(1_000_000);
    const gone = info.sleepers[0] as number;
    expect(burst.scan()?.links.has(gone)).toBe(true);
    process.kill(gone, 'SIGKILL');
    await until(() => !alive(gone), 5000, 'the sleeper to die');
    return { burst, gone };
  }

  it('walks every tree of the burst from one scan, members in their own session included', async () => {
    let first: TreeInfo | undefined;
    let second: TreeInfo | undefined;
    try {
      ({ info: first } = await startTree('2', '--setsid'));
      ({ info: second } = await startTree('1'));
      // More roots than processes: the scan is the cheaper way.
      const burst = new WalkBurst(1_000_000);
      const scan = burst.scan();
      expect(scan?.links.has(first.root)).toBe(true);
      expect(burst.scan()).toBe(scan);
      for (const info of [first, second]) {
        const { tree, signalled } = signalNewTree(info.root, 0, { groups: true, burst });
        expect(tree[0]?.pid).toBe(info.root);
        expect(sorted(tree.map((id) => id.pid))).toEqual(sorted(readProcessTree(info.root).map((id) => id.pid)));
        expect(sorted(signalled)).toEqual(sorted(allPids(info)));
        for (const id of tree) expect(id.starttime).toBe(starttimeOf(id.pid));
      }
    } finally {
      cleanup(first);
      cleanup(second);
    }
  });

  it('reads again every member but the root: one gone since the scan is not counted as signalled', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('2'));
      const { burst, gone } = await staleScan(info);
      const { tree, signalled } = signalNewTree(info.root, 0, { groups: true, burst, rootStarttime: starttimeOf(info.root) });
      // Walked from the scan (which still shows it), but not signalled.
      expect(tree.map((id) => id.pid)).toContain(gone);
      expect(sorted(signalled)).toEqual(sorted([info.root, info.sleepers[1] as number]));
    } finally {
      cleanup(info);
    }
  });

  it('walks on its own a root the scan shows with another start time (a PID reused since)', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('2'));
      const { burst } = await staleScan(info);
      const { tree } = signalNewTree(info.root, 0, { groups: true, burst, rootStarttime: starttimeOf(info.root) + 1 });
      // Read from /proc now: the dead sleeper is not in it.
      expect(sorted(tree.map((id) => id.pid))).toEqual(sorted([info.root, info.sleepers[1] as number]));
    } finally {
      cleanup(info);
    }
  });

  it('leaves the walk to /proc for few roots, after the burst, and for a root the scan does not show', async () => {
    let info: TreeInfo | undefined;
    try {
      expect(new WalkBurst(1).scan()).toBeUndefined();
      const ended = new WalkBurst(1_000_000);
      expect(ended.scan()).toBeDefined();
      ended.end();
      expect(ended.scan()).toBeUndefined();
      const burst = new WalkBurst(1_000_000);
      burst.scan();
      // Started after the scan: walked on its own, and found whole.
      ({ info } = await startTree('2'));
      const { tree } = signalNewTree(info.root, 0, { groups: true, burst });
      expect(sorted(tree.map((id) => id.pid))).toEqual(sorted(allPids(info)));
    } finally {
      cleanup(info);
    }
  });
});

describe.runIf(linux)('refreshTree and TreeTracker', () => {
  it('adds descendants of live members, and none through a stale identity', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('2', '--setsid'));
      const rootId: ProcessId = { pid: info.root, starttime: starttimeOf(info.root) };
      const refreshed = refreshTree([rootId], info.root);
      expect(refreshed[0]).toEqual(rootId);
      expect(refreshed.map((id) => id.pid).sort()).toEqual(readProcessTree(info.root).map((id) => id.pid).sort());
      expect(refreshTree(refreshed, info.root)).toEqual(refreshed);

      const stale: ProcessId = { pid: info.root, starttime: rootId.starttime as number + 1 };
      expect(refreshTree([stale], info.root)).toEqual([stale]);
      // The root is only ever followed through its recorded identity.
      expect(refreshTree([], info.root)).toEqual([]);
    } finally {
      cleanup(info);
    }
  });

  it('follows a tree through a stop', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('2', '--setsid'));
      const tracker = new TreeTracker(info.root, starttimeOf(info.root));
      expect(tracker.members).toHaveLength(4);
      expect(tracker.refresh()).toEqual([]);
      expect(tracker.signal('SIGKILL', { groups: true })).toHaveLength(4);
      expect(await tracker.waitGone({ timeout: 5000 })).toBe(true);
      expect(new TreeTracker(info.root).members).toEqual([]);
    } finally {
      cleanup(info);
    }
  });
});

describe.runIf(linux)('killTreeFallback', () => {
  it('kills a tree through tree-kill', async () => {
    let info: TreeInfo | undefined;
    try {
      ({ info } = await startTree('2', '--setsid'));
      const tree = readProcessTree(info.root);
      await killTreeFallback(info.root, 'SIGKILL');
      expect(await waitGone(tree, { timeout: 5000 })).toBe(true);
    } finally {
      cleanup(info);
    }
  });
});
