/**
 * What `pm.scale()` and `pm.reload()` need of instance groups and options: recognising a group,
 * the spec of a new replica, and the reload options checked.
 */
import { InvalidArgumentError } from '../api/errors.js';
import type { ResolvedProcessSpec } from '../spec/resolved.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { ReloadPlan } from './reload.js';

/** True for the supervisor `instances: N` made (spec/instances.ts): its children are `name#0`…. */
export function isInstanceGroup(supervisor: Supervisor): boolean {
  const children = supervisor.spec.children;
  return children.length > 0 && children.every((c, i) => c.kind === 'process' && c.name === `${supervisor.name}#${i}`);
}

/** Replica `i` of group `name`, made from another replica's spec. */
export function replicaSpec(template: ResolvedProcessSpec, name: string, i: number): ResolvedProcessSpec {
  return Object.freeze({ ...template, name: `${name}#${i}`, env: Object.freeze({ ...template.env, PROCVISOR_INSTANCE: String(i) }) });
}

/** Checks `maxSurge` and `maxUnavailable` of `reload()` (Kubernetes: both cannot be 0). */
export function checkReload(opts: unknown): ReloadPlan {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw new InvalidArgumentError('', opts, 'Invalid arguments of `reload()`: expected an options object `{ maxSurge?, maxUnavailable?, timeout?, signal? }`');
  }
  const raw = (opts ?? {}) as { maxSurge?: unknown; maxUnavailable?: unknown };
  const known = ['maxSurge', 'maxUnavailable', 'timeout', 'signal'];
  const unknown = Object.keys(raw).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(unknown, (raw as Record<string, unknown>)[unknown], `Invalid arguments of \`reload()\`: unknown option \`${unknown}\` — known options: ${known.map((k) => `\`${k}\``).join(', ')}`);
  }
  const count = (key: 'maxSurge' | 'maxUnavailable', value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    throw new InvalidArgumentError(key, value, `Invalid arguments of \`reload()\`: expected \`${key}\` to be a whole number ≥ 0, got ${String(value)}`);
  };
  const maxSurge = count('maxSurge', raw.maxSurge, 1);
  const maxUnavailable = count('maxUnavailable', raw.maxUnavailable, 0);
  if (maxSurge === 0 && maxUnavailable === 0) {
    throw new InvalidArgumentError('maxSurge', 0, 'Invalid arguments of `reload()`: `maxSurge` and `maxUnavailable` cannot both be 0 (nothing could be replaced) — keep `maxSurge: 1`, or allow `maxUnavailable: 1`');
  }
  return { maxSurge, maxUnavailable };
}
