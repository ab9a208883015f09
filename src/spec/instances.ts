/**
 * Spec shapes the manager derives: replicas for `instances`, and the spec of a top-level entry's supervisor.
 */
import type { ResolvedChildSpec, ResolvedSupervisorSpec } from './resolved.js';

/**
 * `instances: N` becomes a one-for-one supervisor named like the spec, holding replicas `name#0` …
 * `name#N-1`; each replica gets `PROCVISOR_INSTANCE` (its index) unless the spec sets it (beside
 * `PROCVISOR_RESTARTS`, which every incarnation gets at spawn: os/spawn.ts). So `pm.stop('web')`
 * stops them all and `pm.get('web#1')` is one replica.
 */
export function expandInstances(spec: ResolvedChildSpec): ResolvedChildSpec {
  if (spec.kind === 'supervisor') {
    const children = spec.children.map(expandInstances);
    return children.every((c, i) => c === spec.children[i]) ? spec : Object.freeze({ ...spec, children });
  }
  if (spec.instances === undefined) return spec;
  const replicas = Array.from({ length: spec.instances }, (_, i) =>
    Object.freeze({
      ...spec,
      name: `${spec.name}#${i}`,
      instances: undefined,
      significant: false,
      // The breaker belongs to the entry (the supervisor of the replicas), not to each replica.
      recover: undefined,
      env: Object.freeze({ PROCVISOR_INSTANCE: String(i), ...spec.env }),
    }),
  );
  return Object.freeze({
    kind: 'supervisor',
    name: spec.name,
    strategy: 'one-for-one',
    children: replicas,
    intensity: spec.intensity,
    restart: spec.restart,
    autoShutdown: 'never',
    significant: spec.significant,
    shutdownTimeout: Infinity,
    backoff: spec.backoff,
    recover: spec.recover,
  } as const);
}

/**
 * The spec of the supervisor that holds one top-level entry (supervisor.ts, `topLevel`): one-for-one
 * over that one child, with the child's own restart intensity and backoff. It is never visible.
 */
export function entrySpec(child: ResolvedChildSpec): ResolvedSupervisorSpec {
  return Object.freeze({
    kind: 'supervisor',
    name: child.name,
    strategy: 'one-for-one',
    children: Object.freeze([child]),
    intensity: child.intensity,
    restart: 'permanent',
    autoShutdown: 'never',
    significant: false,
    shutdownTimeout: Infinity,
    backoff: child.backoff,
    // The entry's own `recover` is read from the child's spec; this supervisor has none of its own.
    recover: undefined,
  } as const);
}
