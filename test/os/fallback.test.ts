/**
 * The path of platforms without `/proc` (macOS, the BSDs, Windows), forced on Linux: trees found by
 * `ps`, liveness by `kill(pid, 0)`, and the ladder's SIGKILL through tree-kill. On Linux itself
 * tree-kill is never loaded by a stop.
 *
 * `kill(pid, 0)` cannot tell a zombie from a live process: a killed grandchild whose parent died
 * too waits for init to reap it, which some init processes do only now and then. So the waits
 * here are generous, and what the ladder reports unstopped is checked against the real state in
 * `/proc` (zombies are gone).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import treeKill from 'tree-kill';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { forceNoProcForTests, hasChildrenFiles, HAS_PROC } from '../../src/os/proc.js';
import { readProcessTree } from '../../src/os/tree.js';
import { runLadder } from '../../src/process/stop.js';
import type { LadderTarget } from '../../src/process/stop.js';
import { alive, firstLine, fixture, NODE } from '../helpers.js';

// tree-kill as it is, with its calls recorded (the module tree.ts loads on first use).
vi.mock('tree-kill', async (importOriginal) => {
  const actual = await importOriginal<{ default: typeof import('tree-kill') }>();
  return { default: vi.fn(actual.default) };
});

const linux = process.platform === 'linux';

interface Tree {
  child: ChildProcess;
  pid: number;
  grandchild: number;
}

const started: Tree[] = [];

/** Starts test/fixtures/fallback-tree.mjs as a group leader and waits for its pid line. */
async function startTree(...args: string[]): Promise<Tree> {
  const child = spawn(NODE, [fixture('fallback-tree.mjs'), ...args], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await firstLine(child, 'fallback-tree.mjs');
  const { pid, grandchild } = JSON.parse(line) as { pid: number; grandchild: number };
  const tree = { child, pid, grandchild };
  started.push(tree);
  return tree;
}

function target(child: ChildProcess): LadderTarget {
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
  return { pid: child.pid as number, exited };
}

const treeKillCalls = (): unknown[][] => vi.mocked(treeKill).mock.calls;

beforeAll(() => {
  // The kernel's children lists are probed once and cached: probed here, with /proc, so forcing
  // its absence below cannot leave the rest of this file without them.
  hasChildrenFiles();
});

afterEach(() => {
  forceNoProcForTests(false);
  vi.mocked(treeKill).mockClear();
  for (const { pid, grandchild } of started.splice(0)) {
    for (const target of [-pid, pid, -grandchild, grandchild]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {}
    }
  }
});

describe.runIf(linux)('without /proc (forced on Linux)', () => {
  it('forceNoProcForTests flips the live binding and restores it', () => {
    expect(HAS_PROC).toBe(true);
    forceNoProcForTests(true);
    expect(HAS_PROC).toBe(false);
    forceNoProcForTests(false);
    expect(HAS_PROC).toBe(true);
  });

  it('finds a tree with ps, start times unknown', async () => {
    const tree = await startTree('--setsid');
    forceNoProcForTests(true);
    const ids = readProcessTree(tree.pid);
    expect(ids[0]).toEqual({ pid: tree.pid, starttime: undefined });
    expect(ids.map((id) => id.pid)).toContain(tree.grandchild);
    expect(ids.every((id) => id.starttime === undefined)).toBe(true);
  });

  it('escalates through tree-kill: child and grandchild (own session) end', async () => {
    const tree = await startTree('--ignore-term', '--setsid');
    forceNoProcForTests(true);
    const kills: number[][] = [];
    const outcome = await runLadder(target(tree.child), { signal: 'SIGTERM', timeout: 200 }, { unstoppedGrace: 8000, onKill: (p) => kills.push(p) });
    expect(outcome.escalated).toBe(true);
    expect(treeKillCalls()).toHaveLength(1);
    expect(treeKillCalls()[0]?.slice(0, 2)).toEqual([tree.pid, 'SIGKILL']);
    expect(kills).toHaveLength(1);
    expect(kills[0]).toEqual(expect.arrayContaining([tree.pid, tree.grandchild]));
    expect(tree.child.signalCode).toBe('SIGKILL');
    expect(alive(tree.pid)).toBe(false);
    expect(alive(tree.grandchild)).toBe(false);
    expect(outcome.unstopped.filter((pid) => alive(pid))).toEqual([]);
  });

  it("'kill' goes through tree-kill at once", async () => {
    const tree = await startTree('--ignore-term');
    forceNoProcForTests(true);
    const outcome = await runLadder(target(tree.child), 'kill', { unstoppedGrace: 8000 });
    expect(outcome.escalated).toBe(true);
    expect(treeKillCalls().map((call) => call.slice(0, 2))).toEqual([[tree.pid, 'SIGKILL']]);
    expect(tree.child.signalCode).toBe('SIGKILL');
    expect(alive(tree.pid)).toBe(false);
    expect(alive(tree.grandchild)).toBe(false);
    expect(outcome.unstopped.filter((pid) => alive(pid))).toEqual([]);
  });

  it('a tree that honours SIGTERM ends gracefully, without tree-kill', async () => {
    const tree = await startTree('--setsid');
    forceNoProcForTests(true);
    const outcome = await runLadder(target(tree.child), { signal: 'SIGTERM', timeout: 10_000 }, { unstoppedGrace: 8000 });
    expect(outcome).toEqual({ escalated: false, unstopped: [], swept: [] });
    expect(treeKillCalls()).toEqual([]);
    expect(tree.child.signalCode).toBe('SIGTERM');
    expect(alive(tree.grandchild)).toBe(false);
  });

  it('never points tree-kill at the PID of a leader already reaped', async () => {
    const tree = await startTree();
    const exited = once(tree.child, 'exit');
    process.kill(tree.pid, 'SIGKILL');
    await exited;
    forceNoProcForTests(true);
    const outcome = await runLadder(target(tree.child), 'kill', { unstoppedGrace: 8000 });
    expect(treeKillCalls()).toEqual([]);
    expect(outcome.escalated).toBe(true);
  });
});

describe.runIf(linux)('with /proc', () => {
  it('a stop that escalates never calls tree-kill', async () => {
    const tree = await startTree('--ignore-term', '--setsid');
    const kills: number[][] = [];
    const outcome = await runLadder(target(tree.child), { signal: 'SIGTERM', timeout: 200 }, { unstoppedGrace: 2000, onKill: (p) => kills.push(p) });
    expect(outcome).toEqual({ escalated: true, unstopped: [], swept: [] });
    expect(kills[0]).toEqual(expect.arrayContaining([tree.pid, tree.grandchild]));
    expect(treeKillCalls()).toEqual([]);
    expect(alive(tree.grandchild)).toBe(false);
  });
});
