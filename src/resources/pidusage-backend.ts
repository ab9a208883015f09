/**
 * The portable backend: pidusage for per-process figures, and a `ps` snapshot for the parent
 * links that tree totals need. Where `ps` is missing (Windows), tree totals cover the process
 * alone. pidusage is loaded on first use, so hosts that never sample never load it.
 */
import { descendantsOf } from '../os/proc.js';
import { childProcess, util } from '../util/builtins.js';
import type { RawProcess, RawSample, SampleTarget, SamplerBackend } from './backend.js';

type Pidusage = typeof import('pidusage');
type PidStat = import('pidusage').Status;
/** `execFile` as promisified by Node (its custom promisify: resolves to `{ stdout, stderr }`). */
type ExecFileAsync = typeof import('node:child_process').execFile.__promisify__;

let execFileAsync: ExecFileAsync | undefined;
let loaded: Promise<Pidusage> | undefined;

/** {@link ExecFileAsync}, made at first use (no `child_process` at import, see util/builtins.ts). */
function run(): ExecFileAsync {
  return (execFileAsync ??= util().promisify(childProcess().execFile));
}

function load(): Promise<Pidusage> {
  loaded ??= import('pidusage').then((module) => module.default);
  return loaded;
}

/** Parent links and zombie marks from one `ps` snapshot. */
interface Links {
  children: Map<number, number[]>;
  zombies: Set<number>;
}

/** Parses `ps -A -o pid=,ppid=,stat=` output. */
export function parsePs(text: string): Links {
  const children = new Map<number, number[]>();
  const zombies = new Set<number>();
  for (const line of text.split('\n')) {
    const [pidText, ppidText, state] = line.trim().split(/\s+/);
    const pid = Number(pidText);
    const ppid = Number(ppidText);
    if (!Number.isInteger(pid) || !Number.isInteger(ppid) || pidText === '') continue;
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
    if (state?.startsWith('Z')) zombies.add(pid);
  }
  return { children, zombies };
}

/** Sampler backend over pidusage, for platforms without `/proc` (and for comparison on Linux). */
export class PidusageBackend implements SamplerBackend {
  readonly name = 'pidusage';
  /** False once `ps` turned out to be missing: tree totals then cover the process alone. */
  #ps = true;

  /** One round over `targets`; see {@link SamplerBackend.round}. */
  async round(targets: readonly SampleTarget[]): Promise<Map<string, RawSample>> {
    const samples = new Map<string, RawSample>();
    if (targets.length === 0) return samples;
    const pidusage = await load();
    const links = await this.#links();
    const members = new Set<number>();
    const trees = new Map<number, number[]>();
    for (const { pid } of targets) {
      const descendants = links ? descendantsOf(pid, links.children) : [];
      trees.set(pid, descendants);
      members.add(pid);
      for (const child of descendants) members.add(child);
    }
    const stats = await readAll(pidusage, [...members]);
    const raw = (stat: PidStat): RawProcess => ({
      pid: stat.pid,
      ppid: stat.ppid,
      age: stat.elapsed,
      cpuTime: stat.ctime,
      memory: stat.memory,
      ...(links?.zombies.has(stat.pid) ? { zombie: true } : {}),
    });
    for (const { key, pid } of targets) {
      const stat = stats.get(pid);
      if (!stat || links?.zombies.has(pid)) continue;
      const descendants: RawProcess[] = [];
      for (const child of trees.get(pid) ?? []) {
        const childStat = stats.get(child);
        if (childStat) descendants.push(raw(childStat));
      }
      samples.set(key, { ...raw(stat), descendants });
    }
    return samples;
  }

  async #links(): Promise<Links | undefined> {
    if (!this.#ps) return undefined;
    try {
      const { stdout } = await run()('ps', ['-A', '-o', 'pid=,ppid=,stat='], { timeout: 5000, maxBuffer: 16 * 1024 * 1024 });
      return parsePs(stdout);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.#ps = false;
      return undefined;
    }
  }
}

/**
 * pidusage over many pids: with several pids a vanished one is just missing from the answer, but
 * a lone pid that vanished rejects — both mean "skip it".
 */
async function readAll(pidusage: Pidusage, pids: number[]): Promise<Map<number, PidStat>> {
  const found = new Map<number, PidStat>();
  let answer: Record<string, PidStat | null | undefined>;
  try {
    answer = await pidusage(pids);
  } catch {
    return found;
  }
  for (const pid of pids) {
    const stat = answer[pid];
    if (stat) found.set(pid, stat);
  }
  return found;
}
