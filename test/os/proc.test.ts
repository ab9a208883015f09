import { describe, expect, it } from 'vitest';
import { parseStat } from '../../src/os/proc.js';

/** A stat line with fields 1..23 after the state numbered by their position, so each is checkable. */
const line = (comm: string, state = 'S'): string =>
  `4242 (${comm}) ${state} ${Array.from({ length: 23 }, (_, i) => i + 1).join(' ')}\n`;

describe('parseStat', () => {
  it('counts fields after the last parenthesis, whatever the command name holds', () => {
    expect(parseStat(line('a) (b c) 9 9'))).toEqual({
      pid: 4242,
      comm: 'a) (b c) 9 9',
      state: 'S',
      ppid: 1,
      pgid: 2,
      sid: 3,
      utime: 11,
      stime: 12,
      cutime: 13,
      cstime: 14,
      threads: 17,
      starttime: 19,
      rssPages: 21,
    });
  });

  it('reads negative fields and the state letter', () => {
    const stat = parseStat(line('x', 'Z').replace(' 13 ', ' -13 '));
    expect(stat?.state).toBe('Z');
    expect(stat?.cutime).toBe(-13);
    expect(stat?.cstime).toBe(14);
  });

  it('rejects a text cut short or without a command name', () => {
    expect(parseStat('4242 (x) S 1 2 3 4 5')).toBeUndefined();
    expect(parseStat('4242 x S 1 2 3')).toBeUndefined();
  });
});
