/**
 * The metrics read at scrape time from `pm.list()`: each scrape writes a value for each entry
 * registered now, so a removed entry has no series from the next scrape on.
 */
import type { Registry } from 'prom-client';
import type { Snapshot, Usage } from '../api/types.js';
import { registerEntryMetric, type EntryMetric, type EntryMetricSpec, type EntryNames } from './series.js';
import type { ScrapeView } from './view.js';

/** A per-entry figure: its value for one snapshot, or undefined for no series. */
interface EntryFigure {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly value: (s: Snapshot) => number | undefined;
}

/** The last sample of the current incarnation; a sample left from an earlier one is not shown. */
function currentUsage(s: Snapshot): Usage | undefined {
  const { usage, pid, startedAt } = s;
  return usage && pid !== undefined && startedAt !== undefined && usage.time >= startedAt ? usage : undefined;
}

// No `cpu_usage_ratio`: `rate(cpu_seconds_total[…])` gives it, over the query's window rather than
// the last sampling interval. The tree has no CPU-time counter in `Usage`, so its ratio stays.
const BEFORE_STATE: readonly EntryFigure[] = [
  { name: 'up', type: 'gauge', help: 'Whether the process or supervisor is running (1) or not (0).', value: (s) => (s.state === 'running' ? 1 : 0) },
  {
    name: 'start_time_seconds',
    type: 'gauge',
    help: 'Start time of the current incarnation, in seconds since the Unix epoch; absent when none runs.',
    value: (s) => (s.pid !== undefined && s.startedAt !== undefined ? s.startedAt / 1000 : undefined),
  },
  {
    name: 'resident_memory_bytes',
    type: 'gauge',
    help: 'Resident set size (RSS) of the process, in bytes, at the last resource sample (needs sampling).',
    value: (s) => currentUsage(s)?.memory,
  },
  { name: 'open_fds', type: 'gauge', help: 'Open file descriptors of the process at the last resource sample (Linux, needs sampling).', value: (s) => currentUsage(s)?.fds },
  { name: 'threads', type: 'gauge', help: 'Threads of the process at the last resource sample (Linux, needs sampling).', value: (s) => currentUsage(s)?.threads },
  {
    name: 'tree_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident set size summed over the process and all its descendants, in bytes (needs sampling).',
    value: (s) => currentUsage(s)?.tree.memory,
  },
  {
    name: 'tree_cpu_usage_ratio',
    type: 'gauge',
    help: 'CPU used by the process and all its descendants over the last sampling interval, in cores (needs sampling).',
    value: (s) => {
      const usage = currentUsage(s);
      return usage === undefined ? undefined : usage.tree.cpu / 100;
    },
  },
  { name: 'tree_processes', type: 'gauge', help: 'Processes in the tree of the process, itself included, at the last resource sample (needs sampling).', value: (s) => currentUsage(s)?.tree.pids },
];

const AFTER_STATE: readonly EntryFigure[] = [
  {
    name: 'restarts_total',
    type: 'counter',
    help: 'Restarts of the process or supervisor decided by its restart policy or its supervisor since it was added.',
    value: (s) => s.restarts,
  },
  {
    name: 'cpu_seconds_total',
    type: 'counter',
    help: 'CPU time (user + system) the current incarnation of the process has used, in seconds, at the last resource sample (needs sampling; starts again at a restart, as a counter does when its process restarts).',
    value: (s) => {
      const ms = currentUsage(s)?.cpuTime;
      return ms === undefined ? undefined : ms / 1000;
    },
  },
];

/** The spec of a one-value-per-entry metric. */
function figure(prefix: string, def: EntryFigure): EntryMetricSpec {
  const { value } = def;
  return {
    name: prefix + def.name,
    help: def.help,
    type: def.type,
    read(view, add) {
      for (const s of view.snapshots) {
        const v = value(s);
        if (v !== undefined) add(s.name, v);
      }
    },
  };
}

/** Registers the scrape-time metrics, adding each name to `names` once registered. */
export function registerGauges(registry: Registry, prefix: string, view: () => ScrapeView, entryNames: EntryNames, names: string[]): void {
  const register = (spec: EntryMetricSpec): EntryMetric => registerEntryMetric(registry, spec, view, entryNames, names);
  for (const def of BEFORE_STATE) register(figure(prefix, def));
  register({
    name: `${prefix}state`,
    help: 'Current state of the process or supervisor: one series, the state as its label, value 1.',
    type: 'gauge',
    second: 'state',
    read(current, add) {
      // One series per entry, not one per possible state: the zeros would be 7 of 8 series.
      for (const s of current.snapshots) add(s.name, 1, s.state);
    },
  });
  register({
    name: `${prefix}health`,
    help: 'Current health of the process or supervisor: one series, the status as its label, value 1.',
    type: 'gauge',
    second: 'status',
    read(current, add) {
      for (const s of current.snapshots) add(s.name, 1, s.health);
    },
  });
  for (const def of AFTER_STATE) register(figure(prefix, def));
}
