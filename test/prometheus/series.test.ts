/**
 * The per-entry metrics of `procvisor/prometheus` are objects of our own whose text path hands
 * prom-client's registry pre-rendered series names: their text must be byte for byte what plain
 * prom-client Gauges and Counters holding the same values give, names needing escaping included,
 * and the rest of the registry's contract (JSON, cluster aggregation, reset, merge, removal,
 * default labels, OpenMetrics) must keep working. Driven by a fake manager: no processes.
 */
import { AggregatorRegistry, Counter, Gauge, Registry, type Metric, type OpenMetricsContentType, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Snapshot, Usage } from '../../src/api/types.js';
import { collectMetrics, type MetricsSource } from '../../src/prometheus/index.js';
import { EntryMetric, EntryNames, escapeLabelValue } from '../../src/prometheus/series.js';
import type { ScrapeView } from '../../src/prometheus/view.js';
import { parseExposition, valueOf } from './exposition.js';

const STARTED = 1_700_000_000_123;
/** A name with every character the text format escapes in a label value. */
const ODD = 'a"b\\c\nd';

const usage = (extra: Partial<Usage> = {}): Usage => ({
  time: STARTED + 5000,
  cpu: 12.5,
  cpuTime: 1234,
  memory: 5_000_000,
  fds: 7,
  threads: 3,
  tree: { pids: 2, cpu: 25, memory: 9_000_000 },
  ...extra,
});

/** A sample without the Linux-only figures. */
const withoutCounts = ({ fds: _fds, threads: _threads, ...rest }: Usage): Usage => rest;

const snapshot = (name: string, extra: Partial<Snapshot> = {}): Snapshot => ({
  name,
  kind: 'process',
  state: 'running',
  parent: undefined,
  path: [name],
  depth: 0,
  startOrder: 0,
  pid: 4242,
  restarts: 0,
  startedAt: STARTED,
  lastExit: undefined,
  health: 'healthy',
  usage: usage(),
  ...extra,
});

const SNAPSHOTS: readonly Snapshot[] = [
  snapshot('web', { kind: 'supervisor', pid: undefined, startedAt: undefined, usage: undefined, health: 'unknown' }),
  snapshot('web#0', { parent: 'web', path: ['web', 'web#0'], depth: 1, restarts: 2, usage: withoutCounts(usage({ cpu: 0, cpuTime: 0.5 })) }),
  snapshot(ODD, { restarts: 1, health: 'critical' }),
  snapshot('idle-1', { state: 'backoff', pid: undefined, startedAt: undefined, health: 'failed' }),
  snapshot('no-sample', { usage: undefined }),
];

type Listener = (event: unknown) => void;

/** A manager of fixed snapshots whose events the test emits. */
function fakeManager(initial: readonly Snapshot[] = SNAPSHOTS) {
  const listeners = new Map<string, Set<Listener>>();
  let snapshots = initial;
  const source = {
    list: (): Snapshot[] => snapshots.map((s) => ({ ...s })),
    on(event: string, listener: Listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return source;
    },
    off(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
      return source;
    },
  };
  const emit = (event: string, payload: Record<string, unknown>): void => {
    for (const listener of listeners.get(event) ?? []) listener({ time: STARTED, path: [payload.name], ...payload });
  };
  return {
    source: source as unknown as MetricsSource,
    setSnapshots: (next: readonly Snapshot[]) => void (snapshots = next),
    emit,
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
}

/**
 * Metrics of a fake manager on `registry`, fed exits (a process's two classes, a supervisor's), a
 * failed start, a job, a readiness and a probe check.
 */
function collectBusy(registry: Registry) {
  const fake = fakeManager();
  const collector = collectMetrics(fake.source, { registry });
  fake.emit('exit', { name: ODD, class: 'abnormal' });
  fake.emit('exit', { name: ODD, class: 'abnormal' });
  fake.emit('exit', { name: ODD, class: 'normal' });
  fake.emit('exit', { name: 'web', class: 'shutdown' });
  fake.emit('exit', { name: 'web#0', class: 'abnormal' });
  fake.emit('start-failed', { name: 'idle-1' });
  fake.emit('job', { name: 'job-1', job: true, status: 'failed' });
  fake.emit('spawn', { name: 'web#0', pid: 1, restarts: 2 });
  fake.emit('ready', { name: 'web#0', time: STARTED + 30 });
  fake.emit('probe-checked', { name: 'web#0', pid: 1, role: 'liveness', type: 'http', ok: true, duration: 3 });
  return { fake, collector };
}

/**
 * The same metrics as plain prom-client objects: a Gauge or a Counter per per-entry metric holding
 * the values its `get()` returned (labels as objects), the histograms themselves, in the same order.
 */
async function plainCopy(registry: Registry<RegistryContentType>): Promise<Registry<RegistryContentType>> {
  const plain = new Registry<RegistryContentType>();
  plain.setContentType(registry.contentType);
  plain.setDefaultLabels((registry as unknown as { _defaultLabels: object })._defaultLabels);
  for (const listed of registry.getMetricsAsArray()) {
    const metric: unknown = listed;
    if (!(metric instanceof EntryMetric)) {
      // prom-client's own metrics (the histograms, jobs_total): the very objects.
      plain.registerMetric(metric as unknown as Metric);
      continue;
    }
    const json = await metric.get();
    const labelNames = [...metric.labelNames];
    const registers = [plain as Registry];
    if (json.type === 'counter') {
      const counter = new Counter({ name: json.name, help: json.help, labelNames, registers });
      for (const v of json.values) counter.inc(v.labels, v.value);
    } else {
      const gauge = new Gauge({ name: json.name, help: json.help, labelNames, registers });
      for (const v of json.values) gauge.set(v.labels, v.value);
    }
  }
  return plain;
}

describe('per-entry metrics', () => {
  it('escape label values as prom-client does', () => {
    expect(escapeLabelValue(ODD)).toBe('a\\"b\\\\c\\nd');
    expect(escapeLabelValue('idle-1')).toBe('idle-1');
  });

  it('write byte for byte what plain Gauges and Counters with the same values write', async () => {
    const registry = new Registry();
    collectBusy(registry);
    const text = await registry.metrics();
    expect(text).toBe(await (await plainCopy(registry)).metrics());
    // The name needing escaping, escaped, with each label where it belongs.
    expect(text).toContain('procvisor_up{name="a\\"b\\\\c\\nd"} 1\n');
    expect(text).toContain('procvisor_exits_total{name="a\\"b\\\\c\\nd",class="abnormal"} 2\n');
    expect(text).toContain('procvisor_state{name="a\\"b\\\\c\\nd",state="running"} 1\n');
    const m = parseExposition(text);
    expect(valueOf(m, 'procvisor_restarts_total', { name: ODD })).toBe(1);
    expect(valueOf(m, 'procvisor_health', { name: ODD, status: 'critical' })).toBe(1);
    expect(valueOf(m, 'procvisor_exits_total', { name: 'web', class: 'shutdown' })).toBe(1);
    expect(valueOf(m, 'procvisor_start_failures_total', { name: 'idle-1' })).toBe(1);
    expect(valueOf(m, 'procvisor_cpu_seconds_total', { name: 'web#0' })).toBe(0.0005);
    expect(valueOf(m, 'procvisor_tree_cpu_usage_ratio', { name: ODD })).toBe(0.25);
    expect(valueOf(m, 'procvisor_start_time_seconds', { name: 'web#0' })).toBe(STARTED / 1000);
    expect(valueOf(m, 'procvisor_open_fds', { name: 'web#0' })).toBeUndefined();
    expect(valueOf(m, 'procvisor_resident_memory_bytes', { name: 'no-sample' })).toBeUndefined();
    expect(m.has('procvisor_cpu_usage_ratio')).toBe(false);
  });

  it('give getMetricsAsJSON() labels as objects, and the cluster aggregator sums them', async () => {
    const registry = new Registry();
    collectBusy(registry);
    const json = await registry.getMetricsAsJSON();
    const up = json.find((metric) => metric.name === 'procvisor_up');
    expect(up).toMatchObject({ help: expect.any(String), type: 'gauge', aggregator: 'sum' });
    expect(up?.values).toContainEqual({ labels: { name: ODD }, value: 1 });
    expect(json.find((metric) => metric.name === 'procvisor_state')?.values).toContainEqual({ labels: { name: 'idle-1', state: 'backoff' }, value: 1 });
    const other = new Registry();
    collectBusy(other);
    const aggregated = parseExposition(await AggregatorRegistry.aggregate([json, await other.getMetricsAsJSON()]).metrics());
    expect(valueOf(aggregated, 'procvisor_restarts_total', { name: 'web#0' })).toBe(4);
    expect(valueOf(aggregated, 'procvisor_exits_total', { name: ODD, class: 'abnormal' })).toBe(4);
  });

  it('follow default labels and OpenMetrics as plain metrics do', async () => {
    const labelled = new Registry();
    labelled.setDefaultLabels({ host: 'h"1' });
    collectBusy(labelled);
    const text = await labelled.metrics();
    expect(text).toBe(await (await plainCopy(labelled)).metrics());
    expect(text).toContain('procvisor_up{name="web#0",host="h\\"1"} 1\n');
    labelled.setDefaultLabels({});
    expect(await labelled.metrics()).toBe(await (await plainCopy(labelled)).metrics());

    const open = new Registry<OpenMetricsContentType>();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    collectBusy(open as unknown as Registry);
    // Built before the first scrape: an OpenMetrics scrape renames counters, in either registry.
    const reference = await plainCopy(open);
    const openText = await open.metrics();
    expect(openText).toBe(await reference.metrics());
    expect(openText).toContain('procvisor_restarts_total{name="web#0"} 2\n');
    expect(openText).toContain('procvisor_up{name="web#0"} 1\n');
  });

  it('work through getSingleMetric, resetMetrics, merge and removal', async () => {
    const registry = new Registry();
    const { fake, collector } = collectBusy(registry);
    const perEntry = (text: string): string => text.split('\n\n').filter((family) => !/\n# TYPE \S+ histogram/.test(family)).join('\n\n');
    const before = await registry.metrics();
    // Ours read the manager at every scrape: nothing to reset (prom-client's histograms do reset).
    registry.resetMetrics();
    expect(perEntry(await registry.metrics())).toBe(perEntry(before));
    expect(await registry.getSingleMetricAsString('procvisor_up')).toContain('procvisor_up{name="idle-1"} 0');
    expect(Registry.merge([registry, new Registry()]).getSingleMetric('procvisor_up')).toBe(registry.getSingleMetric('procvisor_up'));

    // An entry gone: its series go, event counts included.
    fake.setSnapshots(SNAPSHOTS.filter((s) => s.name !== ODD));
    const after = await registry.metrics();
    expect(after).not.toContain('name="a\\"b');
    expect(after).toBe(await (await plainCopy(registry)).metrics());
    collector.stop();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(fake.listenerCount()).toBe(0);
  });

  it('cache rendered names only for the entries the scrape holds', () => {
    const names = new EntryNames();
    const view = (list: string[]): ScrapeView => ({ snapshots: [], names: new Set(list) });
    const first = view(['a', ODD]);
    names.sync(first);
    expect(names.of(ODD)).toEqual({ closed: '{name="a\\"b\\\\c\\nd"}', open: '{name="a\\"b\\\\c\\nd",' });
    expect(names.of(ODD)).toBe(names.of(ODD));
    names.of('a');
    expect(names.size).toBe(2);
    names.sync(first);
    expect(names.size).toBe(2);
    names.sync(view(['a']));
    expect(names.size).toBe(1);
  });
});
