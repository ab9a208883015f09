/**
 * Validation of a whole config, reporting every problem rather than the first: the library's
 * resolvers stop at the first problem of one spec, so each process spec is resolved on its own
 * (with the field path `processes[i]` in front), then the names are compared across specs, and the
 * manager options are resolved once. Nothing here spawns or starts anything.
 */
import { resolve } from 'node:path';
import type { ChildSpec, ManagerOptions } from '../../api/types.js';
import { isSupervisorSpec, resolveChildSpec, resolveManagerOptions } from '../../spec/resolve.js';
import type { ResolvedChildSpec } from '../../spec/resolved.js';
import { suggest } from '../../spec/suggest.js';
import { isPlainObject } from '../../spec/validate.js';
import type { ConfigIssue } from './issues.js';
import type { SettingKey, Settings } from './merge.js';

/** The keys a config object may have. */
const CONFIG_KEYS = ['processes', 'manager', '$schema'];

/** The top level of a config: its two parts, not yet validated, and what is wrong with its shape. */
export interface ConfigShape {
  readonly processes: readonly unknown[];
  readonly manager: unknown;
  readonly issues: ConfigIssue[];
}


/** Reads `{ processes, manager? }` off a loaded config. */
export function readShape(config: unknown): ConfigShape {
  const issues: ConfigIssue[] = [];
  if (!isPlainObject(config)) {
    issues.push({ path: '', message: `expected the config to be an object \`{ processes: [...], manager?: {...} }\` (the default export of a module, or a JSON object), got ${describe(config)}` });
    return { processes: [], manager: undefined, issues };
  }
  for (const key of Object.keys(config)) {
    if (CONFIG_KEYS.includes(key)) continue;
    const near = suggest(key, ['processes', 'manager'], config.processes === undefined ? ['processes'] : []);
    issues.push({ path: key, message: `unknown key; a config has \`processes\` and \`manager\`${near === undefined ? '' : ` — did you mean \`${near}\`?`}` });
  }
  const { processes, manager } = config;
  if (!Array.isArray(processes)) {
    issues.push({ path: 'processes', message: `expected an array of process and supervisor specs, got ${describe(processes)}` });
    return { processes: [], manager, issues };
  }
  if (processes.length === 0) issues.push({ path: 'processes', message: 'expected at least one process: there is nothing to run' });
  if (manager !== undefined && !isPlainObject(manager)) issues.push({ path: 'manager', message: `expected an object of manager options, got ${describe(manager)}` });
  return { processes, manager, issues };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return '`null`';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `\`${String(value)}\` (${typeof value})`;
}

/**
 * Gives every process spec a working directory relative to the config file's directory: a spec
 * without `cwd` runs there, a relative `cwd` is resolved from there. The specs are copied, never
 * changed; anything malformed is left for validation to report.
 */
export function withBaseDir(spec: unknown, dir: string): unknown {
  if (!isPlainObject(spec)) return spec;
  if (isSupervisorSpec(spec)) {
    return Array.isArray(spec.children) ? { ...spec, children: spec.children.map((child: unknown) => withBaseDir(child, dir)) } : spec;
  }
  if (spec.cwd === undefined) return { ...spec, cwd: dir };
  return typeof spec.cwd === 'string' ? { ...spec, cwd: resolve(dir, spec.cwd) } : spec;
}

/** What validation found: the specs to start (when there is no issue) and every issue. */
export interface Validated {
  readonly specs: ChildSpec[];
  readonly manager: ManagerOptions;
  /** Every name the specs register, in start order (supervisors and their children included). */
  readonly names: string[];
  /** The names of the processes that write output, in start order: replicas (`web#0`, …) included. */
  readonly processNames: string[];
  readonly issues: ConfigIssue[];
}

/** Which setting a manager option's field path belongs to, for naming where a bad value came from. */
const SETTING_OF: Readonly<Record<string, SettingKey>> = { restart: 'restart', startTimeout: 'startTimeout', shutdown: 'shutdownTimeout', sampling: 'sampling' };

/** A field path of a validation error, with the prefix the resolver was given. */
function errorPath(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { path?: unknown }).path === 'string' ? (error as { path: string }).path : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Validates the merged manager options and every spec (each on its own, so each bad spec is
 * reported), and the names across specs.
 */
export function validateConfig(processes: readonly unknown[], settings: Settings, baseDir: string): Validated {
  const issues: ConfigIssue[] = [];
  let defaults = resolveManagerOptions({}).defaults;
  try {
    defaults = resolveManagerOptions(settings.manager).defaults;
  } catch (error) {
    const path = errorPath(error) ?? '';
    const key = SETTING_OF[path.split(/[.[]/)[0] ?? ''];
    const source = key === undefined ? undefined : settings.sources[key];
    const from = source?.startsWith('env ') || source?.startsWith('flag ') ? ` (from ${source.slice(source.indexOf(' ') + 1)})` : '';
    issues.push({ path: `${path === '' ? 'manager' : `manager.${path}`}${from}`, message: errorMessage(error) });
  }
  const specs: ChildSpec[] = [];
  const names: string[] = [];
  const processNames: string[] = [];
  const seen = new Map<string, string>();
  /** Names across specs must differ (inside one spec, the resolver sees to it). */
  const recordNames = (spec: unknown, at: string): void => {
    const own = new Map<string, string>();
    for (const [name, path] of rawNames(spec, at)) if (!own.has(name)) own.set(name, path);
    for (const [name, path] of own) {
      const first = seen.get(name);
      if (first === undefined) {
        seen.set(name, path);
        names.push(name);
      } else {
        issues.push({ path: `${path}.name`, message: `\`${name}\` is the name of ${first} already: names must be unique across the config` });
      }
    }
  };
  processes.forEach((raw, i) => {
    const at = `processes[${i}]`;
    const spec = withBaseDir(raw, baseDir);
    recordNames(spec, at);
    let resolved: ResolvedChildSpec;
    try {
      resolved = resolveChildSpec(spec, defaults, at);
    } catch (error) {
      issues.push({ path: errorPath(error) ?? at, message: errorMessage(error) });
      return;
    }
    processNames.push(...outputNamesOf(resolved));
    specs.push(spec as ChildSpec);
  });
  return { specs, manager: settings.manager, names, processNames, issues };
}

/** The names a spec as written has (its own, and its children's), with the path of each; malformed parts skipped. */
function rawNames(spec: unknown, path: string): [string, string][] {
  if (!isPlainObject(spec)) return [];
  const own: [string, string][] = typeof spec.name === 'string' ? [[spec.name, path]] : [];
  const children = Array.isArray(spec.children) ? spec.children.flatMap((child: unknown, i) => rawNames(child, `${path}.children[${i}]`)) : [];
  return [...own, ...children];
}

/** The names of the processes a resolved spec runs: a replicated process's replicas by their names. */
function outputNamesOf(spec: ResolvedChildSpec): string[] {
  if (spec.kind === 'supervisor') return spec.children.flatMap(outputNamesOf);
  return spec.instances === undefined ? [spec.name] : Array.from({ length: spec.instances }, (_, i) => `${spec.name}#${i}`);
}
