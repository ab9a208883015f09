import { describe, expect, it } from 'vitest';
import { recordRestart } from '../../src/policy/intensity.js';

const fivePerTen = { maxRestarts: 5, period: 10_000 };

/** Records restarts at the given times, returning every verdict. */
function record(times: number[], intensity = fivePerTen): { window: readonly number[]; exceeded: boolean }[] {
  let window: readonly number[] = [];
  return times.map((now) => {
    const verdict = recordRestart(window, now, intensity);
    window = verdict.window;
    return verdict;
  });
}

describe('recordRestart', () => {
  it('allows maxRestarts restarts inside the period and gives up at maxRestarts + 1', () => {
    const verdicts = record([0, 1, 2, 3, 4, 5]);
    expect(verdicts.map((v) => v.exceeded)).toEqual([false, false, false, false, false, true]);
  });

  it('keeps an entry exactly `period` old (inclusive boundary)', () => {
    const verdicts = record([0, 1, 2, 3, 4, 10_000]);
    expect(verdicts[5]?.exceeded).toBe(true);
    expect(verdicts[5]?.window).toEqual([0, 1, 2, 3, 4, 10_000]);
  });

  it('drops an entry one millisecond past `period`', () => {
    const verdicts = record([0, 1, 2, 3, 4, 10_001]);
    expect(verdicts[5]?.exceeded).toBe(false);
    expect(verdicts[5]?.window).toEqual([1, 2, 3, 4, 10_001]);
  });

  it('never gives up on restarts spaced wider than period / maxRestarts', () => {
    const times = Array.from({ length: 50 }, (_, i) => i * 2_001);
    expect(record(times).some((v) => v.exceeded)).toBe(false);
  });

  it('gives up on the first restart when maxRestarts is 0', () => {
    expect(record([0], { maxRestarts: 0, period: 1_000 })[0]?.exceeded).toBe(true);
  });

  it('does not mutate the window it is given', () => {
    const window = Object.freeze([0, 5_000]);
    const verdict = recordRestart(window, 20_000, fivePerTen);
    expect(window).toEqual([0, 5_000]);
    expect(verdict.window).toEqual([20_000]);
  });
});
