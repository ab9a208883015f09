/**
 * One output stream of one incarnation, read into lines: the line splitter's sink, the partial
 * flusher's source and the stream's listener in one object. Every live process has two of them, so
 * they hold no closures: the stream's `data` and `end` listeners are shared functions that find
 * their tap by the stream they are called on (an EventEmitter calls a listener with `this` set to
 * itself), and the splitter and the flusher call the tap's methods. The splitter and the
 * incarnation's flusher are made with the first chunk: most supervised processes are servers and
 * workers that write little, and a thousand idle ones kept ~400 bytes each of machinery no line
 * ever went through.
 */
import type { Readable } from 'node:stream';
import { TUNING } from '../api/tuning.js';
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
  /** The flusher of `inc`'s unended lines, made when the first of its streams needs one. */
  partials(inc: Incarnation): PartialFlusher;
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
  #splitter: LineSplitter | undefined;
  /** The incarnation's flusher, once this stream wrote something. */
  #flusher: PartialFlusher | undefined;
  since: number | undefined = undefined;
  generation = 0;
  /** Clock time of the chunk being split: the lines of one chunk share it (one clock read per chunk). */
  time = 0;

  constructor(
    private readonly owner: TapOwner,
    readonly inc: Incarnation,
    readonly stream: 'stdout' | 'stderr',
  ) {}

  /** {@link PartialSource}: the stream's line splitter (made on first use). */
  get splitter(): LineSplitter {
    return (this.#splitter ??= new LineSplitter(this, TUNING.maxLineBytes));
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
    this.watched().pushed(this, this.time);
  }

  /** The stream ended: its last unended line is a line (none when it never wrote anything). */
  end(): void {
    const splitter = this.#splitter;
    if (splitter === undefined) return;
    this.time = this.owner.now();
    splitter.end();
    this.watched().pushed(this, this.time);
  }

  /** The incarnation's flusher, watching this stream from its first chunk on. */
  private watched(): PartialFlusher {
    if (this.#flusher !== undefined) return this.#flusher;
    const flusher = this.owner.partials(this.inc);
    flusher.watch(this);
    this.#flusher = flusher;
    return flusher;
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
