/**
 * The health of one process, aggregated from every source that judges it: pure, no clock, no events.
 *
 * Each source (readiness, liveness probes, the heartbeat watchdog, resource limits) keeps its own
 * latest verdict, and the overall status is the **worst** current verdict, in the order (best to worst)
 *
 *     unknown < healthy < warning < critical < failed
 *
 * `unknown` means "no verdict": a source that has not reported, or reported `unknown`, does not count,
 * so it can never mask another source's verdict. The overall status is `unknown` only while no source
 * has a verdict. A passing source therefore never hides a failing one: `liveness` at `warning` stays
 * `warning` overall whatever `limits` says, until liveness itself recovers.
 *
 * The ranking is the one of `worstStatus` in `levels.ts`, which already combines several liveness
 * probes into the `liveness` verdict; this module applies the same rule one level up, across sources.
 */
import type { HealthSource, HealthStatus, ProbeResult } from '../api/types.js';
import { worstStatus } from './levels.js';

/**
 * Who judges a process's health: the readiness probe (once started), the liveness probes (their worst
 * level), the heartbeat watchdog and the resource limits.
 */
export type { HealthSource } from '../api/types.js';

/** A change of the overall status, shaped like the `health` event's payload. */
export interface HealthChange {
  /** The overall status now. */
  readonly status: HealthStatus;
  /** The overall status before this report. */
  readonly previous: HealthStatus;
  /** The source whose report changed the overall status. */
  readonly source: HealthSource;
  /** The probe result that came with that report, if any. */
  readonly result?: ProbeResult;
}

/**
 * The latest verdict of each health source of one process and the overall status they give: the worst
 * of them (see the module's order). An incarnation makes one with its first verdict.
 */
export class HealthAggregator {
  /** One field per source rather than a Map: one of these lives with every probed incarnation. */
  #readiness: HealthStatus = 'unknown';
  #liveness: HealthStatus = 'unknown';
  #heartbeat: HealthStatus = 'unknown';
  #limits: HealthStatus = 'unknown';
  #status: HealthStatus = 'unknown';

  /** The overall status: the worst current verdict of all sources, `unknown` while none has one. */
  get status(): HealthStatus {
    return this.#status;
  }

  /**
   * Records one source's verdict, replacing its previous one (`unknown` withdraws it). Returns the
   * change of the overall status, or `undefined` when the overall status did not change.
   */
  report(source: HealthSource, status: HealthStatus, result?: ProbeResult): HealthChange | undefined {
    switch (source) {
      case 'readiness':
        this.#readiness = status;
        break;
      case 'liveness':
        this.#liveness = status;
        break;
      case 'heartbeat':
        this.#heartbeat = status;
        break;
      case 'limits':
        this.#limits = status;
        break;
    }
    const previous = this.#status;
    // `unknown` ranks below every verdict in worstStatus, so a source without one never counts.
    const overall = worstStatus([this.#readiness, this.#liveness, this.#heartbeat, this.#limits]);
    if (overall === previous) return undefined;
    this.#status = overall;
    return result === undefined ? { status: overall, previous, source } : { status: overall, previous, source, result };
  }
}
