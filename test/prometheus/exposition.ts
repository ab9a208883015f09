/**
 * A strict reader of the Prometheus text format (0.0.4) for the tests: every line is a HELP, a TYPE
 * or a sample; HELP and TYPE come once per family, before its samples; names and label names are
 * valid; counters end in `_total`; no `pid` label. Throws naming the line at the first violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`${where}: malformed labels \`${text}\``);
    const [all, key, raw] = m as unknown as [string, string, string];
    if (!LABEL_NAME.test(key) || key.startsWith('__')) throw new Error(`${where}: bad label name ${key}`);
    if (key in labels) throw new Error(`${where}: duplicate label ${key}`);
    labels[key] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${text}`);
  return Number(text);
}

/** The family a sample name belongs to (histogram series end in `_bucket`, `_sum`, `_count`). */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sample);
  const base = m ? families.get(m[1] as string) : undefined;
  return base && (base.type === 'histogram' || base.type === 'summary') ? base : undefined;
}

/** Parses a whole exposition; throws at the first violation. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | undefined;
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1} \`${line}\``;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      const [, name = '', ...help] = line.slice(2).split(' ');
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (families.has(name)) throw new Error(`${where}: second HELP for ${name}`);
      if (help.join(' ').trim() === '') throw new Error(`${where}: empty HELP`);
      current = { name, help: help.join(' '), type: 'untyped', samples: [] };
      families.set(name, current);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [, name = '', type = ''] = line.slice(2).split(' ');
      if (current?.name !== name || current.samples.length > 0) throw new Error(`${where}: TYPE not right after its HELP`);
      if (!TYPES.has(type)) throw new Error(`${where}: unknown type`);
      current.type = type as Family['type'];
      if (type === 'counter' && !name.endsWith('_total')) throw new Error(`${where}: counter not ending in _total`);
      return;
    }
    if (line.startsWith('#')) throw new Error(`${where}: unexpected comment`);
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${where}: not a sample line`);
    const [, name = '', labelText = '', valueText = ''] = m;
    const family = familyOf(name, families);
    if (!family || family !== current) throw new Error(`${where}: sample before or outside its HELP/TYPE`);
    const labels = parseLabels(labelText, where);
    if ('pid' in labels) throw new Error(`${where}: pid label`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series`);
    seen.add(key);
    family.samples.push({ name, labels, value: parseValue(valueText, where) });
  });
  return families;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches: Sample[] = [];
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) matches.push(s);
    }
  }
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}

/** Every label value of `label` in any series. */
export function labelValues(families: Map<string, Family>, label: string): Set<string> {
  const values = new Set<string>();
  for (const family of families.values()) for (const s of family.samples) if (s.labels[label] !== undefined) values.add(s.labels[label]);
  return values;
}
