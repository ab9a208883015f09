import { describe, expect, it } from 'vitest';
import { nextAttempt } from '../../src/policy/backoff.js';
import { isUnstableRun } from '../../src/policy/min-uptime.js';
import type { ResolvedBackoff } from '../../src/spec/resolved.js';

const fixed: ResolvedBackoff = { type: 'fixed', delay: 0, resetAfter: 100 };

describe('isUnstableRun', () => {
  it('is never unstable when minUptime is off (0)', () => {
    expect([0, 1, 1_000_000].map((uptime) => isUnstableRun(uptime, 0))).toEqual([false, false, false]);
  });

  it('is unstable below minUptime, stable from exactly minUptime on', () => {
    expect([0, 999, 1000, 1001].map((uptime) => isUnstableRun(uptime, 1000))).toEqual([true, true, false, false]);
  });
});

describe('nextAttempt with minUptime', () => {
  it('keeps resetAfter alone when minUptime is off', () => {
    expect([99, 100].map((uptime) => nextAttempt(3, uptime, fixed))).toEqual([4, 1]);
    expect([99, 100].map((uptime) => nextAttempt(3, uptime, fixed, 0))).toEqual([4, 1]);
  });

  it('gives an unstable run no reset, even past resetAfter', () => {
    // resetAfter 100 < minUptime 1000: a run of 500 would reset without minUptime.
    expect([100, 500, 999, 1000].map((uptime) => nextAttempt(3, uptime, fixed, 1000))).toEqual([4, 4, 4, 1]);
  });

  it('still needs resetAfter when minUptime is shorter', () => {
    expect([50, 99, 100].map((uptime) => nextAttempt(2, uptime, fixed, 50))).toEqual([3, 3, 1]);
  });
});
