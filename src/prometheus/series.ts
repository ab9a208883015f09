/**
 * Per-entry metrics of our own, in place of prom-client's Gauge and Counter, registered with
 * `registry.registerMetric()`. They are read at scrape time and keep no state: each read walks the
 * scrape's view and writes one value per series.
 *
 * prom-client's registry formats a value as `${metricName ?? name}${labels} ${value}`, the labels
 * escaped and joined for every value of every scrape: for hundreds of processes that is most of a
 * scrape's cost. So the text path (`getForPromString()`, which the registry prefers to `get()` when
 * a metric has one) hands it each series' name with its label set already rendered, from fragments
 * cached per entry name, and empty labels: the registry then only joins strings, and the text is
 * byte for byte what a plain Gauge or Counter holding the same values gives. `get()` — used by
 * `getMetricsAsJSON()` and so by the cluster `AggregatorRegistry` — returns the usual shape, labels as
 * objects. Where the registry would add to the labels (default labels set) or rename the series (a
 * counter under OpenMetrics, whose name it strips of `_total`), the text path falls back to that
 * usual shape too, and prom-client formats it as it would a Gauge's.
 */
import { Registry, type Metric } from 'prom-client';
import type { ScrapeView } from './view.js';

/** A label value escaped as the text format wants it (and as prom-client does): `\`, newline, `"`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The `name` label of one entry, rendered. */
interface RenderedName {
  /** `{name="…"}`: the whole label set of a one-label series. */
  readonly closed: string;
  /** `{name="…",`: the start of a two-label series' label set. */
  readonly open: string;
}

/**
 * The rendered `name` label of each entry of one collector. Every metric of a scrape reads names
 * that its view holds, so the names the view no longer holds (entries removed) are dropped once per
 * scrape, on the first read of a new view.
 */
export class EntryNames {
  readonly #rendered = new Map<string, RenderedName>();
  /** The views already synced (weakly: a scrape's snapshots are not kept until the next one). */
  readonly #synced = new WeakSet<ScrapeView>();

  /** Drops the names `view` does not hold, once per view. */
  sync(view: ScrapeView): void {
    if (this.#synced.has(view)) return;
    this.#synced.add(view);
    for (const name of this.#rendered.keys()) if (!view.names.has(name)) this.#rendered.delete(name);
  }

  /** The rendered label of `name`. */
  of(name: string): RenderedName {
    let rendered = this.#rendered.get(name);
    if (rendered === undefined) {
      const label = `name="${escapeLabelValue(name)}"`;
      rendered = { closed: `{${label}}`, open: `{${label},` };
      this.#rendered.set(name, rendered);
    }
    return rendered;
  }

  /** How many names are cached (for the tests). */
  get size(): number {
    return this.#rendered.size;
  }
}

/** Writes one series: its entry's name, its value, and the value of its second label when the metric has one. */
export type AddSeries = (entry: string, value: number, second?: string) => void;

/** What one per-entry metric is. */
export interface EntryMetricSpec {
  /** Full name, prefix included. */
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  /** The label after `name`, for a metric with two (`state`, `status`, `class`). */
  readonly second?: string;
  /** Writes every series of one scrape. */
  readonly read: (view: ScrapeView, add: AddSeries) => void;
}

/** A value in prom-client's shape; the text path adds the pre-rendered name and empty labels. */
interface SeriesValue {
  value: number;
  labels: Readonly<Record<string, string>>;
  metricName?: string;
  sharedLabels?: Readonly<Record<string, string>>;
}

/** What `get()` and `getForPromString()` return: prom-client's metric object shape. */
export interface SeriesResult {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  values: SeriesValue[];
  aggregator: 'sum';
}

/**
 * Empty labels for the text path, one object: the registry looks its `sharedLabels` up in a
 * WeakMap of rendered label sets, which a fresh `{}` per value would miss every time.
 */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Default labels of `registry`, when they can be read and are none. */
function hasNoDefaultLabels(registry: Registry): boolean {
  // prom-client keeps them in `_defaultLabels` and offers no getter: unreadable counts as some.
  const defaults = (registry as unknown as { _defaultLabels?: unknown })._defaultLabels;
  if (typeof defaults !== 'object' || defaults === null) return false;
  for (const _ in defaults) return false;
  return true;
}

/**
 * Registers a per-entry metric with `registry` (prom-client's "already been registered" error when
 * its name is taken), reading `view()` at each scrape, its rendered names cached in `names`; its
 * metric name is added to `registered` (what the collector unregisters when stopped).
 */
export function registerEntryMetric(registry: Registry, spec: EntryMetricSpec, view: () => ScrapeView, names: EntryNames, registered: string[]): EntryMetric {
  const metric = new EntryMetric(registry, spec, view, names);
  registered.push(spec.name);
  return metric;
}

/**
 * One per-entry gauge or counter, registered with `registry` on construction (prom-client's
 * "already been registered" error when the name is taken). It has what a registry asks of a metric:
 * `name`, `help`, `type`, `aggregator`, `get()`, `reset()`, and `getForPromString()`.
 */
export class EntryMetric {
  /** The name; prom-client's registry rewrites a counter's under OpenMetrics, as it does its own. */
  name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum' as const;
  readonly #spec: EntryMetricSpec;
  readonly #registry: Registry;
  readonly #view: () => ScrapeView;
  readonly #names: EntryNames;
  /** `second="value"}` by value of the second label (closed enums: a few strings). */
  readonly #seconds = new Map<string, string>();

  constructor(registry: Registry, spec: EntryMetricSpec, view: () => ScrapeView, names: EntryNames) {
    this.name = spec.name;
    this.help = spec.help;
    this.type = spec.type;
    this.labelNames = Object.freeze(spec.second === undefined ? ['name'] : ['name', spec.second]);
    this.#spec = spec;
    this.#registry = registry;
    this.#view = view;
    this.#names = names;
    registry.registerMetric(this as unknown as Metric);
  }

  /** The values with their labels as objects, as prom-client's Gauge and Counter give them. */
  get(): Promise<SeriesResult> {
    return Promise.resolve(this.#labelled());
  }

  /** The values for the text format: each series' name with its labels already rendered. */
  getForPromString(): Promise<SeriesResult> {
    return Promise.resolve(this.#prerendered() ? this.#rendered() : this.#labelled());
  }

  /** Nothing to reset: every value is read from the manager at each scrape. */
  reset(): void {}

  #result(values: SeriesValue[]): SeriesResult {
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Whether the registry would write the series as they are: no default labels, the name unchanged. */
  #prerendered(): boolean {
    return this.name === this.#spec.name && this.#registry.contentType === Registry.PROMETHEUS_CONTENT_TYPE && hasNoDefaultLabels(this.#registry);
  }

  #labelled(): SeriesResult {
    const values: SeriesValue[] = [];
    const second = this.#spec.second;
    this.#spec.read(this.#view(), (entry, value, other) => {
      values.push({ value, labels: second === undefined || other === undefined ? { name: entry } : { name: entry, [second]: other } });
    });
    return this.#result(values);
  }

  #rendered(): SeriesResult {
    const values: SeriesValue[] = [];
    const view = this.#view();
    const names = this.#names;
    names.sync(view);
    const name = this.name;
    const second = this.#spec.second;
    this.#spec.read(view, (entry, value, other) => {
      const label = names.of(entry);
      const metricName = second === undefined || other === undefined ? name + label.closed : name + label.open + this.#secondLabel(second, other);
      values.push({ value, labels: NO_LABELS, sharedLabels: NO_LABELS, metricName });
    });
    return this.#result(values);
  }

  #secondLabel(label: string, value: string): string {
    let rendered = this.#seconds.get(value);
    if (rendered === undefined) {
      rendered = `${label}="${escapeLabelValue(value)}"}`;
      this.#seconds.set(value, rendered);
    }
    return rendered;
  }
}
