/**
 * `procvisor/prometheus`: Prometheus metrics of a ProcessManager through prom-client.
 *
 * prom-client is an optional peer dependency of procvisor: only this entry imports it (with a
 * plain static import), so install it next to procvisor to use it (`npm i prom-client`).
 * @packageDocumentation
 */
export { collectMetrics, type MetricsCollector, type MetricsSource } from './collect.js';
export { METRICS_DEFAULTS, type MetricsOptions } from './options.js';
export { PROBE_BUCKETS, READINESS_BUCKETS } from './events.js';
