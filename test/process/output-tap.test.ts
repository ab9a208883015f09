/**
 * The output tap of one stream (src/process/output-tap.ts): lines and a stream's unended last line
 * reach the owner; the splitter and the incarnation's partial flusher are made with the first chunk,
 * so a stream that never writes costs neither, and its end reports nothing.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PartialFlusher } from '../../src/output/lines.js';
import type { Incarnation } from '../../src/process/incarnation.js';
import { OutputTap, type TapOwner } from '../../src/process/output-tap.js';
import { FakeClock } from '../clock.js';

/** An owner that records what its taps report and how often a flusher was asked for. */
function owner(clock = new FakeClock()): TapOwner & { lines: string[]; partialTexts: string[]; flushers: number } {
  let flusher: PartialFlusher | undefined;
  const self = {
    lines: [] as string[],
    partialTexts: [] as string[],
    flushers: 0,
    outputLine: (tap: OutputTap, raw: string) => self.lines.push(`${tap.stream}:${raw}`),
    outputPartial: (tap: OutputTap, text: string) => self.partialTexts.push(`${tap.stream}:${text}`),
    now: () => clock.now(),
    partials: () => {
      self.flushers++;
      return (flusher ??= new PartialFlusher(clock, 100));
    },
  };
  return self;
}

/** Resolves once `stream` has emitted `end` (its listeners, the tap's among them, have run). */
function ended(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => stream.once('end', () => resolve()));
}

const INC = {} as Incarnation;

describe('OutputTap', () => {
  it('a stream that writes nothing asks for no flusher, and its end reports no line', async () => {
    const o = owner();
    const tap = new OutputTap(o, INC, 'stdout');
    const stream = new PassThrough();
    tap.attach(stream);
    stream.end();
    await ended(stream);
    expect(o.flushers).toBe(0);
    expect(o.lines).toEqual([]);
  });

  it('lines, the unended last one at the end; the flusher is asked for once per stream, at its first chunk', async () => {
    const o = owner();
    const out = new PassThrough();
    const err = new PassThrough();
    new OutputTap(o, INC, 'stdout').attach(out);
    new OutputTap(o, INC, 'stderr').attach(err);
    out.write('a\nb');
    await new Promise((resolve) => setImmediate(resolve));
    expect(o.flushers).toBe(1);
    out.write('c\nd\n');
    err.write('e');
    out.end();
    err.end();
    await Promise.all([ended(out), ended(err)]);
    expect(o.flushers).toBe(2);
    expect(o.lines).toEqual(['stdout:a', 'stdout:bc', 'stdout:d', 'stderr:e']);
  });

  it('unended text waits for the flusher of its incarnation, on the owner\'s clock', async () => {
    const clock = new FakeClock();
    const o = owner(clock);
    const stream = new PassThrough();
    new OutputTap(o, INC, 'stdout').attach(stream);
    stream.write('prompt> ');
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(99);
    expect(o.partialTexts).toEqual([]);
    await clock.advance(1);
    expect(o.partialTexts).toEqual(['stdout:prompt> ']);
    stream.end('yes\n');
    await ended(stream);
    expect(o.lines).toEqual(['stdout:yes']);
  });

  it('one tap per stream: a second would read every chunk twice', () => {
    const o = owner();
    const stream = new PassThrough();
    new OutputTap(o, INC, 'stdout').attach(stream);
    expect(() => new OutputTap(o, INC, 'stdout').attach(stream)).toThrow(/one tap only/);
  });
});
