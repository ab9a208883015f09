/**
 * The sampling loop: ONE timer for every sampled process, one backend round per tick, and a
 * round is skipped while the previous one still runs (a slow host must not pile rounds up).
 *
 * Warm-up: CPU % needs two readings, so the first round after `add()` only records a process's
 * counters and emits nothing; its first `Usage` comes one interval later, with CPU measured over
 * that whole interval. Reporting 0 % or a figure over a few ms instead would be a lie.
 */
import { availableParallelism } from 'node:os';
import type { Clock, ClockTimer, Usage } from '../api/types.js';
import { systemClock } from '../util/clock.js';
import type { RawSample, SampleTarget, SamplerBackend } from './backend.js';
import { PidusageBackend } from './pidusage-backend.js';
import { ProcBackend } from './proc-backend.js';
import type { Baseline } from './usage.js';
import { toUsage } from './usage.js';

/** Options of a Sampler. */
export interface SamplerOptions {
  /** Default time between two samples of a process, in ms. */
  interval: number;
  /** Where readings come from. Default: `/proc` on Linux, pidusage elsewhere. */
  backend?: SamplerBackend;
  /** Clock for timestamps and the timer. Default: the real clock. */
  clock?: Clock;
  /** Cores for `cpuNormalized` and the CPU ceiling. Default `os.availableParallelism()`. */
  cores?: number;
  /** Receives every sample. */
  onSample: (key: string, usage: Usage) => void;
  /** Receives backend failures and errors thrown by `onSample`. Default: ignored. */
  onError?: (error: Error) => void;
}

/** The default backend for this platform. */
export function defaultBackend(): SamplerBackend {
  return process.platform === 'linux' ? new ProcBackend() : new PidusageBackend();
}

interface Entry {
  readonly pid: number;
  readonly interval: number;
  /** When the next sample is due (clock ms). */
  due: number;
  baseline: Baseline | undefined;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Samples many processes on one timer. */
export class Sampler {
  readonly #interval: number;
  readonly #backend: SamplerBackend;
  readonly #clock: Clock;
  readonly #cores: number;
  readonly #onSample: (key: string, usage: Usage) => void;
  readonly #onError: (error: Error) => void;
  readonly #entries = new Map<string, Entry>();
  #timer: ClockTimer | undefined;
  /** Tick period of the armed timer: the shortest interval among the targets. */
  #period: number | undefined;
  #inFlight: Promise<void> | undefined;
  /** Bumped by `stop()` so a round in flight does not report into a stopped sampler. */
  #generation = 0;
  #skipped = 0;

  constructor(options: SamplerOptions) {
    if (!(options.interval > 0)) throw new RangeError(`Expected \`interval\` to be a positive number of ms, got \`${options.interval}\``);
    this.#interval = options.interval;
    this.#backend = options.backend ?? defaultBackend();
    this.#clock = options.clock ?? systemClock;
    this.#cores = options.cores ?? availableParallelism();
    this.#onSample = options.onSample;
    this.#onError = options.onError ?? (() => {});
  }

  /** The backend in use. */
  get backend(): SamplerBackend {
    return this.#backend;
  }

  /** Number of sampled processes. */
  get size(): number {
    return this.#entries.size;
  }

  /** Ticks skipped so far because the previous round was still running. */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * Samples `pid` under `key` every `interval` ms (default: the sampler's). Adding a key again
   * with a new pid replaces its target and restarts its warm-up. Per-target intervals share the
   * one timer, which ticks at the shortest of them; a target is sampled on the tick nearest its
   * due time.
   */
  add(key: string, pid: number, interval: number = this.#interval): void {
    if (!(interval > 0)) throw new RangeError(`Expected \`interval\` to be a positive number of ms, got \`${interval}\``);
    const existing = this.#entries.get(key);
    // The same process again keeps its counters: only a new pid needs a new warm-up.
    const baseline = existing?.pid === pid ? existing.baseline : undefined;
    this.#entries.set(key, { pid, interval, due: existing?.pid === pid ? existing.due : this.#clock.now(), baseline });
    this.#arm();
  }

  /** Stops sampling `key`. */
  remove(key: string): void {
    if (!this.#entries.delete(key)) return;
    this.#arm();
    if (this.#entries.size === 0) this.#backend.release?.();
  }

  /**
   * Stops the timer, forgets every target and releases what the backend holds (open fds); a
   * round in flight reports nothing. The sampler may be used again after.
   */
  stop(): void {
    this.#generation++;
    this.#entries.clear();
    this.#arm();
    this.#backend.release?.();
  }

  /** Runs one round over every target now, due or not; joins the round in flight if there is one. */
  sampleNow(): Promise<void> {
    this.#inFlight ??= this.#round([...this.#entries.keys()]).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** (Re)arms the single timer for the shortest interval, or disarms it when nothing is sampled. */
  #arm(): void {
    let period: number | undefined;
    for (const entry of this.#entries.values()) period = Math.min(period ?? Infinity, entry.interval);
    if (period === this.#period && (this.#timer !== undefined || period === undefined)) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#period = period;
    if (period !== undefined) this.#schedule(period);
  }

  #schedule(period: number): void {
    const timer = this.#clock.setTimeout(() => this.#tick(period), period);
    // Sampling is never a reason for the host to stay alive.
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.#timer = timer;
  }

  #tick(period: number): void {
    this.#schedule(period);
    if (this.#inFlight) {
      this.#skipped++;
      return;
    }
    const now = this.#clock.now();
    const due: string[] = [];
    for (const [key, entry] of this.#entries) if (now >= entry.due - period / 2) due.push(key);
    if (due.length === 0) return;
    this.#inFlight = this.#round(due).finally(() => {
      this.#inFlight = undefined;
    });
  }

  async #round(keys: readonly string[]): Promise<void> {
    const generation = this.#generation;
    const time = this.#clock.now();
    const targets: SampleTarget[] = [];
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry) targets.push({ key, pid: entry.pid });
    }
    if (targets.length === 0) return;
    let samples: Map<string, RawSample>;
    try {
      samples = await this.#backend.round(targets);
    } catch (error) {
      if (generation === this.#generation) this.#onError(asError(error));
      return;
    }
    if (generation !== this.#generation) return;
    for (const { key, pid } of targets) {
      const entry = this.#entries.get(key);
      // Removed or replaced while the round ran.
      if (!entry || entry.pid !== pid) continue;
      entry.due = time + entry.interval;
      const sample = samples.get(key);
      if (!sample) continue; // gone: skipped, the exit is the manager's news, not the sampler's
      const { usage, baseline } = toUsage(entry.baseline, sample, time, this.#cores);
      entry.baseline = baseline;
      if (!usage) continue;
      try {
        this.#onSample(key, usage);
      } catch (error) {
        this.#onError(asError(error));
      }
    }
  }
}
