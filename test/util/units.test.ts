import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../../src/util/units.js';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    [0, 0],
    [1.5, 1.5],
    [Infinity, Infinity],
    ['250', 250],
    ['250ms', 250],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['2m', 120_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    [' 10 S ', 10_000],
    ['3MS', 3],
  ])('parses %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([[-1], [NaN], [-Infinity], [''], ['abc'], ['5 parsecs'], ['-5s'], ['1e3'], ['5s5'], ['Infinity']])(
    'rejects %j',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );

  it('rejects values that are not numbers or strings', () => {
    expect(parseDuration(null as unknown as string)).toBeUndefined();
    expect(parseDuration({} as unknown as string)).toBeUndefined();
  });

  it('agrees with the unit factor for every whole quantity', () => {
    const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])), (n, unit) => {
        expect(parseDuration(`${n}${unit}`)).toBe(n * units[unit]);
      }),
    );
  });
});

describe('parseSize', () => {
  it.each([
    [1024, 1024],
    [0, 0],
    ['512', 512],
    ['512b', 512],
    ['64kb', 64_000],
    ['64k', 64_000],
    ['512MB', 512_000_000],
    ['512MiB', 512 * 2 ** 20],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['2gb', 2_000_000_000],
    ['1TiB', 2 ** 40],
    ['0.5kb', 500],
    ['1.0005kb', 1001],
  ])('parses %j as %d bytes', (input, expected) => {
    expect(parseSize(input)).toBe(expected);
  });

  it.each([[-1], [NaN], [Infinity], [''], ['12XB'], ['-5MB'], ['MB'], ['1 000']])('rejects %j', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});
