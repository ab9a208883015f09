import { describe, expect, it } from 'vitest';
import type { RawSample, SampleTarget, SamplerBackend } from '../../src/resources/backend.js';
import { Sampler } from '../../src/resources/sampler.js';
import type { Clock, Usage } from '../../src/api/types.js';
import { FakeClock, flushPromises as flush } from '../clock.js';

/** A backend whose processes burn `cpuPerMs` ms of CPU per ms of clock time; rounds may be held. */
class FakeBackend implements SamplerBackend {
  readonly name = 'fake';
  readonly calls: string[][] = [];
  gate: Promise<void> | undefined;
  gone = new Set<number>();
  fail: Error | undefined;

  constructor(
    private readonly clock: FakeClock,
    private readonly cpuPerMs = 0.5,
  ) {}

  async round(targets: readonly SampleTarget[]): Promise<Map<string, RawSample>> {
    this.calls.push(targets.map((t) => t.key));
    const time = this.clock.now();
    if (this.gate) await this.gate;
    if (this.fail) throw this.fail;
    const out = new Map<string, RawSample>();
    for (const { key, pid } of targets) {
      if (this.gone.has(pid)) continue;
      out.set(key, { pid, ppid: 1, start: 1, cpuTime: time * this.cpuPerMs, childCpuTime: 0, memory: 4096, descendants: [] });
    }
    return out;
  }
}

function setup(interval = 100): { clock: FakeClock; backend: FakeBackend; sampler: Sampler; seen: [string, Usage][]; errors: Error[] } {
  const clock = new FakeClock();
  const backend = new FakeBackend(clock);
  const seen: [string, Usage][] = [];
  const errors: Error[] = [];
  const sampler = new Sampler({
    interval,
    backend,
    clock,
    cores: 2,
    onSample: (key, usage) => seen.push([key, usage]),
    onError: (error) => errors.push(error),
  });
  return { clock, backend, sampler, seen, errors };
}

describe('Sampler loop', () => {
  it('runs one timer for all targets, and none without targets', async () => {
    const { clock, sampler, backend } = setup();
    expect(clock.pending).toBe(0);
    for (let i = 0; i < 50; i++) sampler.add(`p${i}`, 1000 + i);
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(backend.calls).toHaveLength(1);
    expect(backend.calls[0]).toHaveLength(50);
    for (let i = 0; i < 50; i++) sampler.remove(`p${i}`);
    expect(clock.pending).toBe(0);
  });

  it('emits nothing on the warm-up round, then CPU over the interval', async () => {
    const { clock, sampler, seen } = setup();
    sampler.add('a', 10);
    await clock.advance(100);
    expect(seen).toEqual([]);
    await clock.advance(100);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[1]).toMatchObject({ time: 200, cpu: 50, cpuNormalized: 25, memory: 4096, tree: { pids: 1, cpu: 50, memory: 4096 } });
  });

  it('skips ticks while a round is still running', async () => {
    const { clock, sampler, backend } = setup();
    let release: () => void = () => {};
    backend.gate = new Promise((resolve) => (release = resolve));
    sampler.add('a', 10);
    await clock.advance(350);
    expect(backend.calls).toHaveLength(1);
    expect(sampler.skipped).toBe(2);
    backend.gate = undefined;
    release();
    await flush();
    await clock.advance(100);
    expect(backend.calls).toHaveLength(2);
  });

  it('skips a vanished process and drops targets removed during a round', async () => {
    const { clock, sampler, backend, seen, errors } = setup();
    sampler.add('gone', 11);
    sampler.add('live', 12);
    sampler.add('removed', 13);
    backend.gone.add(11);
    await clock.advance(100);
    let release: () => void = () => {};
    backend.gate = new Promise((resolve) => (release = resolve));
    await clock.advance(100);
    sampler.remove('removed');
    release();
    await flush();
    expect(seen.map(([key]) => key)).toEqual(['live']);
    expect(errors).toEqual([]);
  });

  it('samples each target at its own interval on the one timer', async () => {
    const { clock, sampler, backend } = setup(300);
    sampler.add('slow', 1);
    sampler.add('fast', 2, 100);
    expect(clock.pending).toBe(1);
    await clock.advance(900);
    const count = (key: string): number => backend.calls.filter((keys) => keys.includes(key)).length;
    expect(count('fast')).toBe(9);
    expect(count('slow')).toBe(3);
  });

  it('reports backend failures and listener errors through onError and keeps going', async () => {
    const { clock, sampler, backend, seen, errors } = setup();
    backend.fail = new Error('boom');
    sampler.add('a', 10);
    await clock.advance(100);
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    backend.fail = undefined;
    const thrower = new Sampler({
      interval: 100,
      backend,
      clock,
      onSample: () => {
        throw new Error('listener');
      },
      onError: (error) => errors.push(error),
    });
    thrower.add('b', 20);
    await clock.advance(200);
    expect(errors.map((e) => e.message)).toContain('listener');
    expect(seen.length).toBeGreaterThan(0);
    thrower.stop();
    sampler.stop();
  });

  it('reports nothing from a round in flight after stop()', async () => {
    const { clock, sampler, backend, seen } = setup();
    sampler.add('a', 10);
    await clock.advance(100);
    let release: () => void = () => {};
    backend.gate = new Promise((resolve) => (release = resolve));
    await clock.advance(100);
    sampler.stop();
    release();
    await flush();
    expect(seen).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('unrefs its timer so sampling never keeps the host alive', () => {
    const timers: NodeJS.Timeout[] = [];
    const clock: Clock = {
      now: () => Date.now(),
      setTimeout: (fn, ms) => {
        const timer = setTimeout(fn, ms);
        timers.push(timer);
        return timer;
      },
      clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
    };
    const sampler = new Sampler({ interval: 60_000, clock, backend: new FakeBackend(new FakeClock()), onSample: () => {} });
    sampler.add('a', 1);
    expect(timers).toHaveLength(1);
    expect(timers[0]?.hasRef()).toBe(false);
    sampler.stop();
  });

  it('rejects an interval that is not positive', () => {
    expect(() => setup(0)).toThrow(RangeError);
    expect(() => setup().sampler.add('a', 1, -5)).toThrow(RangeError);
  });
});
