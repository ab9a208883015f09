import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalWindow, MIN_SD_MS, effectiveSd, phi, silenceForZ, upperTailPhi, zForPhi } from '../../src/health/phi.js';

describe('upperTailPhi', () => {
  it('matches -log10 of standard normal tail probabilities', () => {
    // Reference tail values of N(0, 1): P(Z > 0) = 0.5, P(Z > 1) = 0.158655, P(Z > 3) = 0.0013499,
    // P(Z > 6) = 9.8659e-10, P(Z > 10) = 7.6199e-24.
    expect(upperTailPhi(0)).toBeCloseTo(-Math.log10(0.5), 5);
    expect(upperTailPhi(1)).toBeCloseTo(-Math.log10(0.158655), 4);
    expect(upperTailPhi(3)).toBeCloseTo(-Math.log10(0.0013499), 4);
    expect(upperTailPhi(6)).toBeCloseTo(-Math.log10(9.8659e-10), 3);
    expect(upperTailPhi(10)).toBeCloseTo(-Math.log10(7.6199e-24), 3);
    expect(upperTailPhi(-3)).toBeCloseTo(-Math.log10(1 - 0.0013499), 5);
  });

  it('stays finite far in the tail where the probability underflows', () => {
    expect(Number.isFinite(upperTailPhi(40))).toBe(true);
    expect(upperTailPhi(40)).toBeGreaterThan(300);
  });

  it('grows with z', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 30, noNaN: true }), fc.double({ min: 1e-3, max: 5, noNaN: true }), (z, step) => {
        expect(upperTailPhi(z + step)).toBeGreaterThan(upperTailPhi(z));
      }),
    );
  });
});

describe('zForPhi and silenceForZ', () => {
  it('inverts phi', () => {
    expect(zForPhi(8)).toBeCloseTo(5.612, 2);
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 30, noNaN: true }), (threshold) => {
        expect(upperTailPhi(zForPhi(threshold))).toBeCloseTo(threshold, 6);
      }),
    );
  });

  it('gives the silence at which phi reaches the threshold', () => {
    const z = zForPhi(8);
    const silence = silenceForZ(z, 1000, 5);
    // A steady 1 s rhythm: sd floored at a quarter of the mean, so about 2.4 periods.
    expect(silence).toBeCloseTo(1000 + z * 250, 6);
    expect(phi(silence, 1000, 5)).toBeCloseTo(8, 6);
    expect(phi(silence - 50, 1000, 5)).toBeLessThan(8);
  });
});

describe('effectiveSd', () => {
  it('floors the deviation at a quarter of the mean and an absolute minimum', () => {
    expect(effectiveSd(1000, 5)).toBe(250);
    expect(effectiveSd(1000, 400)).toBe(400);
    expect(effectiveSd(0, 0)).toBe(MIN_SD_MS);
  });
});

describe('IntervalWindow', () => {
  it('computes mean and deviation and forgets the oldest values', () => {
    const window = new IntervalWindow(3);
    expect(window.stats()).toEqual({ mean: 0, sd: 0 });
    for (const value of [100, 200, 300]) window.add(value);
    expect(window.size).toBe(3);
    expect(window.stats().mean).toBeCloseTo(200);
    expect(window.stats().sd).toBeCloseTo(Math.sqrt(20000 / 3));
    window.add(400); // drops 100
    expect(window.size).toBe(3);
    expect(window.stats().mean).toBeCloseTo(300);
  });
});
