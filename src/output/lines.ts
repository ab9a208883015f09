/**
 * Splits a child's output stream into lines. This is the hot path: every byte a supervised child
 * writes goes through `push`, so the common case (a whole line inside one chunk) is a single
 * `indexOf` + `slice` on the decoded chunk and nothing else.
 */
import { StringDecoder } from 'node:string_decoder';
import { TUNING } from '../api/tuning.js';

const LF = '\n';
const CR = 13;

/** The text put after a line cut at `maxLineBytes`; `dropped` is how many bytes were discarded. */
export function truncationMarker(dropped: number): string {
  return ` …[truncated ${dropped} bytes]`;
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character, and returns the
 * kept text with its byte length. Only called when a line is too long, so allocating is fine.
 */
function cutUtf8(text: string, maxBytes: number): { text: string; bytes: number } {
  const scratch = Buffer.allocUnsafe(maxBytes);
  // Buffer#write never writes a partially encoded character, so the cut lands on a boundary.
  const bytes = scratch.write(text, 0, 'utf8');
  return { text: scratch.toString('utf8', 0, bytes), bytes };
}

/**
 * Turns chunks of a byte stream into lines, in order, each exactly once.
 *
 * - Lines end at `\n`; a `\r` before it is removed (so `\r\n` works), lone `\r`s are kept.
 * - Chunks may cut a line, a `\r\n` pair or a multi-byte UTF-8 character anywhere: bytes are decoded
 *   with a `StringDecoder`, which holds an incomplete character back until its next byte arrives.
 * - A line longer than `maxLineBytes` UTF-8 bytes is emitted cut to that length (on a character
 *   boundary) followed by {@link truncationMarker}; the rest of it is counted and dropped as it
 *   arrives, so an endless line never costs more than `maxLineBytes` of memory.
 * - {@link LineSplitter.end} flushes a last line that has no `\n`.
 *
 * Byte counts are of the decoded text re-encoded as UTF-8, so an invalid byte counts as the three
 * bytes of its U+FFFD replacement. If `onLine` throws, the rest of that chunk is lost.
 *
 * Lines are slices of the decoded chunk, which V8 keeps alive while a line is referenced. A ring
 * buffer holds a contiguous tail of lines, so that costs at most one partly used chunk beyond the
 * lines themselves; copying every line to avoid it would nearly double the cost of the hot path (measured).
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  /** Start of the current line when it began in an earlier chunk; '' when there is none. */
  private pending = '';
  /** UTF-8 bytes in `pending`. */
  private pendingBytes = 0;
  /** Bytes of the current line already dropped; > 0 means the line was cut and we are skipping to its end. */
  private dropped = 0;
  /** Whether the last dropped character was a `\r`, which is not counted if a `\n` follows. */
  private droppedCR = false;

  /**
   * @param onLine called synchronously for each complete line, without its line ending.
   * @param maxLineBytes longest line kept whole, in UTF-8 bytes.
   */
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes: number = TUNING.maxLineBytes,
  ) {}

  /** Feeds the next chunk. Strings are taken as already decoded text. */
  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? this.decoder.end() + chunk : this.decoder.write(chunk);
    this.consume(text);
  }

  /** Ends the stream: emits the last line if it had no `\n`, and resets for reuse. */
  end(): void {
    this.consume(this.decoder.end());
    if (this.pending !== '' || this.dropped > 0) this.finish('');
  }

  private consume(text: string): void {
    const onLine = this.onLine;
    const max = this.maxLineBytes;
    let start = 0;
    let nl = text.indexOf(LF);
    // Only the first line of a chunk can continue an earlier one.
    if (nl !== -1 && (this.pending !== '' || this.dropped > 0)) {
      this.finish(text.slice(0, nl));
      start = nl + 1;
      nl = text.indexOf(LF, start);
    }
    while (nl !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      // UTF-16 length × 3 bounds the UTF-8 length, so short lines skip the byte count entirely.
      if ((end - start) * 3 > max) this.emitMeasured(text.slice(start, end));
      else onLine(text.slice(start, end));
      start = nl + 1;
      nl = text.indexOf(LF, start);
    }
    if (start < text.length) this.append(start === 0 ? text : text.slice(start));
  }

  /** Adds the unterminated tail of a chunk to the current line. */
  private append(piece: string): void {
    const bytes = Buffer.byteLength(piece, 'utf8');
    if (this.dropped > 0) {
      this.dropped += bytes;
      this.droppedCR = piece.charCodeAt(piece.length - 1) === CR;
      return;
    }
    this.pending += piece;
    this.pendingBytes += bytes;
    // One byte of slack: a trailing `\r` may turn out to be half of `\r\n` and not part of the line.
    if (this.pendingBytes > this.maxLineBytes + 1) {
      const kept = cutUtf8(this.pending, this.maxLineBytes);
      this.dropped = this.pendingBytes - kept.bytes;
      this.droppedCR = this.pending.charCodeAt(this.pending.length - 1) === CR;
      this.pending = kept.text;
      this.pendingBytes = kept.bytes;
    }
  }

  /** Completes the current line with `last` (the text before its `\n`) and emits it. */
  private finish(last: string): void {
    if (this.dropped > 0) {
      let dropped = this.dropped;
      let endsWithCR = this.droppedCR;
      if (last !== '') {
        dropped += Buffer.byteLength(last, 'utf8');
        endsWithCR = last.charCodeAt(last.length - 1) === CR;
      }
      if (endsWithCR) dropped -= 1;
      const kept = this.pending;
      this.reset();
      this.onLine(kept + truncationMarker(dropped));
      return;
    }
    let line = this.pending + last;
    let bytes = this.pendingBytes + Buffer.byteLength(last, 'utf8');
    this.reset();
    if (line.charCodeAt(line.length - 1) === CR) {
      line = line.slice(0, -1);
      bytes -= 1;
    }
    if (bytes > this.maxLineBytes) this.emitCut(line, bytes);
    else this.onLine(line);
  }

  /** Emits a whole line that might be too long. */
  private emitMeasured(line: string): void {
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > this.maxLineBytes) this.emitCut(line, bytes);
    else this.onLine(line);
  }

  private emitCut(line: string, bytes: number): void {
    const kept = cutUtf8(line, this.maxLineBytes);
    this.onLine(kept.text + truncationMarker(bytes - kept.bytes));
  }

  private reset(): void {
    this.pending = '';
    this.pendingBytes = 0;
    this.dropped = 0;
    this.droppedCR = false;
  }
}
