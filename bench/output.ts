/**
 * Output pipeline cost: 1M lines through LineSplitter + RingBuffer (what the manager does per line)
 * against the least a correct line reader must do (StringDecoder + indexOf loop).
 *
 * Standalone: `npx tsx bench/output.ts`.
 */
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import type { OutputLine } from '../src/api/types.js';
import { LineSplitter, RingBuffer } from '../src/output/index.js';
import { formatFigure, median, type BenchFigure } from './lib.js';

const LINES = 1_000_000;
const CHUNK = 64 * 1024;
const RUNS = 7;

/** ~40-byte log lines, every 100th with a non-ASCII character, cut into 64 KiB chunks (lines span chunks). */
function generate(): Buffer[] {
  const parts: string[] = [];
  for (let i = 0; i < LINES; i++) {
    parts.push(`[${String(i).padStart(7, '0')}] worker ${i % 8} handled req ${i % 100 === 0 ? 'é' : 'x'}\n`);
  }
  const all = Buffer.from(parts.join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

/** The baseline: the minimal correct splitter, with a no-op callback. Returns the line count. */
function rawSplit(chunks: Buffer[]): number {
  let count = 0;
  const onLine = (_line: string): void => {
    count++;
  };
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for (const chunk of chunks) {
    const text = decoder.write(chunk);
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl !== -1 && pending !== '') {
      onLine(pending + text.slice(0, nl));
      pending = '';
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    while (nl !== -1) {
      onLine(text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    pending += text.slice(start);
  }
  const last = pending + decoder.end();
  if (last !== '') onLine(last);
  return count;
}

/** procvisor's path without a mask: split, stamp (once per chunk, as the worker does), keep in the default 1000-line ring. */
function pipeline(chunks: Buffer[]): number {
  const ring = new RingBuffer<OutputLine>(1000);
  let count = 0;
  let time = 0;
  const splitter = new LineSplitter((line) => {
    count++;
    ring.push({ stream: 'stdout', line, time });
  });
  for (const chunk of chunks) {
    time = Date.now();
    splitter.push(chunk);
  }
  time = Date.now();
  splitter.end();
  return count;
}

/** LineSplitter alone with a no-op callback: the splitter's own cost, for the notes. */
function splitterOnly(chunks: Buffer[]): number {
  let count = 0;
  const splitter = new LineSplitter(() => {
    count++;
  });
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return count;
}

/** Measures the output figure (about 6 s). */
export async function run(): Promise<BenchFigure[]> {
  const chunks = generate();
  const megabytes = chunks.reduce((sum, c) => sum + c.length, 0) / 1024 / 1024;
  // Both must see every line, or the comparison means nothing.
  for (const fn of [rawSplit, pipeline, splitterOnly]) {
    const count = fn(chunks);
    if (count !== LINES) throw new Error(`${fn.name} saw ${count} lines, expected ${LINES}`);
  }
  // The count check above warmed both up; alternate runs so drift (GC, turbo) hits both alike.
  const raw: number[] = [];
  const ours: number[] = [];
  const split: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    raw.push(time(() => rawSplit(chunks)));
    ours.push(time(() => pipeline(chunks)));
    split.push(time(() => splitterOnly(chunks)));
  }
  const value = median(ours);
  const baseline = median(raw);
  return [
    {
      name: 'consuming 1M output lines',
      unit: 'ms',
      value,
      baseline,
      baselineName: 'StringDecoder + indexOf splitter',
      goal: { ratio: 1.3 },
      notes: [
        `${megabytes.toFixed(1)} MiB in ${chunks.length} chunks of 64 KiB, median of ${RUNS} runs`,
        `procvisor: LineSplitter + RingBuffer(1000) push of {stream, line, time}, ${((value * 1e6) / LINES).toFixed(0)} ns/line`,
        `LineSplitter alone (no-op callback): ${median(split).toFixed(2)} ms → ${(median(split) / baseline).toFixed(2)}×`,
        'LineSplitter decodes a chunk with non-ASCII text in ~1 KiB blocks cut at line ends, the baseline whole chunks: on pure-ASCII text both decode alike and the ratio is higher',
      ],
    },
  ];
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
