import { describe, expect, it } from 'vitest';
import { nextOccurrence } from '../../src/policy/schedule.js';

describe('nextOccurrence', () => {
  it('computes seconds-granular occurrences strictly after `now`', () => {
    const base = new Date(2030, 0, 1, 12, 0, 0, 0).getTime();
    expect(nextOccurrence('*/5 * * * * *', base)).toBe(base + 5000);
    expect(nextOccurrence('*/5 * * * * *', base + 1)).toBe(base + 5000);
    expect(nextOccurrence('*/5 * * * * *', base + 4999)).toBe(base + 5000);
  });

  it('reads five fields as minutes first', () => {
    const base = new Date(2030, 0, 1, 12, 0, 30, 0).getTime();
    expect(nextOccurrence('0 13 * * *', base)).toBe(new Date(2030, 0, 1, 13, 0, 0, 0).getTime());
  });

  it('has no occurrence for an expression that never matches', () => {
    expect(nextOccurrence('0 0 30 2 *', Date.now())).toBeUndefined();
  });
});
