import { describe, expect, it } from 'vitest';
import { levelForFailures, worstStatus } from '../../src/health/levels.js';

describe('levelForFailures', () => {
  it('maps a failure run to warning, critical and failed', () => {
    expect([0, 1, 2, 3, 4].map((n) => levelForFailures(n, 3))).toEqual(['healthy', 'warning', 'critical', 'failed', 'failed']);
    expect([0, 1, 2, 3, 4, 5].map((n) => levelForFailures(n, 5))).toEqual([
      'healthy',
      'warning',
      'warning',
      'warning',
      'critical',
      'failed',
    ]);
  });

  it('never says critical below a threshold of 3', () => {
    expect([1, 2].map((n) => levelForFailures(n, 2))).toEqual(['warning', 'failed']);
    expect(levelForFailures(1, 1)).toBe('failed');
  });
});

describe('worstStatus', () => {
  it('takes the worst verdict and ignores probes without one', () => {
    expect(worstStatus(['healthy', 'unknown', 'warning'])).toBe('warning');
    expect(worstStatus(['critical', 'failed', 'healthy'])).toBe('failed');
    expect(worstStatus(['unknown', 'healthy'])).toBe('healthy');
    expect(worstStatus(['unknown'])).toBe('unknown');
    expect(worstStatus([])).toBe('unknown');
  });
});
