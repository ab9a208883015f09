/**
 * Validation of `pipeOutput(stream, options)`, with the messages of every other argument check:
 * field, problem, likely fix. Defaults live here, once.
 */
import type { PipeOutputOptions } from '../api/runner.js';
import * as v from '../spec/validate.js';
import { compilePrefix, type PrefixTemplate } from './prefix.js';

/** `pipeOutput()`'s options, checked, with defaults filled in. */
export interface ResolvedPipeOptions {
  /** The compiled prefix template; empty for raw output. */
  readonly prefix: PrefixTemplate;
  /** Raw output: the template was `''`. */
  readonly raw: boolean;
  readonly color: 'auto' | boolean;
  readonly timestamps: boolean;
  /** Only these processes, in this order; `undefined` for all. */
  readonly names: readonly string[] | undefined;
}

/** The default prefix: the process's name in brackets. */
export const DEFAULT_PREFIX = '[{name}]';

const SUBJECT: v.Subject = Object.freeze({ label: 'arguments of `pipeOutput()`', noun: 'the options', kind: 'argument' });
const KEYS: readonly (keyof PipeOutputOptions)[] = ['prefix', 'color', 'timestamps', 'names'];

/** Checks the stream argument: anything with a `write` method and `on`/`off` (a Node Writable). */
export function checkStream(stream: unknown): NodeJS.WritableStream {
  const s = stream as { write?: unknown; on?: unknown; off?: unknown } | null | undefined;
  if (typeof s !== 'object' || s === null || typeof s.write !== 'function' || typeof s.on !== 'function' || typeof s.off !== 'function') {
    throw v.invalid(SUBJECT, 'stream', stream, 'a writable stream (such as `process.stdout`)');
  }
  return stream as NodeJS.WritableStream;
}

/** Checks and resolves the options. @throws InvalidArgumentError naming the field. */
export function resolvePipeOptions(options: unknown): ResolvedPipeOptions {
  const raw: Readonly<Record<string, unknown>> = options === undefined ? {} : v.options(SUBJECT, '', options, KEYS, 'an options object `{ prefix?, color?, timestamps?, names? }`');
  const template = raw.prefix === undefined ? DEFAULT_PREFIX : v.string(SUBJECT, 'prefix', raw.prefix, true);
  let color: 'auto' | boolean = 'auto';
  if (raw.color !== undefined) {
    if (raw.color !== 'auto' && typeof raw.color !== 'boolean') throw v.invalid(SUBJECT, 'color', raw.color, "`'auto'`, `true` or `false`");
    color = raw.color;
  }
  const names = raw.names === undefined ? undefined : Object.freeze(v.stringArray(SUBJECT, 'names', raw.names, false));
  return Object.freeze({
    prefix: compilePrefix(SUBJECT, 'prefix', template),
    raw: template === '',
    color,
    timestamps: raw.timestamps === undefined ? false : v.boolean(SUBJECT, 'timestamps', raw.timestamps),
    names,
  });
}
