/**
 * One output stream of one incarnation, read into lines: the line splitter's sink, the partial
 * flusher's source and the stream's listener in one object. Every live process has two of them, so
 * they hold no closures: the stream's `data` and `end` listeners are shared functions that find
 * their tap by the stream they are called on (an EventEmitter calls a listener with `this` set to
 * itself), and the splitter and the flusher call the tap's methods. Per stream that is one small
 * object where it was five closures, their context and the flusher's record (~300 bytes).
 */
import type { Readable } from 'node:stream';
import { LineSplitter, type LineSink, type PartialFlusher, type PartialSource } from '../output/index.js';
import type { Incarnation } from './incarnation.js';

/** What a tap reports to: the process worker. */
export interface TapOwner {
  /** A whole line the tap's stream wrote (its chunk was read at `tap.time`). */
  outputLine(tap: OutputTap, raw: string): void;
  /** Unended text of the tap's stream that waited too long for its line end. */
  outputPartial(tap: OutputTap, text: string): void;
  /** The owner's clock: when a chunk was read. */
  now(): number;
}

/** The tap of each stream being read. */
const taps = new WeakMap<Readable, OutputTap>();

function onData(this: Readable, chunk: Buffer): void {
  taps.get(this)?.data(chunk);
}

function onEnd(this: Readable): void {
  taps.get(this)?.end();
}

/** A read error ends the stream; the process's exit tells what happened. */
function ignore(): void {}

/** Reads one output stream of an incarnation into lines and partial lines for its owner. */
export class OutputTap implements LineSink, PartialSource {
  readonly splitter: LineSplitter;
  since: number | undefined = undefined;
  generation = 0;
  /** Clock time of the chunk being split: the lines of one chunk share it (one clock read per chunk). */
  time = 0;

  constructor(
    private readonly owner: TapOwner,
    readonly inc: Incarnation,
    readonly stream: 'stdout' | 'stderr',
    private readonly flusher: PartialFlusher,
    maxLineBytes: number,
  ) {
    this.splitter = new LineSplitter(this, maxLineBytes);
    flusher.watch(this);
  }

  /** Starts reading `readable` (a stream has one tap: a second would read every chunk twice). */
  attach(readable: Readable): void {
    if (taps.has(readable)) throw new Error('internal: an output stream is read by one tap only');
    taps.set(readable, this);
    readable.on('data', onData);
    // `on`, not `once`, for events that fire once anyway: a `once` wrapper is ~200 bytes of every
    // live process.
    readable.on('end', onEnd);
    readable.on('error', ignore);
  }

  /** A chunk arrived. */
  data(chunk: Buffer): void {
    this.time = this.owner.now();
    this.splitter.push(chunk);
    this.flusher.pushed(this, this.time);
  }

  /** The stream ended: its last unended line is a line. */
  end(): void {
    this.time = this.owner.now();
    this.splitter.end();
    this.flusher.pushed(this, this.time);
  }

  /** {@link LineSink}: a whole line. */
  line(text: string): void {
    this.owner.outputLine(this, text);
  }

  /** {@link PartialSource}: unended text that waited long enough. */
  partial(text: string): void {
    this.owner.outputPartial(this, text);
  }
}
