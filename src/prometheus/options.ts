/**
 * The options of `collectMetrics()`: what the user writes, and the resolved form with its defaults
 * filled in one place.
 */
import { register, type Registry } from 'prom-client';
import { InvalidArgumentError } from '../api/errors.js';

/** Options of {@link collectMetrics}. */
export interface MetricsOptions {
  /** The registry the metrics are registered with. Default prom-client's global `register`. */
  registry?: Registry;
  /** Prefix of every metric name. Default `'procvisor_'`; `''` for none. */
  prefix?: string;
}

/** The options with their defaults filled. */
export interface ResolvedMetricsOptions {
  readonly registry: Registry;
  readonly prefix: string;
}

/** The defaults of {@link MetricsOptions}. */
export const METRICS_DEFAULTS = Object.freeze({ prefix: 'procvisor_' });

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Checks and resolves the options of `collectMetrics()`. */
export function resolveMetricsOptions(options: MetricsOptions | undefined): ResolvedMetricsOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError('options', options, `Expected the options of \`collectMetrics()\` to be an object, got \`${String(options)}\` (${typeof options})`);
  }
  const prefix = options?.prefix ?? METRICS_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw new InvalidArgumentError(
      'prefix',
      prefix,
      `Expected \`prefix\` to be '' or a string matching ${String(METRIC_NAME)}, got \`${String(prefix)}\` (${typeof prefix}) — Prometheus names take letters, digits, \`_\` and \`:\` only`,
    );
  }
  const registry = options?.registry ?? register;
  if (typeof registry !== 'object' || registry === null || typeof (registry as Partial<Registry>).registerMetric !== 'function') {
    throw new InvalidArgumentError('registry', registry, `Expected \`registry\` to be a prom-client Registry, got \`${String(registry)}\` (${typeof registry})`);
  }
  return Object.freeze({ registry, prefix });
}
