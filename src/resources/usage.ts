/**
 * Turns two raw readings of one target into a `Usage`: CPU % from deltas over wall time, tree
 * totals over the process and its descendants. Pure, so the accounting rules are unit-tested
 * without spawning anything.
 */
import type { Usage } from '../api/types.js';
import type { RawProcess, RawSample } from './backend.js';

/** What is kept of the previous reading of a target. */
export interface Baseline {
  /** When it was read (sampler clock, ms). */
  readonly time: number;
  readonly root: RawProcess;
  /** The root and its descendants by pid; absent when the root had no descendants. */
  readonly members?: ReadonlyMap<number, RawProcess>;
}

/** The usage computed from a reading, if any, and the baseline for the next one. */
export interface Reading {
  /** Absent on warm-up: the first reading of a process only records its counters. */
  readonly usage: Usage | undefined;
  readonly baseline: Baseline;
}

/** Same process in both readings: same pid and, where the backend tells, same start time. */
function same(a: RawProcess, b: RawProcess): boolean {
  return a.pid === b.pid && (a.start === undefined || b.start === undefined || a.start === b.start);
}

/** Own CPU plus that of reaped children: it only grows while the process lives. */
const total = (p: RawProcess): number => p.cpuTime + (p.childCpuTime ?? 0);

/**
 * CPU ms the tree spent between two readings. Members seen in both count their growth; members
 * born since the last reading count all their CPU; members that ended and were reaped by a member
 * still in the tree reappear in that parent's `childCpuTime`, so their last reading is taken out
 * to count only what they spent since. Descendants born and reaped between two readings are thus
 * kept, which sampling the live pids alone would lose.
 */
export function treeCpuTime(before: ReadonlyMap<number, RawProcess>, after: ReadonlyMap<number, RawProcess>, wall: number): number {
  let spent = 0;
  for (const member of after.values()) {
    const previous = before.get(member.pid);
    if (previous && same(previous, member)) spent += Math.max(0, total(member) - total(previous));
    else if (member.age !== undefined && member.age <= wall) spent += total(member);
  }
  for (const gone of before.values()) {
    const now = after.get(gone.pid);
    if (now && same(gone, now)) continue;
    const parentNow = after.get(gone.ppid);
    const parentBefore = before.get(gone.ppid);
    if (parentNow?.childCpuTime !== undefined && parentBefore && same(parentNow, parentBefore)) spent -= total(gone);
  }
  return spent;
}

function membersOf(sample: RawSample): Map<number, RawProcess> {
  const members = new Map<number, RawProcess>([[sample.pid, sample]]);
  for (const child of sample.descendants) members.set(child.pid, child);
  return members;
}

/** CPU ms of the tree between two readings; most processes have no descendants, so skip the maps. */
function treeSpent(previous: Baseline, sample: RawSample, members: ReadonlyMap<number, RawProcess> | undefined, wall: number): number {
  if (!members && !previous.members) return Math.max(0, total(sample) - total(previous.root));
  return treeCpuTime(previous.members ?? new Map([[previous.root.pid, previous.root]]), members ?? membersOf(sample), wall);
}

/**
 * Computes the usage of `sample` read at `time` against the previous reading. CPU is in % of one
 * core, clamped to `[0, cores × 100]`: tick rounding over a short wall time can overshoot.
 */
export function toUsage(previous: Baseline | undefined, sample: RawSample, time: number, cores: number): Reading {
  const members = sample.descendants.length > 0 ? membersOf(sample) : undefined;
  const baseline: Baseline = members ? { time, root: sample, members } : { time, root: sample };
  if (!previous || !same(previous.root, sample)) return { usage: undefined, baseline };
  const wall = time - previous.time;
  // No wall time to divide by (a manual round at the same instant): keep the older baseline.
  if (wall <= 0) return { usage: undefined, baseline: previous };
  const ceiling = cores * 100;
  const percent = (ms: number): number => Math.min(ceiling, Math.max(0, (ms / wall) * 100));
  const cpu = percent(sample.cpuTime - previous.root.cpuTime);
  let pids = 1;
  let memory = sample.memory;
  for (const member of sample.descendants) {
    if (member.zombie) continue;
    pids++;
    memory += member.memory;
  }
  const usage: Usage = {
    time,
    cpu,
    cpuNormalized: cpu / cores,
    cpuTime: sample.cpuTime,
    memory: sample.memory,
    tree: { pids, cpu: percent(treeSpent(previous, sample, members, wall)), memory },
  };
  if (sample.fds !== undefined) usage.fds = sample.fds;
  if (sample.threads !== undefined) usage.threads = sample.threads;
  if (sample.io !== undefined) usage.io = { read: sample.io.read, write: sample.io.write };
  return { usage, baseline };
}
