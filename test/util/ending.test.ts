import { afterEach, describe, expect, it, vi } from 'vitest';
import { Ending } from '../../src/util/ending.js';

describe('Ending', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs each callback once, in the order they came; one added after the end runs at once', () => {
    const end = new Ending();
    const calls: string[] = [];
    end.on(() => calls.push('a'));
    const off = end.on(() => calls.push('b'));
    end.on(() => calls.push('c'));
    off();
    expect(end.ended).toBe(false);
    end.fire('why');
    end.fire('again');
    expect(calls).toEqual(['a', 'c']);
    expect(end.ended).toBe(true);
    expect(end.reason).toBe('why');
    end.on(() => calls.push('late'));
    expect(calls).toEqual(['a', 'c', 'late']);
  });

  it('a callback that throws does not keep the others from running; its error is thrown again later', () => {
    const later: (() => void)[] = [];
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => {
      later.push(fn);
    });
    const end = new Ending();
    const calls: string[] = [];
    const boom = new Error('boom');
    end.on(() => {
      throw boom;
    });
    end.on(() => calls.push('after'));
    end.fire();
    expect(calls).toEqual(['after']);
    expect(later).toHaveLength(1);
    expect(() => later[0]?.()).toThrow(boom);
  });

  it('makes an AbortSignal only when asked, aborted with the reason', () => {
    const end = new Ending();
    const signal = end.signal;
    expect(end.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    end.fire('stopped');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('stopped');
    const afterwards = new Ending();
    afterwards.fire('gone');
    expect(afterwards.signal.aborted).toBe(true);
    expect(afterwards.signal.reason).toBe('gone');
  });
});
