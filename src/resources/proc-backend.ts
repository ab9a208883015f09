/**
 * The Linux backend: reads `/proc` directly. One round lists `/proc` once and follows parent
 * links for tree totals, so descendants that changed session or group are still found; the
 * targets and their descendants are read afresh each round, and the extras — open fds and disk
 * I/O — only for the targets. See `proc-table.ts` for how a round stays near one read per pid.
 */
import { TUNING } from '../api/tuning.js';
import type { ProcStat } from '../os/proc.js';
import { readUptime } from '../os/proc.js';
import type { RawProcess, RawSample, SampleTarget, SamplerBackend } from './backend.js';
import { ProcTable } from './proc-table.js';
import { clockTicks, pageSize } from './sysconf.js';

/** Which extras a `/proc` round reads for each target. */
export interface ProcBackendOptions {
  /** Count open file descriptors. Default true. */
  fds?: boolean;
  /** Read disk I/O bytes from `/proc/<pid>/io`. Default true. */
  io?: boolean;
  /** Most file descriptors held open between rounds. Default a quarter of the soft open-files limit. */
  fdBudget?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const dead = (stat: ProcStat): boolean => stat.state === 'Z' || stat.state === 'X';

/** Sampler backend over Linux `/proc`. */
export class ProcBackend implements SamplerBackend {
  readonly name = 'proc';
  readonly #fds: boolean;
  readonly #io: boolean;
  readonly #table: ProcTable;
  /** Open fds and disk I/O move slowly: they are re-read every few rounds, not every round. */
  readonly #extras = new Map<number, { round: number; fds: number | undefined; io: RawSample['io'] }>();
  #round = 0;

  constructor(options: ProcBackendOptions = {}) {
    this.#fds = options.fds ?? true;
    this.#io = options.io ?? true;
    this.#table = new ProcTable(options.fdBudget === undefined ? {} : { fdBudget: options.fdBudget });
  }

  /** File descriptors held open between rounds. */
  get openFds(): number {
    return this.#table.openFds;
  }

  /** Closes the fds held between rounds; the next round starts with a full scan. */
  release(): void {
    this.#table.release();
  }

  /** One round over `targets`; see {@link SamplerBackend.round}. */
  round(targets: readonly SampleTarget[]): Promise<Map<string, RawSample>> {
    // Synchronous on purpose (see proc.ts): the whole round costs about one `stat` read per pid.
    try {
      return Promise.resolve(this.roundSync(targets));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** The round itself, synchronously; `round()` wraps it. */
  roundSync(targets: readonly SampleTarget[]): Map<string, RawSample> {
    const samples = new Map<string, RawSample>();
    const table = this.#table;
    if (targets.length === 0) {
      table.release();
      return samples;
    }
    table.update(targets.map((target) => target.pid));
    const round = ++this.#round;
    const uptime = readUptime();
    const msPerTick = 1000 / clockTicks();
    const page = pageSize();
    // One object shape, no spreads: this runs for every sampled process every round.
    const raw = (stat: ProcStat): Mutable<RawProcess> => {
      const process: Mutable<RawProcess> = {
        pid: stat.pid,
        ppid: stat.ppid,
        start: stat.starttime,
        cpuTime: (stat.utime + stat.stime) * msPerTick,
        childCpuTime: ((stat.cutime ?? 0) + (stat.cstime ?? 0)) * msPerTick,
        memory: stat.rssPages * page,
        zombie: dead(stat),
      };
      if (uptime !== undefined) process.age = Math.max(0, uptime * 1000 - stat.starttime * msPerTick);
      return process;
    };
    for (const { key, pid } of targets) {
      const stat = table.stat(pid);
      if (!stat || dead(stat)) continue;
      const children = table.descendants(pid);
      const descendants: RawProcess[] = [];
      for (const child of children) {
        const childStat = table.stat(child);
        if (childStat) descendants.push(raw(childStat));
      }
      const sample = raw(stat) as Mutable<RawSample>;
      sample.threads = stat.threads;
      sample.descendants = descendants;
      // A permission error on an extra drops that figure, never the sample.
      let extras = this.#extras.get(pid);
      if (!extras || round - extras.round >= TUNING.samplingExtrasEvery) {
        extras = { round, fds: this.#fds ? table.fds(pid) : undefined, io: this.#io ? table.io(pid) : undefined };
        this.#extras.set(pid, extras);
      }
      if (extras.fds !== undefined) sample.fds = extras.fds;
      if (extras.io !== undefined) sample.io = extras.io;
      samples.set(key, sample);
    }
    if (this.#extras.size > targets.length) {
      const live = new Set(targets.map((t) => t.pid));
      for (const pid of this.#extras.keys()) if (!live.has(pid)) this.#extras.delete(pid);
    }
    return samples;
  }
}
