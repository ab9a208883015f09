import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/api/defaults.js';
import type { InvalidArgumentError, InvalidSpecError } from '../../src/api/errors.js';
import { validationFailure } from './support.js';
import { resolveManagerOptions } from '../../src/spec/resolve.js';
import type { Clock } from '../../src/api/types.js';

function rejected(options: unknown, path: string, shown?: string): InvalidSpecError | InvalidArgumentError {
  const error = validationFailure(() => resolveManagerOptions(options), path, 'argument');
  expect(error.message).toMatch(/^Invalid manager options: /);
  if (path !== '') expect(error.message).toContain(`\`${path}\``);
  if (shown !== undefined) expect(error.message).toContain(`got \`${shown}\``);
  return error;
}

describe('resolveManagerOptions', () => {
  it('fills every default when given nothing', () => {
    for (const input of [undefined, {}]) {
      const r = resolveManagerOptions(input);
      expect(r.defaults).toEqual({
        restart: DEFAULTS.restart,
        backoff: DEFAULTS.backoff,
        intensity: DEFAULTS.intensity,
        shutdown: DEFAULTS.shutdown,
        output: { lines: DEFAULTS.output.lines, bytes: DEFAULTS.output.bytes, mask: [], commands: DEFAULTS.output.commands },
        startTimeout: DEFAULTS.startTimeout,
        sampling: false,
        minUptime: 0,
      });
      expect(r.sampling).toBe(false);
      expect(r.maxConcurrentJobs).toBe(DEFAULTS.maxConcurrentJobs);
      expect(r.orphans).toBe('kill');
      expect(r.handleSignals).toBe(false);
      expect(Object.isFrozen(r)).toBe(true);
      expect(Object.isFrozen(r.defaults)).toBe(true);
      expect(Object.isFrozen(r.defaults.backoff)).toBe(true);
    }
  });

  it('defaults to the real clock', async () => {
    const { clock } = resolveManagerOptions(undefined);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1_000);
    const fired = await new Promise<boolean>((resolve) => {
      clock.setTimeout(() => resolve(true), 1);
    });
    expect(fired).toBe(true);
    let cancelled = true;
    const timer = clock.setTimeout(() => (cancelled = false), 1);
    clock.clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cancelled).toBe(true);
  });

  it('keeps a custom clock by identity, unfrozen', () => {
    let now = 0;
    const clock: Clock = { now: () => now++, setTimeout: () => 1, clearTimeout: () => undefined };
    const r = resolveManagerOptions({ clock });
    expect(r.clock).toBe(clock);
    expect(Object.isFrozen(clock)).toBe(false);
  });

  it('resolves every option it is given', () => {
    const r = resolveManagerOptions({
      restart: 'temporary',
      backoff: { type: 'fixed', delay: '3s' },
      intensity: { maxRestarts: 10, period: '1m' },
      shutdown: 'kill',
      output: { lines: 5, mask: ['s3cret'], commands: true },
      startTimeout: '10s',
      sampling: { interval: '500ms' },
      maxConcurrentJobs: 1,
      orphans: 'keep',
      handleSignals: true,
    });
    expect(r.defaults).toEqual({
      restart: 'temporary',
      backoff: { type: 'fixed', delay: 3_000, resetAfter: 30_000 },
      intensity: { maxRestarts: 10, period: 60_000 },
      shutdown: 'kill',
      output: { lines: 5, bytes: DEFAULTS.output.bytes, mask: ['s3cret'], commands: true },
      startTimeout: 10_000,
      sampling: { interval: 500, history: 60 },
      minUptime: 0,
    });
    expect(r.sampling).toEqual({ interval: 500, history: 60 });
    expect(r).toMatchObject({ maxConcurrentJobs: 1, orphans: 'keep', handleSignals: true });
  });

  it('does not mutate the caller’s options', () => {
    const input = Object.freeze({ output: Object.freeze({ mask: Object.freeze(['a']) }), sampling: Object.freeze({ interval: 100 }) });
    const r = resolveManagerOptions(input);
    expect(r.defaults.output.mask).not.toBe(input.output.mask);
  });

  it.each<[string, unknown, string, string | undefined]>([
    ['not an object', 5, '', '5'],
    ['null', null, '', 'null'],
    ['unknown option', { sampel: { interval: 1 } }, 'sampel', undefined],
    ['restart', { restart: 'always' }, 'restart', "'always'"],
    ['backoff', { backoff: { type: 'exponential', factor: 0 } }, 'backoff.factor', '0'],
    ['intensity', { intensity: { maxRestarts: -1 } }, 'intensity.maxRestarts', '-1'],
    ['shutdown', { shutdown: { signal: 'TERM' } }, 'shutdown.signal', "'TERM'"],
    ['output', { output: { lines: 1.5 } }, 'output.lines', '1.5'],
    ['startTimeout', { startTimeout: 0 }, 'startTimeout', '0'],
    ['sampling', { sampling: { interval: -1 } }, 'sampling.interval', '-1'],
    ['sampling missing interval', { sampling: {} }, 'sampling.interval', 'undefined'],
    ['maxConcurrentJobs', { maxConcurrentJobs: 0 }, 'maxConcurrentJobs', '0'],
    ['orphans', { orphans: 'leave' }, 'orphans', "'leave'"],
    ['handleSignals', { handleSignals: 1 }, 'handleSignals', '1'],
    ['clock', { clock: 5 }, 'clock', '5'],
    ['clock without now', { clock: { setTimeout() {}, clearTimeout() {} } }, 'clock.now', 'undefined'],
  ])('rejects %s', (_what, options, path, shown) => {
    rejected(options, path, shown);
  });

  it('suggests the option meant', () => {
    expect(rejected({ samplng: {} }, 'samplng').message).toBe('Invalid manager options: unknown option `samplng` — did you mean `sampling`?');
    expect(rejected({ sampel: {} }, 'sampel').message).toContain('known options: `restart`, `backoff`');
    expect(rejected({ handleSignal: true }, 'handleSignal').message).toContain('did you mean `handleSignals`?');
  });
});
