/**
 * `--log-dir DIR`: every process's output in a file of its own, `DIR/<name>.log`, one line per
 * output line (stdout and stderr together, in arrival order), written as lines come. A file that
 * reaches the size limit is rotated as logrotate does: `<name>.log` becomes `<name>.log.1`, `.1`
 * becomes `.2`, and so on; only the newest `files` rotated files are kept (rotating-file-stream).
 */
import { mkdirSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { EventPayload } from '../../api/events.js';
import type { ProcessManager } from '../../manager.js';

/** Options of {@link LogDir}. */
export interface LogDirOptions {
  /** The directory; created if missing. */
  readonly dir: string;
  /** Size in bytes at which a file is rotated. */
  readonly maxSize: number;
  /** Rotated files kept per process. */
  readonly files: number;
  /** Where write errors are reported (once per file). */
  readonly onError: (message: string) => void;
}

/** The log files of one manager's processes. */
export class LogDir {
  private readonly streams = new Map<string, RotatingFileStream>();
  private readonly failed = new Set<string>();
  private readonly dir: string;
  private readonly options: LogDirOptions;
  private detach: (() => void) | undefined;

  constructor(options: LogDirOptions) {
    this.options = options;
    this.dir = resolve(options.dir);
    mkdirSync(this.dir, { recursive: true });
  }

  /** The path of a process's current log file. */
  fileOf(name: string): string {
    return `${this.dir}${sep}${name}.log`;
  }

  /** Writes one line to the process's file, opening it on first use. */
  write(name: string, line: string): void {
    if (this.failed.has(name)) return;
    let stream = this.streams.get(name);
    if (!stream) {
      stream = createStream(`${name}.log`, { path: `${this.dir}${sep}`, size: `${Math.max(1, Math.floor(this.options.maxSize))}B`, rotate: this.options.files });
      stream.on('error', (error: Error) => {
        if (this.failed.has(name)) return;
        this.failed.add(name);
        this.options.onError(`cannot write ${this.fileOf(name)}: ${error.message}`);
      });
      this.streams.set(name, stream);
    }
    stream.write(`${line}\n`);
  }

  /** Writes every output line of `pm`'s processes (not its jobs') to their files. */
  attach(pm: ProcessManager): void {
    const listener = (e: EventPayload<'output'>): void => {
      if (!e.job) this.write(e.name, e.line);
    };
    pm.on('output', listener);
    this.detach = () => pm.off('output', listener);
  }

  /** Stops writing, and resolves once every file has been flushed and closed. */
  async close(): Promise<void> {
    this.detach?.();
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(
      streams.map(
        (stream) =>
          new Promise<void>((done) => {
            if (stream.destroyed) return done();
            stream.once('error', () => done());
            stream.end(() => done());
          }),
      ),
    );
  }
}
