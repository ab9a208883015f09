/**
 * DEFAULTS is public: it holds what an option is when it is not given, and nothing else. Its key
 * set is pinned here, so an internal tuning value (api/tuning.ts) cannot slip back into it: a new
 * user-facing default is added to this list on purpose, with its docs.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/index.js';
import { TUNING } from '../../src/api/tuning.js';

/** Every key path of `value`, nested objects flattened (`backoff.initial`); `unbufferedEnv` is one value. */
function keyPaths(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, inner]) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner) && key !== 'unbufferedEnv' ? keyPaths(inner as object, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

describe('DEFAULTS', () => {
  it('holds exactly the user-facing defaults', () => {
    expect(keyPaths(DEFAULTS)).toEqual([
      'restart',
      'successExitCodes',
      'extendEnv',
      'backoff.type',
      'backoff.initial',
      'backoff.factor',
      'backoff.max',
      'backoff.jitter',
      'backoff.resetAfter',
      'intensity.maxRestarts',
      'intensity.period',
      'minUptime',
      'restartBudget',
      'shutdown.signal',
      'shutdown.timeout',
      'supervisorShutdownTimeout',
      'startTimeout',
      'output.lines',
      'output.bytes',
      'output.commands',
      'probe.initialDelay',
      'probe.interval',
      'probe.readinessInterval',
      'probe.timeout',
      'probe.successThreshold',
      'probe.failureThreshold',
      'heartbeat.detector',
      'heartbeat.threshold',
      'limits.action',
      'limits.scope',
      'limits.samples',
      'sampling.history',
      'watch.debounce',
      'maxConcurrentJobs',
      'job.timeout',
      'job.retries',
      'orphans',
      'handleSignals',
      'keepAlive',
      'cgroups',
      'autoShutdown',
      'ipcRequestTimeout',
      'stdin',
      'unbufferedEnv',
    ]);
  });

  it('names no internal tuning value, at any depth', () => {
    const names = new Set(keyPaths(DEFAULTS).flatMap((path) => path.split('.')));
    expect(Object.keys(TUNING).filter((key) => names.has(key))).toEqual([]);
  });

  it('is frozen all the way down', () => {
    const frozen = (value: unknown): boolean =>
      value === null || typeof value !== 'object' || (Object.isFrozen(value) && Object.values(value).every(frozen));
    expect(frozen(DEFAULTS)).toBe(true);
  });
});
