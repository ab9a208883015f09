import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, maskText, parseOutputCommand, RingBuffer } from '../../src/output/index.js';

describe('RingBuffer', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    ring.push(1);
    ring.push(2);
    expect(ring.toArray()).toEqual([1, 2]);
    expect(ring.size).toBe(2);
    for (const n of [3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
  });

  it('returns only the newest `last` items, still oldest first', () => {
    const ring = new RingBuffer<number>(4);
    for (let n = 1; n <= 6; n++) ring.push(n);
    expect(ring.toArray(2)).toEqual([5, 6]);
    expect(ring.toArray(3)).toEqual([4, 5, 6]);
    expect(ring.toArray(10)).toEqual([3, 4, 5, 6]);
    expect(ring.toArray(0)).toEqual([]);
    expect(ring.toArray(-1)).toEqual([]);
  });

  it('keeps nothing with capacity 0', () => {
    const ring = new RingBuffer<string>(0);
    ring.push('a');
    expect(ring.size).toBe(0);
    expect(ring.toArray()).toEqual([]);
  });

  it('clear() empties it and it fills again', () => {
    const ring = new RingBuffer<number>(2);
    for (const n of [1, 2, 3]) ring.push(n);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.toArray()).toEqual([]);
    ring.push(9);
    expect(ring.toArray()).toEqual([9]);
  });

  it('rejects a negative or fractional capacity', () => {
    expect(() => new RingBuffer(-1)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(/non-negative integer/);
  });

  it('agrees with an array model for any pushes and reads', () => {
    fc.assert(
      fc.property(fc.nat(6), fc.array(fc.integer(), { maxLength: 30 }), fc.nat(10), (capacity, pushes, last) => {
        const ring = new RingBuffer<number>(capacity);
        for (const n of pushes) ring.push(n);
        const model = capacity === 0 ? [] : pushes.slice(-capacity);
        expect(ring.toArray()).toEqual(model);
        expect(ring.size).toBe(model.length);
        expect(ring.toArray(last)).toEqual(last === 0 ? [] : model.slice(-last));
      }),
    );
  });
});

describe('RingBuffer with a weight limit', () => {
  const weigh = (item: string): number => item.length;

  it('drops the oldest while over the weight, but always keeps the newest', () => {
    const ring = new RingBuffer<string>(10, { max: 6, weigh });
    for (const item of ['ab', 'cd', 'ef']) ring.push(item);
    expect(ring.toArray()).toEqual(['ab', 'cd', 'ef']);
    expect(ring.totalWeight).toBe(6);
    ring.push('g');
    expect(ring.toArray()).toEqual(['cd', 'ef', 'g']);
    expect(ring.totalWeight).toBe(5);
    ring.push('longer than max');
    expect(ring.toArray()).toEqual(['longer than max']);
    expect(ring.totalWeight).toBe(15);
    ring.push('x');
    expect(ring.toArray()).toEqual(['x']);
    ring.clear();
    expect(ring.totalWeight).toBe(0);
    ring.push('yz');
    expect(ring.toArray()).toEqual(['yz']);
  });

  it('agrees with an array model over many pushes, wrapping around and growing, with reads and clears between', () => {
    const op = fc.oneof(
      { weight: 12, arbitrary: fc.string({ maxLength: 12 }).map((item) => ({ push: item })) },
      { weight: 2, arbitrary: fc.nat(80).map((last) => ({ read: last })) },
      { weight: 1, arbitrary: fc.constant({ clear: true }) },
    );
    fc.assert(
      fc.property(fc.nat(70), fc.option(fc.nat(120), { nil: undefined }), fc.array(op, { maxLength: 400, size: 'max' }), (capacity, max, ops) => {
        const ring = new RingBuffer<string>(capacity, max === undefined ? undefined : { max, weigh });
        let model: string[] = [];
        const total = (): number => model.reduce((sum, item) => sum + item.length, 0);
        for (const step of ops) {
          if ('push' in step) {
            ring.push(step.push);
            model.push(step.push);
            if (model.length > capacity) model.shift();
            if (max !== undefined) while (model.length > 1 && total() > max) model.shift();
          } else if ('read' in step) {
            expect(ring.toArray(step.read)).toEqual(step.read === 0 ? [] : model.slice(-step.read));
          } else {
            ring.clear();
            model = [];
          }
          expect(ring.size).toBe(model.length);
          expect(ring.totalWeight).toBe(max === undefined ? 0 : total());
        }
        expect(ring.toArray()).toEqual(model);
      }),
    );
  });

  it('does not hold on to what it dropped', () => {
    const ring = new RingBuffer<{ n: number }>(3, { max: 2, weigh: () => 1 });
    for (let n = 0; n < 40; n++) ring.push({ n });
    const slots = (ring as unknown as { items: unknown[] }).items;
    expect(slots.filter((slot) => slot !== undefined)).toHaveLength(2);
    expect(ring.toArray()).toEqual([{ n: 38 }, { n: 39 }]);
  });
});

describe('createMasker', () => {
  it('returns undefined when there is nothing to mask', () => {
    expect(createMasker([])).toBeUndefined();
    expect(createMasker([''])).toBeUndefined();
  });

  it('masks every occurrence of a string', () => {
    const mask = createMasker(['s3cr3t']);
    expect(mask?.('token=s3cr3t, again s3cr3t.')).toBe('token=***, again ***.');
    expect(mask?.('nothing here')).toBe('nothing here');
  });

  it('takes strings literally, special characters included', () => {
    const mask = createMasker(['a.b$&(x', '$1']);
    expect(mask?.('a.b$&(x aXb$&(x cost $1')).toBe('*** aXb$&(x cost ***');
  });

  it('masks a longer secret whole when it contains a shorter one', () => {
    expect(createMasker(['abc', 'abcdef'])?.('abcdef abc')).toBe('*** ***');
  });

  it('masks every match of a regex given without the g flag, leaving the caller’s regex alone', () => {
    const pattern = /key-\d+/i;
    const mask = createMasker([pattern]);
    expect(mask?.('KEY-1 and key-22')).toBe('*** and ***');
    expect(mask?.('key-3 key-4')).toBe('*** ***');
    expect(pattern.flags).toBe('i');
    expect(pattern.global).toBe(false);
    expect(pattern.lastIndex).toBe(0);
  });

  it('masks every match of a global or sticky regex whatever its lastIndex', () => {
    const global = /tok\w+/g;
    global.lastIndex = 5;
    expect(createMasker([global])?.('tokA tokB')).toBe('*** ***');
    expect(global.lastIndex).toBe(5);
    expect(createMasker([/x+/y])?.('ab xx cd x')).toBe('ab *** cd ***');
  });

  it('combines strings and regexes, and ignores empty matches', () => {
    const mask = createMasker(['pw', /\d*/]);
    expect(mask?.('pw 123 abc')).toBe('*** *** abc');
  });

  it('maskText masks each line of a multi-line text like output lines', () => {
    const mask = createMasker([/^secret/]);
    expect(maskText('secret one\nsecret two', mask)).toBe('*** one\n*** two');
    expect(maskText('secret', mask)).toBe('***');
    expect(maskText('secret', undefined)).toBe('secret');
  });
});

describe('parseOutputCommand', () => {
  it('ignores ordinary lines', () => {
    expect(parseOutputCommand('hello')).toBeUndefined();
    expect(parseOutputCommand(' ::procvisor::ready')).toBeUndefined();
    expect(parseOutputCommand('::procvisor:ready')).toBeUndefined();
    expect(parseOutputCommand('')).toBeUndefined();
  });

  it.each([
    ['::procvisor::ready', { type: 'ready', data: undefined }],
    ['::procvisor::ready {"port":8080}', { type: 'ready', data: { port: 8080 } }],
    ['::procvisor::ready  [1, 2] ', { type: 'ready', data: [1, 2] }],
    ['::procvisor::ready listening on 8080', { type: 'ready', data: 'listening on 8080' }],
    ['::procvisor::heartbeat', { type: 'heartbeat' }],
    ['::procvisor::heartbeat  ', { type: 'heartbeat' }],
    ['::procvisor::status warming up caches', { type: 'status', status: 'warming up caches' }],
    ['::procvisor::metric queue_depth 42', { type: 'metric', name: 'queue_depth', value: 42 }],
    ['::procvisor::metric latency -1.5e3', { type: 'metric', name: 'latency', value: -1500 }],
    ['::procvisor::metric ratio .25', { type: 'metric', name: 'ratio', value: 0.25 }],
  ])('parses %j', (line, command) => {
    expect(parseOutputCommand(line)).toEqual(command);
  });

  it.each([
    ['::procvisor::', /no command/],
    ['::procvisor::   ', /no command/],
    ['::procvisor::launch now', /unknown command `launch`/],
    ['::procvisor::READY', /unknown command `READY`/],
    ['::procvisor::heartbeat 3', /no argument/],
    ['::procvisor::status', /needs a text/],
    ['::procvisor::metric', /name and a number/],
    ['::procvisor::metric depth', /name and a number/],
    ['::procvisor::metric depth 1 2', /name and a number/],
    ['::procvisor::metric depth many', /needs a finite number, got `many`/],
    ['::procvisor::metric depth 0x10', /finite number/],
    ['::procvisor::metric depth 1e999', /finite number/],
    ['::procvisor::metric depth Infinity', /finite number/],
  ])('reports %j as malformed', (line, reason) => {
    const result = parseOutputCommand(line);
    expect(result).toHaveProperty('malformed');
    expect((result as { malformed: string }).malformed).toMatch(reason);
  });
});
