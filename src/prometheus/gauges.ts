/**
 * The metrics read at scrape time from `pm.list()`: one `collect()` per metric resets it and writes
 * a value for each entry registered now, so a removed entry has no series from the next scrape on.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Snapshot, Usage } from '../api/types.js';
import type { ScrapeView } from './view.js';

/** A per-entry figure: its value for one snapshot, or undefined for no series. */
interface EntryGauge {
  readonly name: string;
  readonly help: string;
  readonly value: (s: Snapshot) => number | undefined;
}

/** The last sample of the current incarnation; a sample left from an earlier one is not shown. */
function currentUsage(s: Snapshot): Usage | undefined {
  const { usage, pid, startedAt } = s;
  return usage && pid !== undefined && startedAt !== undefined && usage.time >= startedAt ? usage : undefined;
}

const ENTRY_GAUGES: readonly EntryGauge[] = [
  { name: 'up', help: 'Whether the process or supervisor is running (1) or not (0).', value: (s) => (s.state === 'running' ? 1 : 0) },
  {
    name: 'start_time_seconds',
    help: 'Start time of the current incarnation, in seconds since the Unix epoch; absent when none runs.',
    value: (s) => (s.pid !== undefined && s.startedAt !== undefined ? s.startedAt / 1000 : undefined),
  },
  {
    name: 'resident_memory_bytes',
    help: 'Resident set size (RSS) of the process, in bytes, at the last resource sample (needs sampling).',
    value: (s) => currentUsage(s)?.memory,
  },
  {
    name: 'cpu_usage_ratio',
    help: 'CPU used by the process over the last sampling interval, in cores (1 = one core busy all the time; needs sampling).',
    value: (s) => {
      const usage = currentUsage(s);
      return usage === undefined ? undefined : usage.cpu / 100;
    },
  },
  { name: 'open_fds', help: 'Open file descriptors of the process at the last resource sample (Linux, needs sampling).', value: (s) => currentUsage(s)?.fds },
  { name: 'threads', help: 'Threads of the process at the last resource sample (Linux, needs sampling).', value: (s) => currentUsage(s)?.threads },
  {
    name: 'tree_resident_memory_bytes',
    help: 'Resident set size summed over the process and all its descendants, in bytes (needs sampling).',
    value: (s) => currentUsage(s)?.tree.memory,
  },
  {
    name: 'tree_cpu_usage_ratio',
    help: 'CPU used by the process and all its descendants over the last sampling interval, in cores (needs sampling).',
    value: (s) => {
      const usage = currentUsage(s);
      return usage === undefined ? undefined : usage.tree.cpu / 100;
    },
  },
  { name: 'tree_processes', help: 'Processes in the tree of the process, itself included, at the last resource sample (needs sampling).', value: (s) => currentUsage(s)?.tree.pids },
];

/** Registers the scrape-time metrics, adding each name to `names` once registered. */
export function registerGauges(registry: Registry, prefix: string, view: () => ScrapeView, names: string[]): void {
  for (const def of ENTRY_GAUGES) {
    const gauge: Gauge<'name'> = new Gauge({
      name: prefix + def.name,
      help: def.help,
      labelNames: ['name'],
      registers: [registry],
      collect() {
        gauge.reset();
        for (const s of view().snapshots) {
          const value = def.value(s);
          if (value !== undefined) gauge.set({ name: s.name }, value);
        }
      },
    });
    names.push(prefix + def.name);
  }

  const state: Gauge<'name' | 'state'> = new Gauge({
    name: `${prefix}state`,
    help: 'Current state of the process or supervisor: one series, the state as its label, value 1.',
    labelNames: ['name', 'state'],
    registers: [registry],
    collect() {
      state.reset();
      for (const s of view().snapshots) {
        // One series per entry, not one per possible state: a scrape of 500 processes formats
        // every series (about 2 µs each in prom-client), and the zeros cost 7 of 8 of them.
        state.set({ name: s.name, state: s.state }, 1);
      }
    },
  });
  names.push(`${prefix}state`);
  const health: Gauge<'name' | 'status'> = new Gauge({
    name: `${prefix}health`,
    help: 'Current health of the process or supervisor: one series, the status as its label, value 1.',
    labelNames: ['name', 'status'],
    registers: [registry],
    collect() {
      health.reset();
      for (const s of view().snapshots) {
        health.set({ name: s.name, status: s.health }, 1);
      }
    },
  });
  names.push(`${prefix}health`);
  const restarts: Counter<'name'> = new Counter({
    name: `${prefix}restarts_total`,
    help: 'Restarts of the process or supervisor decided by its restart policy or its supervisor since it was added.',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      restarts.reset();
      for (const s of view().snapshots) restarts.inc({ name: s.name }, s.restarts);
    },
  });
  names.push(`${prefix}restarts_total`);
  const cpu: Counter<'name'> = new Counter({
    name: `${prefix}cpu_seconds_total`,
    help: 'CPU time (user + system) the current incarnation of the process has used, in seconds, at the last resource sample (needs sampling; starts again at a restart, as a counter does when its process restarts).',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      cpu.reset();
      for (const s of view().snapshots) {
        const ms = currentUsage(s)?.cpuTime;
        if (ms !== undefined) cpu.inc({ name: s.name }, ms / 1000);
      }
    },
  });
  names.push(`${prefix}cpu_seconds_total`);
}
