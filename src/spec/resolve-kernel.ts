/**
 * Validation of the kernel-enforced limits of a process spec: `rlimits` and `cgroup`.
 */
import type { ResolvedCgroup, ResolvedRlimits } from './resolved.js';
import * as v from './validate.js';
import type { Subject } from './validate.js';

const RLIMIT_KEYS = ['memory', 'openFiles', 'processes', 'cpuTime', 'coreSize'] as const;
const CGROUP_KEYS = ['memory', 'cpu', 'pids'] as const;

/** Resolves `rlimits`: sizes to bytes, `cpuTime` to whole seconds (rounded up, at least 1). */
export function resolveRlimits(s: Subject, path: string, value: unknown): ResolvedRlimits {
  const raw = v.object(s, path, value, 'an object `{ memory?, openFiles?, processes?, cpuTime?, coreSize? }`');
  v.knownKeys(s, path, raw, RLIMIT_KEYS);
  const out: { -readonly [K in keyof ResolvedRlimits]: ResolvedRlimits[K] } = {};
  if (raw.memory !== undefined) out.memory = v.size(s, v.join(path, 'memory'), raw.memory);
  if (raw.openFiles !== undefined) out.openFiles = v.integer(s, v.join(path, 'openFiles'), raw.openFiles, 1);
  if (raw.processes !== undefined) out.processes = v.integer(s, v.join(path, 'processes'), raw.processes, 1);
  if (raw.cpuTime !== undefined) out.cpuTime = Math.max(1, Math.ceil(v.duration(s, v.join(path, 'cpuTime'), raw.cpuTime, { positive: true }) / 1000));
  if (raw.coreSize !== undefined) out.coreSize = v.size(s, v.join(path, 'coreSize'), raw.coreSize, false);
  return out;
}

/** Resolves `cgroup`: `memory` to bytes, `cpu` as a % of one core, `pids` as a count. */
export function resolveCgroup(s: Subject, path: string, value: unknown): ResolvedCgroup {
  const raw = v.object(s, path, value, 'an object `{ memory?, cpu?, pids? }`');
  v.knownKeys(s, path, raw, CGROUP_KEYS);
  const out: { -readonly [K in keyof ResolvedCgroup]: ResolvedCgroup[K] } = {};
  if (raw.memory !== undefined) out.memory = v.size(s, v.join(path, 'memory'), raw.memory);
  if (raw.cpu !== undefined) out.cpu = v.number(s, v.join(path, 'cpu'), raw.cpu, { min: 1, max: 100_000 });
  if (raw.pids !== undefined) out.pids = v.integer(s, v.join(path, 'pids'), raw.pids, 1);
  return out;
}
