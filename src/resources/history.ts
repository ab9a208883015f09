/**
 * A short history of samples in a fixed-size ring, with average and peak over a trailing window,
 * so a host can plot trends without keeping its own buffer.
 */
import type { Usage } from '../api/types.js';

/** CPU (% of one core) and memory (bytes) of the process and of its tree. */
import type { UsageSummary } from '../api/types.js';
export type { UsageSummary };

/** The last `capacity` samples of one process. */
export class UsageHistory {
  readonly #ring: (Usage | undefined)[];
  /** Index of the oldest sample. */
  #start = 0;
  #length = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Expected \`capacity\` to be a positive integer, got \`${capacity}\``);
    }
    this.#ring = new Array<Usage | undefined>(capacity);
  }

  /** Number of samples held. */
  get length(): number {
    return this.#length;
  }

  /** The newest sample. */
  get latest(): Usage | undefined {
    return this.#length === 0 ? undefined : this.#ring[(this.#start + this.#length - 1) % this.capacity];
  }

  /** Appends a sample, dropping the oldest when full. */
  push(usage: Usage): void {
    if (this.#length < this.capacity) {
      this.#ring[(this.#start + this.#length) % this.capacity] = usage;
      this.#length++;
    } else {
      this.#ring[this.#start] = usage;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  /** Forgets every sample (a new incarnation starts a new history). */
  clear(): void {
    this.#ring.fill(undefined);
    this.#start = 0;
    this.#length = 0;
  }

  /** The samples, oldest first. */
  toArray(): Usage[] {
    const out: Usage[] = [];
    for (let i = 0; i < this.#length; i++) out.push(this.#ring[(this.#start + i) % this.capacity] as Usage);
    return out;
  }

  /**
   * Mean over the samples taken within `windowMs` before the newest one (all samples when
   * omitted); `undefined` when there are none.
   */
  average(windowMs?: number): UsageSummary | undefined {
    const samples = this.#window(windowMs);
    if (samples.length === 0) return undefined;
    const sum = this.#fold(samples, (a, b) => a + b);
    const n = samples.length;
    return { cpu: sum.cpu / n, memory: sum.memory / n, tree: { cpu: sum.tree.cpu / n, memory: sum.tree.memory / n } };
  }

  /** Highest figures over the same window as `average`, each taken on its own. */
  peak(windowMs?: number): UsageSummary | undefined {
    const samples = this.#window(windowMs);
    return samples.length === 0 ? undefined : this.#fold(samples, Math.max);
  }

  #window(windowMs: number | undefined): Usage[] {
    const all = this.toArray();
    const newest = all.at(-1);
    if (windowMs === undefined || newest === undefined) return all;
    const from = newest.time - windowMs;
    return all.filter((usage) => usage.time >= from);
  }

  #fold(samples: readonly Usage[], op: (a: number, b: number) => number): UsageSummary {
    const [first, ...rest] = samples as [Usage, ...Usage[]];
    const acc: UsageSummary = { cpu: first.cpu, memory: first.memory, tree: { cpu: first.tree.cpu, memory: first.tree.memory } };
    for (const usage of rest) {
      acc.cpu = op(acc.cpu, usage.cpu);
      acc.memory = op(acc.memory, usage.memory);
      acc.tree.cpu = op(acc.tree.cpu, usage.tree.cpu);
      acc.tree.memory = op(acc.tree.memory, usage.tree.memory);
    }
    return acc;
  }
}
