/**
 * The live display: log lines written above the table in batches, the table redrawn below them,
 * at most once per interval however many lines arrive. Time is vitest's fake clock; the terminal
 * is a stream that records what it is sent.
 */
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveDisplay } from '../../src/cli/ui/live.js';

/** A terminal of 80×24 that keeps everything written to it. */
function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 80, rows: 24 });
  // Plain text: escape sequences (cursor moves, erases, synchronized output) left out.
  return { stream, text: () => stripVTControlCharacters(written) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LiveDisplay', () => {
  it('writes lines above the table, in batches, redrawing at most once per interval', () => {
    const { stream, text } = terminal();
    let frames = 0;
    const display = new LiveDisplay({ stream, render: () => `TABLE ${++frames}`, minInterval: 100, tick: 60_000 });
    expect(text()).toBe('TABLE 1\n');
    vi.advanceTimersByTime(100);
    for (let i = 0; i < 50; i++) display.lines.write(`line ${i}\n`);
    // Nothing written before the batch goes out.
    expect(text()).toBe('TABLE 1\n');
    vi.advanceTimersByTime(0);
    expect(frames).toBe(2);
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join('');
    expect(text()).toBe(`TABLE 1\n${lines}TABLE 2\n`);
    // The next batch waits for the interval.
    display.log('late\n');
    vi.advanceTimersByTime(99);
    expect(frames).toBe(2);
    vi.advanceTimersByTime(1);
    expect(frames).toBe(3);
    expect(text().endsWith('late\nTABLE 3\n')).toBe(true);
    display.close();
  });

  it('redraws on invalidate and on its tick; close leaves the last table and writes through after', () => {
    const { stream, text } = terminal();
    let frames = 0;
    const display = new LiveDisplay({ stream, render: () => `TABLE ${++frames}`, minInterval: 100, tick: 1000 });
    display.invalidate();
    vi.advanceTimersByTime(100);
    expect(frames).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(frames).toBe(3);
    display.log('pending');
    display.close();
    // A line without its end gets one; the last table stays below it.
    expect(text().endsWith('pending\nTABLE 4\n')).toBe(true);
    display.log('after\n');
    expect(text().endsWith('TABLE 4\nafter\n')).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(frames).toBe(4);
  });
});
