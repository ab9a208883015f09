/**
 * Splits a child's output stream into lines. This is the hot path: every byte a supervised child
 * writes goes through `push`, so the common case (a whole line inside one chunk) is a single
 * `indexOf` + `slice` on the decoded chunk and nothing else. Text left without its line end is
 * flushed as a partial line by a {@link PartialFlusher}, whose work is per chunk, never per line.
 */
import { StringDecoder } from 'node:string_decoder';
import { TUNING } from '../api/tuning.js';
import type { Clock, ClockTimer } from '../api/types.js';

const LF = '\n';
const LF_BYTE = 10;
const CR = 13;
/**
 * About how many bytes of a chunk with multi-byte characters are decoded at once
 * ({@link LineSplitter}): small, so that an occasional non-ASCII character slows the decoding of
 * little text after it; large enough that the calls cost little against the decoding.
 */
const BLOCK = 1024;

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

/** Where a {@link LineSplitter} sends its lines: an object, so a live stream needs no closure for it. */
export interface LineSink {
  /** Called synchronously for each complete line, without its line ending. */
  line(text: string): void;
}

/**
 * Turns chunks of a byte stream into lines, in order, each exactly once.
 *
 * - Lines end at `\n`; a `\r` before it is removed (so `\r\n` works). A lone `\r` (a progress bar
 *   redrawing its line) is not a line end: it is kept in the line's text.
 * - Chunks may cut a line, a `\r\n` pair or a multi-byte UTF-8 character anywhere: bytes are decoded
 *   with a `StringDecoder`, which holds an incomplete character back until its next byte arrives
 *   (the text between a chunk's first and last line end may be decoded without it, in blocks: the
 *   same text, faster; {@link LineSplitter.pushInBlocks}).
 * - A line longer than `maxLineBytes` UTF-8 bytes is emitted cut to that length (on a character
 *   boundary) followed by {@link truncationMarker}; the rest of it is counted and dropped as it
 *   arrives, so an endless line never costs more than `maxLineBytes` of memory.
 * - {@link LineSplitter.end} flushes a last line that has no `\n`.
 * - {@link LineSplitter.flush} takes the text of an unended line so far (a prompt, a progress bar),
 *   for the owner to show as a partial line; the rest of that line, when it comes, is a line of its
 *   own. A line end that comes right after a flush only ends the flushed line: no empty line.
 *   The splitter keeps no timer: its owner decides when to flush ({@link PartialFlusher}).
 *
 * Byte counts are of the decoded text re-encoded as UTF-8, so an invalid byte counts as the three
 * bytes of its U+FFFD replacement. If the sink throws, the rest of that chunk is lost.
 *
 * Lines are slices of the decoded chunk (or block), which V8 keeps alive while a line is referenced.
 * A ring buffer holds a contiguous tail of lines, so that costs at most one partly used chunk beyond
 * the lines themselves; copying every line to avoid it would nearly double the cost of the hot path (measured).
 */
export class LineSplitter {
  /**
   * Made when a chunk ends inside a multi-byte character (or may: its last byte is not ASCII).
   * Until then a chunk is whole text, decoded as the decoder would: most processes never write
   * anything else, and each stream's decoder with its native buffer was ~450 bytes of every child.
   */
  private decoder: StringDecoder | undefined;
  /** Start of the current line when it began in an earlier chunk; '' when there is none. */
  private pending = '';
  /** UTF-8 bytes in `pending`. */
  private pendingBytes = 0;
  /** Bytes of the current line already dropped; > 0 means the line was cut and we are skipping to its end. */
  private dropped = 0;
  /** Whether the last dropped character was a `\r`, which is not counted if a `\n` follows. */
  private droppedCR = false;
  /** Whether the start of the current line was flushed: a line end right away then emits nothing. */
  private continued = false;
  /**
   * Counts the lines that began in an earlier chunk and ended (or were flushed, or the stream
   * ended): a change tells the owner that the unended text it saw is not the one there now.
   */
  private ends = 0;
  /** Whether the last chunk had multi-byte characters: the next is decoded in blocks ({@link LineSplitter.pushInBlocks}). */
  private mixed = false;

  private readonly sink: LineSink;

  /**
   * @param sink gets each complete line, synchronously, without its line ending (a function is
   *   called with the line).
   * @param maxLineBytes longest line kept whole, in UTF-8 bytes.
   */
  constructor(
    sink: LineSink | ((line: string) => void),
    private readonly maxLineBytes: number = TUNING.maxLineBytes,
  ) {
    this.sink = typeof sink === 'function' ? { line: sink } : sink;
  }

  /** Feeds the next chunk. Strings are taken as already decoded text. */
  push(chunk: Buffer | string): void {
    if (typeof chunk === 'string') return this.consume(this.decoder === undefined ? chunk : this.decoder.end() + chunk);
    if (this.mixed && chunk.length >= 2 * BLOCK && this.pushInBlocks(chunk)) return;
    const text = this.decode(chunk);
    // Fewer UTF-16 units than bytes: multi-byte characters (or the start of one held back).
    this.mixed = text.length < chunk.length;
    this.consume(text);
  }

  /**
   * Decodes a chunk in blocks cut after line ends, when the chunk before it had multi-byte
   * characters; returns false, having done nothing, when the chunk has too few line ends for it.
   * V8 decodes the ASCII text before the first non-ASCII byte of a string as a plain copy, and the
   * rest byte by byte, several times slower: 1 M log lines, every 100th with an `é`, decode about
   * 2.5× faster in blocks of {@link BLOCK} bytes than in chunks of 64 KiB (measured). A block that
   * was not all ASCII doubles the size of the next, so text that is non-ASCII throughout, which
   * gains nothing, soon goes in a few large blocks; a chunk that was all ASCII sends the next one
   * back to the decoder whole, so ASCII output never pays for any of this.
   *
   * The text is exactly what the decoder would give for the whole chunk: a line end is a whole
   * character, which ends any incomplete one before it (and a decoder has nothing held back after
   * it), so no character spans a cut after a line end. The bytes up to the first line end and after
   * the last still go through the decoder, for what it holds back between chunks.
   */
  private pushInBlocks(chunk: Buffer): boolean {
    const first = chunk.indexOf(LF_BYTE);
    const last = first === -1 ? -1 : chunk.lastIndexOf(LF_BYTE);
    if (last - first < BLOCK) return false;
    let mixed = false;
    // Up to the first line end through the decoder: it may hold the start of a character from the
    // chunk before.
    this.consume(this.decode(chunk.subarray(0, first + 1)));
    let start = first + 1;
    let size = BLOCK;
    while (start <= last) {
      // `last` is a line end, so a search from before it finds one.
      const end = start + size > last ? last + 1 : chunk.indexOf(LF_BYTE, start + size) + 1;
      const text = chunk.toString('utf8', start, end);
      if (text.length === end - start) size = BLOCK;
      else {
        size *= 2;
        mixed = true;
      }
      start = end;
      this.consume(text);
    }
    // The unended rest through the decoder: it holds back a character cut at the chunk's end.
    if (start < chunk.length) this.consume(this.decode(chunk.subarray(start)));
    // A chunk all ASCII between its first and last line ends: the next is decoded whole again.
    this.mixed = mixed;
    return true;
  }

  /**
   * The text of `bytes` as a UTF-8 decoder fed the stream so far gives it: directly while no
   * decoder was needed and the bytes end on an ASCII byte (nothing to hold back), else through the
   * decoder, made then.
   */
  private decode(bytes: Buffer): string {
    if (this.decoder === undefined) {
      if (bytes.length === 0 || (bytes[bytes.length - 1] as number) < 0x80) return bytes.toString('utf8');
      this.decoder = new StringDecoder('utf8');
    }
    return this.decoder.write(bytes);
  }

  /** Ends the stream: emits the last line if it had no `\n`, and resets for reuse. */
  end(): void {
    if (this.decoder !== undefined) this.consume(this.decoder.end());
    if (this.pending !== '' || this.dropped > 0) this.finish('');
    else this.reset();
  }

  /** Whether text of an unended line is waiting: what {@link LineSplitter.flush} would emit. */
  get hasPartial(): boolean {
    return this.pending !== '' || this.dropped > 0;
  }

  /**
   * A number that changes whenever an unended line is completed, flushed or ended: the owner of a
   * flush timer compares it to know whether the unended text it timed is still the one waiting.
   */
  get generation(): number {
    return this.ends;
  }

  /**
   * Takes the text of the unended line so far, as it is (a lone `\r` kept; a line cut at
   * `maxLineBytes` with its marker), and returns it, or undefined when nothing waits. The rest of
   * that line, when it comes, is a line of its own. Bytes of a multi-byte character not yet
   * complete stay in the decoder and go with the rest.
   */
  flush(): string | undefined {
    if (!this.hasPartial) return undefined;
    const text = this.dropped > 0 ? this.pending + truncationMarker(this.dropped) : this.pending;
    this.reset();
    this.continued = true;
    return text;
  }

  private consume(text: string): void {
    const sink = this.sink;
    const max = this.maxLineBytes;
    let start = 0;
    let nl = text.indexOf(LF);
    // Only the first line of a chunk can continue an earlier one (or end a flushed one).
    if (nl !== -1 && (this.pending !== '' || this.dropped > 0 || this.continued)) {
      this.finish(text.slice(0, nl));
      start = nl + 1;
      nl = text.indexOf(LF, start);
    }
    while (nl !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      // UTF-16 length × 3 bounds the UTF-8 length, so short lines skip the byte count entirely.
      if ((end - start) * 3 > max) this.emitMeasured(text.slice(start, end));
      else sink.line(text.slice(start, end));
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
      this.sink.line(kept + truncationMarker(dropped));
      return;
    }
    let line = this.pending + last;
    let bytes = this.pendingBytes + Buffer.byteLength(last, 'utf8');
    const continued = this.continued;
    this.reset();
    if (line.charCodeAt(line.length - 1) === CR) {
      line = line.slice(0, -1);
      bytes -= 1;
    }
    // The line end of a flushed line: the text was shown already.
    if (continued && line === '') return;
    if (bytes > this.maxLineBytes) this.emitCut(line, bytes);
    else this.sink.line(line);
  }

  /** Emits a whole line that might be too long. */
  private emitMeasured(line: string): void {
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > this.maxLineBytes) this.emitCut(line, bytes);
    else this.sink.line(line);
  }

  private emitCut(line: string, bytes: number): void {
    const kept = cutUtf8(line, this.maxLineBytes);
    this.sink.line(kept.text + truncationMarker(bytes - kept.bytes));
  }

  private reset(): void {
    this.pending = '';
    this.pendingBytes = 0;
    this.dropped = 0;
    this.droppedCR = false;
    this.continued = false;
    this.ends++;
  }
}

/**
 * One stream a {@link PartialFlusher} watches: the owner's own object (one per live stream, so
 * it carries the flusher's bookkeeping rather than the flusher allocating its own).
 */
export interface PartialSource {
  readonly splitter: LineSplitter;
  /** Gets the unended text that waited long enough. */
  partial(text: string): void;
  /** When its unended text began waiting (clock time), or undefined when none waits (the flusher's). */
  since: number | undefined;
  /** The splitter's generation when `since` was taken (the flusher's). */
  generation: number;
}

/**
 * Flushes the unended lines of one process's output streams once they have waited `interval` ms,
 * so a prompt or a progress bar reaches listeners without its line end. Nothing happens per line:
 * after each chunk the owner calls {@link PartialFlusher.pushed}, which looks at the splitter only.
 * One timer at most for all the streams, on the given clock: armed when a chunk leaves text unended
 * and none is armed; cleared when no unended text is left (a line end, the end of the stream), and
 * for good by {@link PartialFlusher.stop}.
 */
export class PartialFlusher {
  private streams: PartialSource[] = [];
  private timer: ClockTimer | undefined;
  /** When the armed timer is due. */
  private due = 0;
  private stopped = false;

  /**
   * @param clock the owner's clock: the timer and the waiting times.
   * @param interval how long unended text waits before it is flushed, in ms.
   */
  constructor(
    private readonly clock: Clock,
    private readonly interval: number = TUNING.partialFlushInterval,
  ) {}

  /**
   * Watches `stream`: the unended text of its splitter, once it has waited `interval`, goes to its
   * `partial`. Call {@link PartialFlusher.pushed} after every push to the splitter (and its end).
   */
  watch(stream: PartialSource): void {
    stream.since = undefined;
    stream.generation = stream.splitter.generation;
    // Copied at its exact size (two streams at most): a pushed-to empty array reserves 17 slots.
    this.streams = this.streams.concat(stream);
  }

  /** Clears the timer and ignores every later push: the incarnation ended. */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  /** `stream`'s splitter was pushed a chunk (or ended), read at clock time `now`. */
  pushed(stream: PartialSource, now: number): void {
    if (this.stopped) return;
    const { splitter } = stream;
    if (!splitter.hasPartial) {
      if (stream.since !== undefined) {
        stream.since = undefined;
        this.schedule(now);
      }
      return;
    }
    // The same unended text grew: it keeps waiting from when it began.
    if (stream.since !== undefined && stream.generation === splitter.generation) return;
    stream.since = now;
    stream.generation = splitter.generation;
    this.schedule(now);
  }

  /**
   * Arms the timer for the oldest waiting text, or clears it when nothing waits. A timer already
   * armed for an earlier time is kept: when it fires it flushes nothing too young and re-arms. So a
   * fast stream whose chunks all end mid-line costs one timer per interval, not one per chunk.
   */
  private schedule(now: number): void {
    let oldest: number | undefined;
    for (const { since } of this.streams) if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
    if (oldest === undefined) return this.disarm();
    const due = oldest + this.interval;
    if (this.timer !== undefined) {
      if (this.due <= due) return;
      this.clock.clearTimeout(this.timer);
    }
    this.due = due;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, due - now));
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Flushes every text that has waited long enough (the one the timer was armed for at least). */
  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    // A timer may fire a little before its due time as the clock reads it.
    const at = Math.max(now, this.due);
    for (const stream of this.streams) {
      if (stream.since === undefined || stream.since + this.interval > at) continue;
      stream.since = undefined;
      const text = stream.splitter.flush();
      stream.generation = stream.splitter.generation;
      if (text !== undefined) stream.partial(text);
    }
    if (!this.stopped) this.schedule(now);
  }
}
