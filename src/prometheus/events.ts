/**
 * The metrics fed by events: exits by class, failed starts, jobs by status, the time from spawn
 * to ready, and how long probe checks take. Counts are kept here per entry; each scrape writes them
 * out and drops the entries no longer registered (removed, or temporary ones that ended), so their
 * series go.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventBase, ExitEvent, JobEvent, ProbeCheckedEvent, ReadyEvent, SpawnEvent, StartFailedEvent } from '../api/events.js';
import type { ProcvisorEvents } from '../api/events.js';
import type { ProcessManager } from '../manager.js';
import { JOB_STATUSES } from './enums.js';
import { registerEntryMetric, type EntryMetricSpec, type EntryNames } from './series.js';
import type { ScrapeView } from './view.js';

/** The manager's event subscription. */
export type EventSource = Pick<ProcessManager, 'on' | 'off'>;

/** Buckets of `readiness_seconds`, in seconds: 5 ms to 2 min. */
export const READINESS_BUCKETS = Object.freeze([0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120]);

/** Buckets of `probe_duration_seconds`, in seconds: 1 ms (a local TCP connect) to 10 s (a slow exec probe). */
export const PROBE_BUCKETS = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** Drops from `map` every key not registered in `view`. */
function prune<V>(map: Map<string, V>, view: ScrapeView): void {
  for (const name of map.keys()) if (!view.names.has(name)) map.delete(name);
}

/** An event about a supervised entry (events about jobs carry `job: true`). */
const supervised = (event: EventBase): boolean => event.job !== true;

/**
 * Registers the event-fed metrics, adding each name to `names` once registered, and subscribes to
 * `pm`; returns the unsubscribe.
 */
export function registerEventMetrics(
  pm: EventSource,
  registry: Registry,
  prefix: string,
  view: () => ScrapeView,
  entryNames: EntryNames,
  names: string[],
): () => void {
  const exitCounts = new Map<string, Map<string, number>>();
  const failedStarts = new Map<string, number>();
  const jobCounts = new Map<string, number>(JOB_STATUSES.map((status) => [status, 0]));
  /** Spawn time (ms) of the incarnation not ready yet, per entry. */
  const spawnedAt = new Map<string, number>();

  const exits: EntryMetricSpec = {
    name: `${prefix}exits_total`,
    help: 'Incarnations that ended by themselves, by exit class (normal, shutdown, abnormal: see https://github.com/procvisor/procvisor/blob/main/docs/semantics.md#exit-classes).',
    type: 'counter',
    second: 'class',
    read(current, add) {
      prune(exitCounts, current);
      if (exitCounts.size === 0) return;
      const written = new Set<string>();
      for (const s of current.snapshots) {
        const counts = s.kind === 'process' ? exitCounts.get(s.name) : undefined;
        if (!counts) continue;
        written.add(s.name);
        // Only the classes it has had: a zero series per class and process would triple the scrape.
        for (const [cls, n] of counts) add(s.name, n, cls);
      }
      // A supervisor has series only once it has exited (a nested supervisor's fault).
      for (const [name, counts] of exitCounts) {
        if (!written.has(name)) for (const [cls, n] of counts) add(name, n, cls);
      }
    },
  };
  registerEntryMetric(registry, exits, view, entryNames, names);
  const startFailures: EntryMetricSpec = {
    name: `${prefix}start_failures_total`,
    help: 'Start attempts that failed: spawn error, exit while starting, or not ready in time.',
    type: 'counter',
    read(current, add) {
      prune(failedStarts, current);
      if (failedStarts.size === 0) return;
      // Only processes that have had one, as exits by class: a zero per process is a tenth of a scrape.
      for (const s of current.snapshots) {
        const failures = s.kind === 'process' ? failedStarts.get(s.name) : undefined;
        if (failures !== undefined) add(s.name, failures);
      }
    },
  };
  registerEntryMetric(registry, startFailures, view, entryNames, names);
  const jobs: Counter<'status'> = new Counter({
    name: `${prefix}jobs_total`,
    help: 'Jobs run by pm.run() (and pm.runAll()) that finished, by status.',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      jobs.reset();
      for (const [status, n] of jobCounts) jobs.inc({ status }, n);
    },
  });
  names.push(`${prefix}jobs_total`);
  // Over every process of the manager, without a `name` label: per process, its 11 series
  // (buckets, sum, count) would be most of a scrape's cost; which process is slow to get ready
  // is told by its own events and `start_time_seconds`.
  const readiness: Histogram = new Histogram({
    name: `${prefix}readiness_seconds`,
    help: 'Time from the spawn of an incarnation to its readiness (its readiness probe passed, or at once without one), in seconds, over every process.',
    buckets: [...READINESS_BUCKETS],
    registers: [registry],
    collect() {
      prune(spawnedAt, view());
    },
  });

  names.push(`${prefix}readiness_seconds`);
  // Over every process too, for the same reason: labels say which kind of check, not whose.
  const probes: Histogram<'role' | 'type' | 'result'> = new Histogram({
    name: `${prefix}probe_duration_seconds`,
    help: 'Time each check of a polled probe took (readiness while starting, liveness while running), in seconds, over every process, by role, probe type and result (pass or fail).',
    labelNames: ['role', 'type', 'result'],
    buckets: [...PROBE_BUCKETS],
    registers: [registry],
  });
  names.push(`${prefix}probe_duration_seconds`);

  const listeners: { [E in 'exit' | 'start-failed' | 'job' | 'spawn' | 'ready' | 'probe-checked']: ProcvisorEvents[E] } = {
    exit: (e: ExitEvent) => {
      if (!supervised(e)) return;
      spawnedAt.delete(e.name);
      let counts = exitCounts.get(e.name);
      if (!counts) exitCounts.set(e.name, (counts = new Map()));
      counts.set(e.class, (counts.get(e.class) ?? 0) + 1);
    },
    'start-failed': (e: StartFailedEvent) => {
      if (!supervised(e)) return;
      spawnedAt.delete(e.name);
      failedStarts.set(e.name, (failedStarts.get(e.name) ?? 0) + 1);
    },
    job: (e: JobEvent) => {
      jobCounts.set(e.status, (jobCounts.get(e.status) ?? 0) + 1);
    },
    spawn: (e: SpawnEvent) => {
      if (supervised(e)) spawnedAt.set(e.name, e.time);
    },
    ready: (e: ReadyEvent) => {
      const since = spawnedAt.get(e.name);
      if (!supervised(e) || since === undefined) return;
      spawnedAt.delete(e.name);
      readiness.observe(Math.max(0, e.time - since) / 1000);
    },
    'probe-checked': (e: ProbeCheckedEvent) => {
      if (supervised(e)) probes.observe({ role: e.role, type: e.type, result: e.ok ? 'pass' : 'fail' }, e.duration / 1000);
    },
  };
  for (const [event, listener] of Object.entries(listeners)) pm.on(event as 'exit', listener as ProcvisorEvents['exit']);
  const detach = (): void => {
    for (const [event, listener] of Object.entries(listeners)) pm.off(event as 'exit', listener as ProcvisorEvents['exit']);
  };
  return detach;
}
