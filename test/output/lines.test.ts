import fc from 'fast-check';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it, vi } from 'vitest';
import { LineSplitter, truncationMarker } from '../../src/output/lines.js';

/** Feeds `chunks` to a fresh splitter, ends it, and returns every line emitted. */
function splitAll(chunks: (Buffer | string)[], maxLineBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineBytes);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

/** Cuts `bytes` at the given offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [0, ...[...offsets].sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

/** Reference model, written independently of the splitter: whole-text split, then cut by code points. */
function expected(text: string, max = Infinity): string[] {
  const parts = text.split('\n');
  const last = parts.pop() as string;
  if (last !== '') parts.push(last);
  return parts.map((raw) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const total = Buffer.byteLength(line);
    if (total <= max) return line;
    let kept = '';
    let bytes = 0;
    for (const char of line) {
      const size = Buffer.byteLength(char);
      if (bytes + size > max) break;
      kept += char;
      bytes += size;
    }
    return kept + truncationMarker(total - bytes);
  });
}

// Multi-byte characters of 2, 3 and 4 bytes, a `\r\n`, an empty line, a lone `\r` and no final newline.
const TRICKY = 'ab\r\nhé€𝄞llo\n\r\nx\ry\nlast';
const TRICKY_LINES = ['ab', 'hé€𝄞llo', '', 'x\ry', 'last'];

describe('LineSplitter', () => {
  it('splits lines and strips \\r before \\n', () => {
    expect(splitAll([Buffer.from(TRICKY)])).toEqual(TRICKY_LINES);
    expect(expected(TRICKY)).toEqual(TRICKY_LINES);
  });

  it('gives the same lines whatever one or two cuts split the bytes (inside characters and \\r\\n too)', () => {
    const bytes = Buffer.from(TRICKY);
    for (let i = 0; i <= bytes.length; i++) {
      expect(splitAll(cut(bytes, [i])), `cut at ${i}`).toEqual(TRICKY_LINES);
      for (let j = i; j <= bytes.length; j++) {
        expect(splitAll(cut(bytes, [i, j])), `cuts at ${i}, ${j}`).toEqual(TRICKY_LINES);
      }
    }
  });

  it('gives the same lines fed one byte at a time', () => {
    const bytes = Buffer.from(TRICKY);
    expect(splitAll([...bytes].map((b) => Buffer.from([b])))).toEqual(TRICKY_LINES);
  });

  it('matches the reference model for random texts, chunkings and limits', () => {
    const unit = fc.oneof(fc.constantFrom('a', ' ', '\r', '\n', '\n', 'é', '€', '𝄞'), fc.string({ unit: 'binary', maxLength: 1 }));
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 80 }),
        fc.array(fc.nat(400), { maxLength: 8 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        (text, offsets, max) => {
          const bytes = Buffer.from(text);
          const chunks = cut(bytes, offsets.map((o) => o % (bytes.length + 1)));
          expect(splitAll(chunks, max)).toEqual(expected(text, max));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('cuts a long line at maxLineBytes and says how much was dropped', () => {
    expect(splitAll(['0123456789abcdefghijklmno\nok\n'], 10)).toEqual([`0123456789${truncationMarker(15)}`, 'ok']);
    expect(truncationMarker(15)).toBe(' …[truncated 15 bytes]');
  });

  it('cuts on a character boundary and counts bytes, not characters', () => {
    // 'é' is 2 bytes: 5 bytes hold two of them, the other four (8 bytes) are dropped.
    expect(splitAll(['éééééé\n'], 5)).toEqual([`éé${truncationMarker(8)}`]);
  });

  it('cuts the same way when the long line arrives in small chunks, and does not count its \\r', () => {
    const line = `${'x'.repeat(50)}\r\n`;
    const want = [`${'x'.repeat(20)}${truncationMarker(30)}`, 'next'];
    for (const size of [1, 2, 3, 7, 21, 22, 23]) {
      const text = `${line}next\r\n`;
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(splitAll(chunks, 20), `chunks of ${size}`).toEqual(want);
    }
  });

  it('keeps a line of exactly maxLineBytes whole even when its \\r\\n arrives separately', () => {
    expect(splitAll(['abcde\r', '\n'], 5)).toEqual(['abcde']);
    expect(splitAll(['abcde', '\r', '\n', 'abcdef\r', '\n'], 5)).toEqual(['abcde', `abcde${truncationMarker(1)}`]);
  });

  it('holds no more than maxLineBytes of an endless line', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 1024);
    const chunk = Buffer.alloc(64 * 1024, 'y');
    for (let i = 0; i < 160; i++) splitter.push(chunk); // 10 MiB without a newline
    const state = splitter as unknown as { pending: string; dropped: number };
    expect(state.pending.length).toBeLessThanOrEqual(1024);
    expect(state.dropped).toBe(160 * 64 * 1024 - 1024);
    expect(lines).toEqual([]);
    splitter.push('\nafter\n');
    expect(lines).toEqual([`${'y'.repeat(1024)}${truncationMarker(160 * 64 * 1024 - 1024)}`, 'after']);
  });

  it('end() flushes a last line without newline, and nothing when there is none', () => {
    expect(splitAll(['abc'])).toEqual(['abc']);
    expect(splitAll(['abc\n'])).toEqual(['abc']);
    expect(splitAll([])).toEqual([]);
    expect(splitAll(['abc\r'])).toEqual(['abc']);
  });

  it('end() turns an incomplete character into U+FFFD', () => {
    expect(splitAll([Buffer.from('x€').subarray(0, 3)])).toEqual(['x\uFFFD']);
  });

  it('can be reused after end()', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('one');
    splitter.end();
    splitter.push('two\nthree');
    splitter.end();
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('takes strings as already decoded text', () => {
    expect(splitAll(['a€', '\r', '\nb', '\n'])).toEqual(['a€', 'b']);
  });

  describe('chunks with multi-byte characters, decoded in blocks between line ends', () => {
    /** Log lines, every 7th with a character of 2, 3 or 4 bytes, some CRLF, some empty. */
    function logText(lines: number): string {
      const extra = ['é', '€', '𝄞'];
      let text = '';
      for (let i = 0; i < lines; i++) {
        const char = i % 7 === 0 ? extra[i % 3] : 'x';
        text += i % 13 === 0 ? '\r\n' : `[${String(i).padStart(5, '0')}] worker ${i % 4} handled ${char}${i % 5 === 0 ? '\r' : ''}\n`;
      }
      return text;
    }

    it('gives the same lines as decoding whole chunks, chunks cut inside characters included', () => {
      const text = logText(3000);
      const bytes = Buffer.from(text);
      const toString = vi.spyOn(Buffer.prototype, 'toString');
      try {
        for (const size of [4096, 4097, 4098, 4099, 64 * 1024]) {
          const chunks: Buffer[] = [];
          for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
          toString.mockClear();
          expect(splitAll(chunks), `chunks of ${size}`).toEqual(expected(text));
          // The block path was taken (StringDecoder does not call Buffer#toString).
          expect(toString.mock.calls.length, `chunks of ${size}`).toBeGreaterThan(chunks.length);
        }
      } finally {
        toString.mockRestore();
      }
    });

    it('goes back to whole chunks after an ASCII one, and to blocks after one with multi-byte characters', () => {
      const ascii = 'plain ascii line\n'.repeat(400);
      const mixed = logText(400);
      const text = mixed + ascii + ascii + mixed + mixed;
      const chunks = [mixed, ascii, ascii, mixed, mixed].map((part) => Buffer.from(part));
      expect(splitAll(chunks)).toEqual(expected(text));
    });

    it('matches the decoder for any bytes, invalid UTF-8 included, however the chunks are cut', () => {
      // Pieces of bytes: ASCII runs, line ends, characters of 2–4 bytes, and invalid sequences (a lone
      // continuation byte, truncated characters, an overlong form, an encoded surrogate, 0xFF, a BOM).
      const piece = fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('abcdefghij', 'worker 1 handled request', 'x', ' ').map((t) => Buffer.from(t.repeat(3))) },
        { weight: 4, arbitrary: fc.constantFrom('\n', '\r\n', '\r', '\n\n').map((t) => Buffer.from(t)) },
        { weight: 2, arbitrary: fc.constantFrom('é', '€', '𝄞', '工作').map((t) => Buffer.from(t)) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom([0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9d, 0x84], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xef, 0xbb, 0xbf])
            .map((b) => Buffer.from(b)),
        },
      );
      fc.assert(
        fc.property(
          fc.array(piece, { minLength: 1, maxLength: 1500, size: 'max' }),
          fc.array(fc.nat(), { maxLength: 6, size: 'max' }),
          fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined, freq: 3 }),
          (pieces, offsets, max) => {
            const bytes = Buffer.concat(pieces);
            const chunks = cut(bytes, offsets.map((o) => o % (bytes.length + 1)));
            const decoder = new StringDecoder('utf8');
            const text = chunks.map((chunk) => decoder.write(chunk)).join('') + decoder.end();
            expect(splitAll(chunks, max)).toEqual(expected(text, max));
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
