import { describe, expect, it } from 'vitest';
import { parsePs } from '../../src/resources/pidusage-backend.js';

describe('parsePs', () => {
  it('indexes children by parent and marks zombies', () => {
    const { children, zombies } = parsePs('    1     0 Ss\n   10     1 S+\n   11    10 Z\n   12    10 R+\n\n');
    expect(children.get(0)).toEqual([1]);
    expect(children.get(10)).toEqual([11, 12]);
    expect([...zombies]).toEqual([11]);
  });

  it('skips lines that are not two numbers', () => {
    const { children } = parsePs('  PID  PPID STAT\ngarbage\n 5 1 S\n');
    expect([...children.keys()]).toEqual([1]);
  });
});
