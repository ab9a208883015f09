import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, nextAttempt } from '../../src/policy/backoff.js';
import type { ResolvedBackoff } from '../../src/spec/resolved.js';

const exponential: ResolvedBackoff = { type: 'exponential', initial: 100, factor: 2, max: 30_000, jitter: 0.1, resetAfter: 30_000 };
const noJitter: ResolvedBackoff = { ...exponential, jitter: 0 };
const mid = (): number => 0.5; // 2·0.5 − 1 = 0: no spread
const low = (): number => 0; // −jitter
const high = (): number => 1 - Number.EPSILON; // just under +jitter

describe('backoffDelay', () => {
  it('grows exponentially from `initial` by `factor`', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(exponential, n, mid))).toEqual([100, 200, 400, 800, 1600]);
  });

  it('caps exponential growth at `max`, even after thousands of attempts', () => {
    expect(backoffDelay(noJitter, 9, mid)).toBe(25_600);
    expect(backoffDelay(noJitter, 10, mid)).toBe(30_000);
    expect(backoffDelay(noJitter, 5_000, mid)).toBe(30_000);
  });

  it('spreads by ±jitter around the base delay', () => {
    expect(backoffDelay(exponential, 3, low)).toBe(360);
    expect(backoffDelay(exponential, 3, high)).toBe(440);
    expect(backoffDelay(exponential, 3, () => 0.75)).toBe(420);
  });

  it('never exceeds `max`, jitter included', () => {
    expect(backoffDelay(exponential, 20, high)).toBe(30_000);
    expect(backoffDelay(exponential, 20, low)).toBe(27_000);
  });

  it('stays within [base·(1−j), min(max, base·(1+j))] for any attempt and random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const base = Math.min(exponential.max, 100 * 2 ** (n - 1));
        const delay = backoffDelay(exponential, n, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.9));
        expect(delay).toBeLessThanOrEqual(Math.min(exponential.max, Math.ceil(base * 1.1)));
      }),
    );
  });

  it('grows linearly by `step` up to `max`', () => {
    const linear: ResolvedBackoff = { type: 'linear', initial: 100, step: 50, max: 300, jitter: 0, resetAfter: 30_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(linear, n, mid))).toEqual([100, 150, 200, 250, 300, 300]);
  });

  it('waits the same fixed delay every time, without jitter', () => {
    const fixed: ResolvedBackoff = { type: 'fixed', delay: 700, resetAfter: 30_000 };
    expect([1, 2, 50].map((n) => backoffDelay(fixed, n, low))).toEqual([700, 700, 700]);
  });

  it('asks a function for the delay of each 1-based attempt', () => {
    const seen: number[] = [];
    const fn: ResolvedBackoff = { type: 'function', fn: (n) => (seen.push(n), n * 10), resetAfter: 30_000 };
    expect([1, 2, 3].map((n) => backoffDelay(fn, n))).toEqual([10, 20, 30]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('rejects function results a timer cannot hold, naming the value (never a silent 0 or a 1 ms timer)', () => {
    for (const bad of [-5, NaN, Infinity, 1e10, '100' as unknown as number, undefined as unknown as number]) {
      expect(() => backoffDelay({ type: 'function', fn: () => bad, resetAfter: 1 }, 1)).toThrow(
        expect.objectContaining({ code: 'INVALID_SPEC', path: 'backoff', message: expect.stringContaining(`returned \`${String(bad)}\``) }),
      );
    }
    expect(backoffDelay({ type: 'function', fn: () => 2 ** 31 - 1, resetAfter: 1 }, 1)).toBe(2 ** 31 - 1);
    expect(backoffDelay({ type: 'function', fn: () => 0, resetAfter: 1 }, 1)).toBe(0);
  });

  it('lets an error thrown by a backoff function through, for its supervisor to handle', () => {
    const boom = new Error('boom');
    expect(() => backoffDelay({ type: 'function', fn: () => { throw boom; }, resetAfter: 1 }, 1)).toThrow(boom);
  });

  it('treats attempts below 1 or fractional as the nearest valid attempt', () => {
    expect(backoffDelay(noJitter, 0, mid)).toBe(100);
    expect(backoffDelay(noJitter, -3, mid)).toBe(100);
    expect(backoffDelay(noJitter, 2.9, mid)).toBe(200);
  });

  it('never returns NaN, even for initial 0, factor 1 or absurd attempts', () => {
    const zero: ResolvedBackoff = { ...noJitter, initial: 0 };
    const flat: ResolvedBackoff = { ...noJitter, factor: 1 };
    expect(backoffDelay(zero, 5_000, mid)).toBe(0);
    expect(backoffDelay(flat, Infinity, mid)).toBe(100);
    expect(backoffDelay(noJitter, Infinity, mid)).toBe(30_000);
    expect(backoffDelay(noJitter, NaN, mid)).toBe(100);
  });
});

describe('nextAttempt', () => {
  it('counts up while incarnations die young', () => {
    expect(nextAttempt(0, 10, exponential)).toBe(1);
    expect(nextAttempt(3, 29_999, exponential)).toBe(4);
  });

  it('starts again at 1 once an incarnation stayed up for `resetAfter` (inclusive)', () => {
    expect(nextAttempt(7, 30_000, exponential)).toBe(1);
    expect(nextAttempt(7, 90_000, exponential)).toBe(1);
  });

  it('uses the function variant’s resetAfter too', () => {
    const fn: ResolvedBackoff = { type: 'function', fn: () => 1, resetAfter: 500 };
    expect(nextAttempt(2, 499, fn)).toBe(3);
    expect(nextAttempt(2, 500, fn)).toBe(1);
  });
});
