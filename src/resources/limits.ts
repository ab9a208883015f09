/**
 * Resource limits as pure logic: fed samples, it says when a breach has held long enough to act.
 * No clock and no timers — time comes from the samples — so every rule is unit-tested directly.
 *
 * Rules, per resource (memory, cpu) and level (warning, limit):
 * - a sample breaches when its value is above the level (tree totals or the process's own
 *   figures, by `scope`);
 * - a breach counts once it has held: with `forMs`, continuously from the first breaching sample
 *   through `forMs` (sample times, minus a tenth of an interval for timer jitter); without it, for
 *   `forSamples` consecutive samples. One spike shorter than that never counts;
 * - a level fires once, then re-arms only when a sample is back at or below it.
 */
import { DEFAULTS } from '../api/defaults.js';
import type { LimitEvent } from '../api/events.js';
import type { ResolvedLimits } from '../spec/resolved.js';
import type { Usage } from '../api/types.js';

/** A breach that held: what the manager turns into a `limit` event and its action. */
export type LimitVerdict = Pick<LimitEvent, 'resource' | 'level' | 'value' | 'limit' | 'action'>;

/** What the limits say about health: a fired warning level, a fired limit, or neither. */
export type LimitStatus = 'healthy' | 'warning' | 'critical';

interface Detector {
  readonly resource: 'memory' | 'cpu';
  readonly level: 'warning' | 'limit';
  readonly threshold: number;
  /** Time of the first sample of the current breach. */
  since: number | undefined;
  /** Consecutive breaching samples. */
  count: number;
  fired: boolean;
}

/** Watches one process's samples against its limits. */
export class LimitMonitor {
  readonly #limits: ResolvedLimits;
  readonly #detectors: Detector[] = [];
  /** Allowance for sample times that drift by timer jitter. */
  readonly #jitter: number;
  readonly #forMs: number | undefined;
  readonly #forSamples: number;

  constructor(limits: ResolvedLimits, interval: number) {
    this.#limits = limits;
    this.#jitter = interval / 10;
    this.#forMs = limits.forMs;
    this.#forSamples = limits.forSamples ?? DEFAULTS.limits.samples;
    const add = (resource: Detector['resource'], level: Detector['level'], threshold: number | undefined): void => {
      if (threshold !== undefined) this.#detectors.push({ resource, level, threshold, since: undefined, count: 0, fired: false });
    };
    add('memory', 'warning', limits.warning.memory);
    add('memory', 'limit', limits.memory);
    add('cpu', 'warning', limits.warning.cpu);
    add('cpu', 'limit', limits.cpu);
  }

  /** `critical` while a limit has fired and not re-armed, else `warning` for a warning level. */
  get status(): LimitStatus {
    let status: LimitStatus = 'healthy';
    for (const d of this.#detectors) {
      if (!d.fired) continue;
      if (d.level === 'limit') return 'critical';
      status = 'warning';
    }
    return status;
  }

  /** Feeds one sample; returns the levels whose breach held long enough with this sample. */
  observe(usage: Usage): LimitVerdict[] {
    const verdicts: LimitVerdict[] = [];
    const figures = this.#limits.scope === 'tree' ? usage.tree : usage;
    for (const d of this.#detectors) {
      const value = figures[d.resource];
      if (!(value > d.threshold)) {
        d.since = undefined;
        d.count = 0;
        d.fired = false;
        continue;
      }
      d.since ??= usage.time;
      d.count++;
      if (d.fired || !this.#held(d, usage.time)) continue;
      d.fired = true;
      // A warning level only reports; the action belongs to the limit.
      verdicts.push({ resource: d.resource, level: d.level, value, limit: d.threshold, action: d.level === 'limit' ? this.#limits.action : 'warn' });
    }
    return verdicts;
  }

  /** Forgets every breach, e.g. for a new incarnation. */
  reset(): void {
    for (const d of this.#detectors) {
      d.since = undefined;
      d.count = 0;
      d.fired = false;
    }
  }

  #held(d: Detector, time: number): boolean {
    if (this.#forMs !== undefined) return time - (d.since ?? time) >= this.#forMs - this.#jitter;
    return d.count >= this.#forSamples;
  }
}
