/**
 * `pipeOutput()`: every `output` event of a manager (jobs included) written to one stream as a
 * line, prefixed and aligned, as a runner shows it. The layout of one line:
 *
 *   [HH:MM:SS.mmm ]PREFIX M PAD TEXT
 *
 * where M is the stream marker column (`!` for stderr, a space for stdout), PAD fills the prefix to
 * the longest one seen so far, and one space separates it from the text. Raw output (`prefix: ''`)
 * is the text alone. Colour goes on the prefix (per process), the marker (red) and the time (dim),
 * never on the process's own text.
 */
import type { OutputEvent } from '../api/events.js';
import { colorEnabled, colors, paletteColor, type Colors } from './colors.js';
import { checkStream, resolvePipeOptions, type ResolvedPipeOptions } from './pipe-options.js';
import { renderPrefix, type PrefixValues } from './prefix.js';
import { CLOCK_TIME_WIDTH, clockTime } from './time-format.js';

/** What `pipeOutput()` listens to: the manager's `output` events. */
export interface OutputSource {
  on(event: 'output', listener: (event: OutputEvent) => void): unknown;
  off(event: 'output', listener: (event: OutputEvent) => void): unknown;
}

/** The marker of a stderr line, in the column right after the prefix. */
export const STDERR_MARKER = '!';

/** What a stream may tell about itself beyond `NodeJS.WritableStream`. */
interface StreamState {
  readonly destroyed?: boolean;
  readonly writableEnded?: boolean;
  readonly writable?: boolean;
}

/**
 * Writes the output lines of `source` to `stream` until the returned function is called (it is
 * idempotent) or the stream fails: a stream that errors, is destroyed or has ended detaches the pipe
 * at once (its error is taken, never thrown into the host).
 * @throws InvalidArgumentError for a bad stream or options.
 */
export function pipeOutput(source: OutputSource, stream: unknown, options?: unknown): () => void {
  const out = checkStream(stream);
  const opts = resolvePipeOptions(options);
  const format = lineFormatter(opts, colors(colorEnabled(opts.color, out)));
  let attached = true;
  const detach = (): void => {
    if (!attached) return;
    attached = false;
    source.off('output', onOutput);
    out.off('error', onError);
  };
  const onError = (): void => detach();
  const onOutput = (event: OutputEvent): void => {
    const state = out as StreamState;
    if (state.destroyed === true || state.writableEnded === true || state.writable === false) {
      detach();
      return;
    }
    const text = format(event);
    if (text === undefined) return;
    try {
      out.write(text);
    } catch {
      detach();
    }
  };
  out.on('error', onError);
  source.on('output', onOutput);
  return detach;
}

/**
 * The formatter of one pipe: the line to write for an event (with its line end), or undefined for a
 * process the pipe does not show. It keeps the pipe's state: indexes by first sight, and the width
 * of the longest prefix so far.
 */
export function lineFormatter(opts: ResolvedPipeOptions, c: Colors): (event: OutputEvent) => string | undefined {
  const indexes = new Map<string, number>();
  const shown = opts.names === undefined ? undefined : new Set(opts.names);
  let width = 0;
  const prefixOf = (values: PrefixValues): string => {
    const text = renderPrefix(opts.prefix, values);
    width = Math.max(width, text.length);
    return text;
  };
  for (const name of opts.names ?? []) {
    if (indexes.has(name)) continue;
    indexes.set(name, indexes.size);
    // Known from the start: their prefixes count for the padding before they write anything.
    prefixOf({ name, pid: '', index: String(indexes.get(name)), time: '0'.repeat(CLOCK_TIME_WIDTH) });
  }
  return (event) => {
    if (shown && !shown.has(event.name)) return undefined;
    let index = indexes.get(event.name);
    if (index === undefined) indexes.set(event.name, (index = indexes.size));
    const time = clockTime(event.time);
    const stamp = opts.timestamps ? `${c.dim(time)} ` : '';
    if (opts.raw) return `${stamp}${event.line}\n`;
    const prefix = prefixOf({ name: event.name, pid: String(event.pid), index: String(index), time });
    const marker = event.stream === 'stderr' ? c.bold(c.red(STDERR_MARKER)) : ' ';
    return `${stamp}${paletteColor(c, index)(prefix)}${marker}${' '.repeat(width - prefix.length)} ${event.line}\n`;
  };
}
