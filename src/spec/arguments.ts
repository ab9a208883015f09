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
  return checkWaitOptions(subject(method), options);
}

/** {@link checkWait} for a caller that names what it checks itself (`run options of job …`). */
export function checkWaitOptions(s: v.Subject, options: unknown): ResolvedWait {
  return waitFields(s, options === undefined ? {} : v.options(s, '', options, WAIT_KEYS, 'an options object `{ timeout?, signal? }`'));
}

const WAIT_KEYS = ['timeout', 'signal'] as const;

function waitFields(s: v.Subject, raw: Readonly<Record<string, unknown>>): ResolvedWait {
  const timeout = raw.timeout === undefined ? Infinity : v.duration(s, 'timeout', raw.timeout, { infinity: true, timer: true });
  if (raw.signal !== undefined && !(raw.signal instanceof AbortSignal)) throw v.invalid(s, 'signal', raw.signal, 'an AbortSignal');
  return { timeout, signal: raw.signal as AbortSignal | undefined };
}

/** Checks `{ parent? }` of `add()`. */
export function checkPlacement(method: string, options: unknown): { readonly parent: string | undefined } {
  const s = subject(method);
  return { parent: parentField(s, options === undefined ? {} : v.options(s, '', options, ['parent'], 'an options object `{ parent? }`')) };
}

function parentField(s: v.Subject, raw: Readonly<Record<string, unknown>>): string | undefined {
  if (raw.parent !== undefined && (typeof raw.parent !== 'string' || raw.parent === '')) throw v.invalid(s, 'parent', raw.parent, 'the name of a supervisor');
  return raw.parent as string | undefined;
}

/** Checks `{ parent?, timeout?, signal? }` of `start()`. */
export function checkStart(options: unknown): ResolvedWait & { readonly parent: string | undefined } {
  const s = subject('start()');
  const raw = options === undefined ? {} : v.options(s, '', options, ['parent', ...WAIT_KEYS], 'an options object `{ parent?, timeout?, signal? }`');
  return { ...waitFields(s, raw), parent: parentField(s, raw) };
}

/** Checks `{ window? }` of `usageHistory()`: milliseconds, or `undefined` for every kept sample. */
export function checkUsageWindow(options: unknown): number | undefined {
  const s = subject('usageHistory()');
  const raw = options === undefined ? {} : v.options(s, '', options, ['window'], 'an options object `{ window? }`');
  return raw.window === undefined ? undefined : v.duration(s, 'window', raw.window, { infinity: true });
}
