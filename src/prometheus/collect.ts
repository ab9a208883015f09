/**
 * `collectMetrics()`: registers the metrics of one ProcessManager with a prom-client registry.
 * Nothing here runs on a timer: the per-entry metrics read `pm.list()` when scraped (see
 * series.ts), event counts and the histograms are kept as events come.
 */
import type { Registry } from 'prom-client';
import type { ProcessManager } from '../manager.js';
import { registerEventMetrics } from './events.js';
import { registerGauges } from './gauges.js';
import { resolveMetricsOptions, type MetricsOptions } from './options.js';
import { EntryNames } from './series.js';
import { scrapeView } from './view.js';

/** What `collectMetrics()` returns. */
export interface MetricsCollector {
  /** Names of the metrics registered, prefix included. */
  readonly names: readonly string[];
  /** The registry they are registered with. */
  readonly registry: Registry;
  /** Unsubscribes from the manager and unregisters every metric. Idempotent. */
  stop(): void;
  /** The same as `stop()`, for `using collector = collectMetrics(pm)`. */
  [Symbol.dispose](): void;
}

/** The part of a ProcessManager the metrics read: its `list()` when scraped, and its events. */
export type MetricsSource = Pick<ProcessManager, 'list' | 'on' | 'off'>;

/**
 * Registers Prometheus metrics of `pm` with `registry` (default prom-client's global `register`),
 * every name starting with `prefix` (default `'procvisor_'`). See
 * https://github.com/procvisor/procvisor/blob/main/docs/metrics.md#metrics for the list.
 * @throws InvalidArgumentError for a malformed prefix or registry; prom-client's `Error` when a
 * metric of the same name is already registered (call `stop()` of the earlier collector first, or
 * use another prefix or registry).
 */
export function collectMetrics(pm: MetricsSource, options?: MetricsOptions): MetricsCollector {
  const { registry, prefix } = resolveMetricsOptions(options);
  const view = scrapeView(pm);
  const entryNames = new EntryNames();
  const names: string[] = [];
  let detach = (): void => {};
  const stop = (): void => {
    detach();
    detach = () => {};
    for (const name of names.splice(0)) if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  };
  try {
    registerGauges(registry, prefix, view, entryNames, names);
    detach = registerEventMetrics(pm, registry, prefix, view, entryNames, names);
  } catch (error) {
    // A name already taken: leave the registry as it was.
    stop();
    throw error;
  }
  return { names: Object.freeze([...names]), registry, stop, [Symbol.dispose]: stop };
}
