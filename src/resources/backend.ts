/**
 * The narrow interface between the sampler and a platform. A backend reads raw, cumulative figures
 * for a batch of processes and their descendants; all arithmetic over time (CPU %, deltas,
 * clamping) is the sampler's, so every backend yields the same figures for the same processes.
 */

/** One process to sample, named by the caller's key. */
export interface SampleTarget {
  readonly key: string;
  readonly pid: number;
}

/** Cumulative figures of one process at read time. */
export interface RawProcess {
  readonly pid: number;
  readonly ppid: number;
  /**
   * Identity token: equal across rounds for the same process, different for a new process that
   * reuses the pid (start time in clock ticks on Linux). Absent when the backend cannot tell.
   */
  readonly start?: number;
  /** How long the process has existed at read time, in ms, when known. */
  readonly age?: number;
  /** User + system CPU time so far, in ms. */
  readonly cpuTime: number;
  /**
   * CPU time of children this process has waited for, in ms. Lets tree totals keep the CPU of
   * short-lived descendants that ended between two rounds. Absent when the backend cannot tell.
   */
  readonly childCpuTime?: number;
  /** Resident set size in bytes. */
  readonly memory: number;
  /** True for a zombie: its CPU still counts, it is no longer a live pid. */
  readonly zombie?: boolean;
}

/** Everything read for one target: its own figures, extras, and its descendants. */
export interface RawSample extends RawProcess {
  readonly threads?: number;
  readonly fds?: number;
  readonly io?: { readonly read: number; readonly write: number };
  /** Every descendant (the target excluded), found by parent links at read time. */
  readonly descendants: readonly RawProcess[];
}

/** Reads one round for a batch of targets. */
export interface SamplerBackend {
  /** Short name for diagnostics, e.g. `'proc'`. */
  readonly name: string;
  /**
   * Reads all targets in one pass. A target whose process is gone (or a zombie) is absent from
   * the result; a figure the backend cannot read for a target is absent from its sample.
   */
  round(targets: readonly SampleTarget[]): Promise<Map<string, RawSample>>;
  /** Lets go of anything held between rounds (open fds, caches); the backend stays usable. */
  release?(): void;
}
