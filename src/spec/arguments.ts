/**
 * Validation of the arguments of public methods (names, states, wait and shutdown options), with
 * the same messages as spec validation: field, problem, likely fix.
 */
import type { State } from '../api/types.js';
import * as v from './validate.js';

/** Every state a handle can be in. */
export const STATES: readonly State[] = Object.freeze(['idle', 'starting', 'running', 'stopping', 'stopped', 'exited', 'backoff', 'failed']);

/** Options of every wait: an optional time limit and an optional abort signal. */
export interface ResolvedWait {
  /** Milliseconds, or `Infinity` for no limit. */
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
}

function subject(method: string): v.Subject {
  return { label: `arguments of \`${method}\``, noun: 'the options', kind: 'argument' };
}

/** Checks a child name argument. */
export function checkName(method: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw v.invalid(subject(method), 'name', name, 'a non-empty string naming a process or supervisor');
  return name;
}

/** Checks a state argument, suggesting the closest state for a typo. */
export function checkState(method: string, state: unknown): State {
  return v.oneOf(subject(method), 'state', state, STATES);
}

/** Checks `{ timeout?, signal? }` of a wait; the timeout must fit a timer (or be `Infinity`). */
export function checkWait(method: string, options: unknown): ResolvedWait {
  const s = subject(method);
  const raw = options === undefined ? {} : v.options(s, '', options, ['timeout', 'signal'], 'an options object `{ timeout?, signal? }`');
  const timeout = raw.timeout === undefined ? Infinity : v.duration(s, 'timeout', raw.timeout, { infinity: true, timer: true });
  if (raw.signal !== undefined && !(raw.signal instanceof AbortSignal)) throw v.invalid(s, 'signal', raw.signal, 'an AbortSignal');
  return { timeout, signal: raw.signal as AbortSignal | undefined };
}

/** Checks `{ timeout? }` of `shutdown()`. */
export function checkShutdown(options: unknown): { readonly timeout: number } {
  const s = subject('shutdown()');
  const raw = options === undefined ? {} : v.options(s, '', options, ['timeout'], 'an options object `{ timeout? }`');
  return { timeout: raw.timeout === undefined ? Infinity : v.duration(s, 'timeout', raw.timeout, { infinity: true, timer: true }) };
}

/** Checks `{ parent? }` of `add()` and `start()`. */
export function checkPlacement(method: string, options: unknown): { readonly parent: string | undefined } {
  const s = subject(method);
  const raw = options === undefined ? {} : v.options(s, '', options, ['parent'], 'an options object `{ parent? }`');
  if (raw.parent !== undefined && (typeof raw.parent !== 'string' || raw.parent === '')) throw v.invalid(s, 'parent', raw.parent, 'the name of a supervisor');
  return { parent: raw.parent as string | undefined };
}
