/**
 * `resolveJobSpec()`: validation of what `pm.run()` receives. A job is a process spec plus a few
 * job options, so the job keys are checked and taken out here and the rest goes through the
 * process resolver: one set of rules and messages for both.
 */
import { DEFAULTS } from '../api/defaults.js';
import { resolveBackoff } from '../spec/resolve-common.js';
import { PROCESS_SPEC_KEYS, resolveProcessSpec } from '../spec/resolve.js';
import { preferLocalEnv } from './prefer-local.js';
import type { ChildDefaults, ResolvedBackoff, ResolvedProcessSpec } from '../spec/resolved.js';
import * as v from '../spec/validate.js';

/**
 * Job defaults (`DEFAULTS.job`): no timeout and no retries, so a job runs once for as long as
 * it takes unless told otherwise.
 */
export const JOB_DEFAULTS = DEFAULTS.job;

/** Process options a job cannot have, with the reason given in the error. */
const FORBIDDEN: Readonly<Record<string, string>> = {
  restart: 'a job runs until it ends; use `retries` to run it again after a failure',
  instances: 'a job runs one process; call `run()` once per job',
  watch: 'a job is not restarted on file changes; use a process spec with `watch`',
};

const JOB_OWN_KEYS = ['timeout', 'retries', 'retryBackoff', 'preferLocal'] as const;

/** Every option a job spec may have. */
export const JOB_SPEC_KEYS: readonly string[] = Object.freeze([
  ...PROCESS_SPEC_KEYS.filter((key) => !Object.hasOwn(FORBIDDEN, key)),
  ...JOB_OWN_KEYS,
]);

/** A job with every default filled in. */
export interface ResolvedJobSpec {
  /** The process each attempt runs (`restart: 'temporary'`: nothing restarts it but the job). */
  readonly process: ResolvedProcessSpec;
  /** Longest one attempt may run, in ms; `Infinity` for none. */
  readonly timeout: number;
  /** Further attempts after a failed or timed-out one. */
  readonly retries: number;
  /** Delay before each retry (attempt 2 waits `backoffDelay(retryBackoff, 1)`, and so on). */
  readonly retryBackoff: ResolvedBackoff;
  /** Whether `node_modules/.bin` of the cwd and its parents come first on `PATH` (already in `process.env`). */
  readonly preferLocal: boolean;
}

/**
 * Validates and resolves a job spec. Field paths in errors are the user's (`timeout`,
 * `retryBackoff.initial`, `output.mask[0]`).
 * @throws InvalidSpecError on the first problem found.
 */
export function resolveJobSpec(spec: unknown, defaults: ChildDefaults): ResolvedJobSpec {
  const s = v.specSubject(v.isPlainObject(spec) ? spec.name : undefined);
  const raw = v.object(s, '', spec, 'a job spec object');
  for (const [key, reason] of Object.entries(FORBIDDEN)) {
    if (raw[key] !== undefined) throw v.invalid(s, key, raw[key], 'absent in a job spec', reason);
  }
  if (raw.strategy !== undefined || raw.children !== undefined) {
    throw v.invalid(s, '', spec, 'a job spec', 'it has `strategy` or `children`; a job runs one process');
  }
  // Checked here first so a typo such as `timout` is matched against the job's own options too.
  v.knownKeys(s, '', raw, JOB_SPEC_KEYS, ['command']);
  const { timeout, retries, retryBackoff, preferLocal: local, ...rest } = raw;
  // `temporary` says what the job runner does: nothing restarts the process behind its back.
  const resolved = resolveProcessSpec({ ...rest, restart: 'temporary' }, defaults);
  const preferLocal = local === undefined ? false : v.boolean(s, 'preferLocal', local);
  const process = preferLocal
    ? Object.freeze({ ...resolved, env: Object.freeze(preferLocalEnv(resolved.env, resolved.extendEnv, resolved.cwd)) })
    : resolved;
  return Object.freeze({
    process,
    timeout: timeout === undefined ? JOB_DEFAULTS.timeout : v.duration(s, 'timeout', timeout, { positive: true, infinity: true, timer: true }),
    retries: retries === undefined ? JOB_DEFAULTS.retries : v.integer(s, 'retries', retries, 0),
    retryBackoff: retryBackoff === undefined ? process.backoff : Object.freeze(resolveBackoff(s, 'retryBackoff', retryBackoff)),
    preferLocal,
  });
}
