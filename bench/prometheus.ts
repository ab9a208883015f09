/**
 * Scrape cost of `procvisor/prometheus`: the host CPU (process.cpuUsage, every thread) of one
 * `registry.metrics()` with 500 supervised idle processes, sampling on, median of the runs — goal
 * under 5 ms. Baseline, measured in the same run and interleaved with it: `pm.list()` alone, the
 * read every scrape of a manager's state must pay (snapshots of every entry with its last sample);
 * what the figure adds over it is the exporter's own work (series building and prom-client's text
 * formatting). A second figure puts the scrape beside prom-client's floor: one plain Gauge holding
 * as many series (same label shapes, values set beforehand, no collect), formatted by the same
 * `registry.metrics()` — what any exporter built on prom-client's Gauge and Counter pays for that
 * many series. procvisor's per-entry metrics hand the registry series names with their labels
 * already rendered (src/prometheus/series.ts), so the scrape can go below that floor; a note gives
 * the registry's own per-line loop over the same lines pre-rendered (a minimal metric object
 * returning them, nothing to render): what is left when labels cost nothing. For scale, a note gives
 * prom-client's default process metrics on a registry of their own.
 *
 * Standalone: `npx tsx bench/prometheus.ts`.
 */
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client';
import { ProcessManager } from '../src/index.js';
import { collectMetrics } from '../src/prometheus/index.js';
import { formatFigure, interleaved, type BenchFigure, type Cost } from './lib.js';

const PROCESSES = 500;
const RUNS = 51;
const WARM_UP_RUNS = 5;


/** No labels: one object, as the registry caches the rendering of `sharedLabels` by identity. */
const NO_LABELS = Object.freeze({});

/**
 * A minimal registry metric whose text values are `lines` as they are (name and labels in
 * `metricName`), fresh value objects per scrape as a real metric makes them.
 */
function linesMetric(lines: readonly string[]): object {
  const parsed = lines.map((line) => {
    const at = line.lastIndexOf(' ');
    return { metricName: line.slice(0, at), value: Number(line.slice(at + 1)) || 0 };
  });
  const result = (values: object[]): object => ({ name: 'lines', help: 'lines', type: 'gauge', aggregator: 'sum', values });
  return {
    name: 'lines',
    help: 'lines',
    type: 'gauge',
    aggregator: 'sum',
    get: () => Promise.resolve(result(parsed.map(({ value }) => ({ value, labels: {} })))),
    getForPromString: () => Promise.resolve(result(parsed.map(({ metricName, value }) => ({ metricName, value, labels: NO_LABELS, sharedLabels: NO_LABELS })))),
    reset: () => {},
  };
}


/** Runs the scrape bench and returns its figure. */
export async function run(): Promise<BenchFigure[]> {
  const pm = new ProcessManager({ sampling: { interval: '1s' }, shutdown: 'kill' });
  try {
    await Promise.all(Array.from({ length: PROCESSES }, (_, i) => pm.start({ name: `idle-${i}`, command: 'sleep', args: ['600'] })));
    // Every process has a sample, so every usage series is there.
    const deadline = Date.now() + 30_000;
    while (!pm.list().every((s) => s.usage !== undefined)) {
      if (Date.now() > deadline) throw new Error('no resource sample of every process within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const registry = new Registry();
    collectMetrics(pm, { registry });
    const defaults = new Registry();
    collectDefaultMetrics({ register: defaults });
    const text = await registry.metrics();
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const series = lines.length;
    // prom-client's floor: the same series, label shapes and values in one plain gauge, set once.
    const floor = new Registry();
    const plain = new Gauge({ name: 'floor', help: 'floor', labelNames: ['name', 'kind'], registers: [floor] });
    lines.forEach((line, i) => plain.set({ name: `idle-${i % PROCESSES}`, kind: String(i) }, Number(line.slice(line.lastIndexOf(' ') + 1)) || 0));
    // The registry's per-line loop alone: the same lines, their names and labels rendered already.
    const prerendered = new Registry();
    prerendered.registerMetric(linesMetric(lines) as unknown as Metric);
    const t = await interleaved({
      scrape: () => registry.metrics(),
      list: () => pm.list(),
      floor: () => floor.metrics(),
      lines: () => prerendered.metrics(),
      defaults: () => defaults.metrics(),
    }, RUNS, WARM_UP_RUNS);
    const cost = (name: string): Cost => t[name] ?? { cpu: Number.NaN, wall: Number.NaN };
    return [
      {
        name: `one scrape, ${PROCESSES} supervised idle processes, sampling on (host CPU)`,
        unit: 'ms',
        value: cost('scrape').cpu,
        baseline: cost('list').cpu,
        baselineName: 'pm.list() alone',
        goal: { max: 5 },
        notes: [
          `${series} series, ${(text.length / 1024).toFixed(0)} KiB of text; wall ${cost('scrape').wall.toFixed(2)} ms (pm.list() ${cost('list').wall.toFixed(2)} ms)`,
          `the exporter's own share (scrape minus pm.list()): ${(cost('scrape').cpu - cost('list').cpu).toFixed(2)} ms`,
          `for scale: prom-client's default process metrics, own registry: ${cost('defaults').cpu.toFixed(2)} ms`,
          `median of ${RUNS} runs after ${WARM_UP_RUNS} warm-up runs, interleaved`,
        ],
      },
      {
        name: `one scrape, ${PROCESSES} processes, ${series} series (host CPU)`,
        unit: 'ms',
        value: cost('scrape').cpu,
        baseline: cost('floor').cpu + cost('list').cpu,
        baselineName: "prom-client's floor (a plain Gauge with as many series, formatted) + pm.list()",
        notes: [
          `prom-client formatting alone: ${cost('floor').cpu.toFixed(2)} ms, ${((cost('floor').cpu / series) * 1000).toFixed(2)} µs per series; the whole scrape: ${((cost('scrape').cpu / series) * 1000).toFixed(2)} µs per series, ${((cost('scrape').cpu / PROCESSES) * 1000).toFixed(0)} µs per process`,
          `prom-client's per-line loop over the same lines pre-rendered: ${cost('lines').cpu.toFixed(2)} ms, ${((cost('lines').cpu / series) * 1000).toFixed(2)} µs per series`,
        ],
      },
    ];
  } finally {
    await pm.shutdown();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
