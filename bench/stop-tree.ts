/**
 * Stopping a whole tree: time from "kill requested" to "all 10 processes gone", and what the
 * reaper costs the host. Run standalone with `npx tsx bench/stop-tree.ts`.
 *
 * Trees: a detached `sh` (own group, carrying a tree cookie) that forks 9 `sleep`s in its group.
 *   baseline: `process.kill(-pgid, 'SIGKILL')`, then a tight /proc poll (every ~1 ms) until all gone;
 *   procvisor: readProcessTree + signalTree(SIGKILL, groups) + waitGone;
 *   also: the whole ladder (`runLadder`, `shutdown: 'kill'`), which adds the sweep by tree cookie;
 *   note: tree-kill (walks the tree with one `ps` per process) + the same tight poll.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatFigure, median } from './lib.js';
import type { BenchFigure } from './lib.js';
import { findByCookie, newTreeCookie, TREE_COOKIE_ENV } from '../src/os/cookie.js';
import { descendantsOf, hasChildrenFiles, isAlive, listPids, readStat, scanLinks } from '../src/os/proc.js';
import { runLadder } from '../src/process/stop.js';
import { killTreeFallback, signalTree, readProcessTree, waitGone } from '../src/os/tree.js';
import type { ProcessId } from '../src/os/tree.js';
import { createReaper } from '../src/os/reaper/client.js';

const RUNS = 15;
const TREE_SCRIPT = 'for i in 1 2 3 4 5 6 7 8 9; do sleep 1000 & done; echo ready; wait';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the first line a child prints. */
function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.on('error', reject);
  });
}

/** When each tree's leader was spawned, for the ladder's young-tree sweep (as the worker passes it). */
const born = new Map<number, number>();

/** Starts a 10-process tree and returns it once all 10 exist. */
async function startTree(): Promise<{ child: ChildProcess; tree: ProcessId[]; cookie: string }> {
  const cookie = newTreeCookie();
  const env = { ...process.env, [TREE_COOKIE_ENV]: cookie };
  const bornAt = performance.now();
  const child = spawn('sh', ['-c', TREE_SCRIPT], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env });
  born.set(child.pid as number, bornAt);
  await firstLine(child);
  child.stdout?.destroy();
  const pid = child.pid as number;
  let tree = readProcessTree(pid);
  for (let i = 0; tree.length < 10 && i < 200; i++) {
    await tick(5);
    tree = readProcessTree(pid);
  }
  if (tree.length !== 10) throw new Error(`expected a tree of 10, got ${tree.length}`);
  return { child, tree, cookie };
}

/** The baseline's observer: polls /proc about every millisecond until every member is gone. */
async function tightPoll(tree: readonly ProcessId[]): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (tree.some((id) => isAlive(id.pid, id.starttime))) {
    if (performance.now() > deadline) throw new Error('tree survived 10 s');
    await tick(1);
  }
}

/** How one contender stops a fresh tree. */
type Stop = (root: number, tree: readonly ProcessId[], child: ChildProcess, cookie: string) => Promise<void>;

/**
 * Median ms from "kill requested" to "all gone" over RUNS fresh trees per contender. The
 * contenders take turns, tree after tree, so a change of load on the machine hits them alike.
 */
async function timeStops<K extends string>(contenders: Record<K, Stop>): Promise<Record<K, number>> {
  const times = new Map<K, number[]>();
  for (let i = 0; i < RUNS; i++) {
    for (const [name, stop] of Object.entries(contenders) as [K, Stop][]) {
      const { child, tree, cookie } = await startTree();
      const root = child.pid as number;
      const exited = once(child, 'exit');
      try {
        const started = performance.now();
        await stop(root, tree, child, cookie);
        const list = times.get(name) ?? [];
        list.push(performance.now() - started);
        times.set(name, list);
      } finally {
        signalTree(tree, 'SIGKILL', { groups: true });
        await exited;
      }
    }
  }
  return Object.fromEntries([...times].map(([name, list]) => [name, median(list)])) as Record<K, number>;
}

function vmRssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return Number(match?.[1]) / 1024;
}

/** Idle resident memory of the reaper vs an idle `node -e`, and the synchronous cost of starting it. */
async function reaperCost(): Promise<BenchFigure[]> {
  const node = spawn(process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1 << 30)'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await firstLine(node);
  await tick(200);
  const nodeRss = vmRssMb(node.pid as number);
  node.kill('SIGKILL');

  const reaperRss: number[] = [];
  const reaperSpawn: number[] = [];
  const rawSpawn: number[] = [];
  const reapTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { child, tree } = await startTree();
    const root = child.pid as number;
    const reaper = createReaper();
    try {
      let started = performance.now();
      reaper.track(root, readStat(root)?.starttime);
      reaperSpawn.push(performance.now() - started);
      const pid = reaper.pid as number;
      // Let the shell reach its read loop before measuring it.
      await tick(100);
      reaperRss.push(vmRssMb(pid));
      started = performance.now();
      reaper.close();
      await tightPoll([...tree, { pid, starttime: readStat(pid)?.starttime }]);
      reapTimes.push(performance.now() - started);
    } finally {
      signalTree(tree, 'SIGKILL', { groups: true });
    }
    const started = performance.now();
    const raw = spawn('true', [], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    rawSpawn.push(performance.now() - started);
    raw.stdin?.end();
    raw.unref();
  }
  return [
    {
      name: 'reaper idle memory (VmRSS)',
      unit: 'MB',
      value: median(reaperRss),
      baseline: nodeRss,
      baselineName: 'idle `node -e`',
      goal: { ratio: 0.1 },
    },
    {
      name: 'reaper start (synchronous part of the first track())',
      unit: 'ms',
      value: median(reaperSpawn),
      baseline: median(rawSpawn),
      baselineName: 'spawn(`true`)',
      goal: { ratio: 2 },
      notes: [`reaper close() → tree of 10 and reaper gone: ${median(reapTimes).toFixed(2)} ms (median of ${RUNS})`],
    },
  ];
}

/** Every figure of this benchmark. */
export async function run(): Promise<BenchFigure[]> {
  if (process.platform !== 'linux') return [];
  const { baseline, ours, treeKill, ladder } = await timeStops({
    baseline: async (root, tree) => {
      process.kill(-root, 'SIGKILL');
      await tightPoll(tree);
    },
    ours: async (root) => {
      const tree = readProcessTree(root);
      signalTree(tree, 'SIGKILL', { groups: true });
      if (!(await waitGone(tree, { timeout: 10_000 }))) throw new Error('tree survived 10 s');
    },
    treeKill: async (root, tree) => {
      await killTreeFallback(root, 'SIGKILL');
      await tightPoll(tree);
    },
    ladder: async (root, _tree, child, cookie) => {
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
      const origin = { pid: root, bornAt: born.get(root) ?? 0 };
      const outcome = await runLadder({ pid: root, exited, cookie, origin }, 'kill', { unstoppedGrace: 10_000 });
      if (outcome.unstopped.length > 0) throw new Error('tree survived 10 s');
    },
  });
  const psVersion = spawnSync('ps', ['--version'], { encoding: 'utf8' }).stdout.trim();
  // Where the time goes, on a live 10-process tree: the walk that names the members (what a stop
  // costs before any signal), the full /proc scan it replaced, and the cookie sweep's scan.
  const walks: number[] = [];
  const scans: number[] = [];
  const sweeps: number[] = [];
  const { child, tree, cookie } = await startTree();
  try {
    const root = child.pid as number;
    for (let i = 0; i < RUNS; i++) {
      let started = performance.now();
      readProcessTree(root);
      walks.push(performance.now() - started);
      started = performance.now();
      descendantsOf(root, scanLinks().children);
      scans.push(performance.now() - started);
      started = performance.now();
      findByCookie(cookie);
      sweeps.push(performance.now() - started);
    }
  } finally {
    signalTree(tree, 'SIGKILL', { groups: true });
  }
  const processes = listPids().length;
  return [
    {
      name: 'stop a 10-process tree (SIGKILL → all gone)',
      unit: 'ms',
      value: ours,
      baseline,
      baselineName: 'kill(-pgid) + tight poll',
      goal: { ratio: 2 },
      notes: [
        `of which readProcessTree (${hasChildrenFiles() ? 'walk of /proc/<pid>/task/*/children' : 'one /proc scan'}): ${median(walks).toFixed(2)} ms; ` +
          `a full /proc scan of ${processes} processes instead: ${median(scans).toFixed(2)} ms`,
        `tree-kill + tight poll: ${treeKill.toFixed(2)} ms (median of ${RUNS}; ${psVersion})`,
      ],
    },
    {
      name: "the whole ladder, `shutdown: 'kill'` (SIGKILL → all gone, cookie sweep included)",
      unit: 'ms',
      value: ladder,
      baseline,
      baselineName: 'kill(-pgid) + tight poll',
      goal: { ratio: 2 },
      notes: [
        'the ladder sweeps a tree younger than 5 s only among pids created since its leader (as here);',
        `an older tree's sweep reads every environ (${processes} processes here): ${median(sweeps).toFixed(2)} ms`,
      ],
    },
    ...(await reaperCost()),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
