/**
 * Stopping a whole tree: time from "kill requested" to "all 10 processes gone", and what the
 * reaper costs the host. Run standalone with `npx tsx bench/stop-tree.ts`.
 *
 * Trees: a detached `sh` (own group) that forks 9 `sleep`s in its group.
 *   baseline: `process.kill(-pgid, 'SIGKILL')`, then a tight /proc poll (every ~1 ms) until all gone;
 *   procvisor: snapshotTree + signalTree(SIGKILL, groups) + waitGone;
 *   note: tree-kill (walks the tree with one `ps` per process) + the same tight poll.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatFigure, median } from './lib.js';
import type { BenchFigure } from './lib.js';
import { isAlive, listPids, readStat } from '../src/process/proc.js';
import { killTreeFallback, signalTree, snapshotTree, waitGone } from '../src/process/tree.js';
import type { ProcessId } from '../src/process/tree.js';
import { createReaper } from '../src/reaper/client.js';

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

/** Starts a 10-process tree and returns it once all 10 exist. */
async function startTree(): Promise<{ child: ChildProcess; tree: ProcessId[] }> {
  const child = spawn('sh', ['-c', TREE_SCRIPT], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  await firstLine(child);
  child.stdout?.destroy();
  const pid = child.pid as number;
  let tree = snapshotTree(pid);
  for (let i = 0; tree.length < 10 && i < 200; i++) {
    await tick(5);
    tree = snapshotTree(pid);
  }
  if (tree.length !== 10) throw new Error(`expected a tree of 10, got ${tree.length}`);
  return { child, tree };
}

/** The baseline's observer: polls /proc about every millisecond until every member is gone. */
async function tightPoll(tree: readonly ProcessId[]): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (tree.some((id) => isAlive(id.pid, id.starttime))) {
    if (performance.now() > deadline) throw new Error('tree survived 10 s');
    await tick(1);
  }
}

/** Median ms from "kill requested" to "all gone" over RUNS fresh trees. */
async function timeStops(stop: (root: number, tree: readonly ProcessId[]) => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { child, tree } = await startTree();
    const root = child.pid as number;
    try {
      const started = performance.now();
      await stop(root, tree);
      times.push(performance.now() - started);
    } finally {
      signalTree(tree, 'SIGKILL', { groups: true });
    }
  }
  return median(times);
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
  const baseline = await timeStops(async (root, tree) => {
    process.kill(-root, 'SIGKILL');
    await tightPoll(tree);
  });
  const ours = await timeStops(async (root) => {
    const tree = snapshotTree(root);
    signalTree(tree, 'SIGKILL', { groups: true });
    if (!(await waitGone(tree, { timeout: 10_000 }))) throw new Error('tree survived 10 s');
  });
  const treeKill = await timeStops(async (root, tree) => {
    await killTreeFallback(root, 'SIGKILL');
    await tightPoll(tree);
  });
  const psVersion = spawnSync('ps', ['--version'], { encoding: 'utf8' }).stdout.trim();
  // Where the difference goes: one scan of every process on the machine, before any signal.
  const scans: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    snapshotTree(process.pid);
    scans.push(performance.now() - started);
  }
  return [
    {
      name: 'stop a 10-process tree (SIGKILL → all gone)',
      unit: 'ms',
      value: ours,
      baseline,
      baselineName: 'kill(-pgid) + tight poll',
      goal: { ratio: 2 },
      notes: [
        `of which snapshotTree (one /proc scan of ${listPids().length} processes): ${median(scans).toFixed(2)} ms`,
        `tree-kill + tight poll: ${treeKill.toFixed(2)} ms (median of ${RUNS}; ${psVersion})`,
      ],
    },
    ...(await reaperCost()),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
