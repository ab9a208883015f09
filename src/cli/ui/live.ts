/**
 * The live display of `procvisor start` on a terminal: log lines scroll as usual, and the status
 * table sits below them, redrawn in place (log-update). Lines are buffered and written in batches:
 * each batch clears the table, writes the lines and redraws the table, at most once per
 * `minInterval` (100 ms), so a chatty process costs one redraw per batch, not one per line.
 */
import { Writable } from 'node:stream';
import { createLogUpdate } from 'log-update';

/** Options of {@link LiveDisplay}. */
export interface LiveDisplayOptions {
  /** The terminal (process.stdout). */
  readonly stream: NodeJS.WriteStream;
  /** Renders the table (and anything below it) as it is now. */
  readonly render: () => string;
  /** Least time between two redraws, in ms. Default 100. */
  readonly minInterval?: number;
  /** Redraw at least this often, for the uptime column, in ms. Default 1000. */
  readonly tick?: number;
}

/** Buffered text beyond which a batch is written at once, whatever the throttle says. */
const MAX_PENDING = 64 * 1024;

/** Log lines above a table redrawn in place. */
export class LiveDisplay {
  private readonly update: ReturnType<typeof createLogUpdate>;
  private readonly stream: NodeJS.WriteStream;
  private readonly render: () => string;
  private readonly minInterval: number;
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly ticker: NodeJS.Timeout;
  private last = 0;
  private closed = false;
  private readonly onResize = (): void => this.invalidate();

  /** A stream to write log lines to (as `pm.pipeOutput` does): they appear above the table. */
  readonly lines: Writable;

  constructor({ stream, render, minInterval = 100, tick = 1000 }: LiveDisplayOptions) {
    this.stream = stream;
    this.render = render;
    this.minInterval = minInterval;
    this.update = createLogUpdate(stream);
    this.lines = new Writable({
      decodeStrings: false,
      write: (chunk: Buffer | string, _encoding, done) => {
        this.log(chunk.toString());
        done();
      },
    });
    this.ticker = setInterval(() => this.invalidate(), tick);
    this.ticker.unref();
    stream.on('resize', this.onResize);
    this.flush();
  }

  /** Queues text to appear above the table (whole lines; a missing last line end is added). */
  log(text: string): void {
    if (this.closed) {
      this.stream.write(text);
      return;
    }
    this.pending += text;
    if (this.pending.length > MAX_PENDING) this.flush();
    else this.schedule();
  }

  /** Something the table shows changed: redraw soon. */
  invalidate(): void {
    if (!this.closed) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.last + this.minInterval - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = Date.now();
    const text = this.pending;
    this.pending = '';
    if (text !== '') {
      this.update.clear();
      this.stream.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    this.update(this.render());
  }

  /** Writes what is pending, draws the table a last time and leaves it on screen. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.ticker);
    this.stream.off('resize', this.onResize);
    this.update.done();
  }
}
