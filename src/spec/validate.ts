/**
 * The validation toolkit: each checker looks at one value at one field path and either returns it
 * (parsed where that applies) or throws an `InvalidSpecError` (`InvalidArgumentError` for arguments) whose message follows one template:
 *
 *   Invalid spec `api`: expected `shutdown.timeout` to be a non-negative duration, got `-5` (number)
 *
 * Checkers treat nothing as optional; callers decide what `undefined` means for each field.
 */
import { constants } from 'node:os';
import { InvalidArgumentError, InvalidSpecError } from '../api/errors.js';
import { util } from '../util/builtins.js';
import { parseDuration, parseSize } from '../util/units.js';
import { suggest } from './suggest.js';

/** What is being validated, named at the start of every message. */
export interface Subject {
  /** E.g. ``spec `api` ``, `spec`, `manager options`. */
  readonly label: string;
  /** How the whole value is called when the problem is the value itself, e.g. `the spec`. */
  readonly noun: string;
  /** A spec (`InvalidSpecError`) or a method's argument or the manager's options (`InvalidArgumentError`). */
  readonly kind: 'spec' | 'argument';
}

/** The error for `subject`'s kind. */
function validationError(subject: Subject, path: string, value: unknown, message: string): InvalidSpecError | InvalidArgumentError {
  return subject.kind === 'spec' ? new InvalidSpecError(path, value, message) : new InvalidArgumentError(path, value, message);
}

/** The subject for a spec, named after its `name` when that is a usable string. */
export function specSubject(name: unknown): Subject {
  return { label: typeof name === 'string' && name.trim() !== '' ? `spec \`${name}\`` : 'spec', noun: 'the spec', kind: 'spec' };
}

/** The subject for `new ProcessManager(options)`. */
export const OPTIONS_SUBJECT: Subject = Object.freeze({ label: 'manager options', noun: 'the options', kind: 'argument' });

/**
 * Longest delay Node timers honour: beyond it `setTimeout` fires after 1 ms (with a warning), so a
 * duration that feeds a timer must stay at or below it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A short, one-line rendering of a bad value for messages. */
export function describeValue(value: unknown): string {
  const text = util().inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 40 });
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** The type word shown after a bad value: `null`, `array` and `RegExp` are told apart from `object`. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof RegExp) return 'RegExp';
  return typeof value;
}

/** `a` + `b` → `a.b`; the root path is the empty string. */
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** `a` + 2 → `a[2]`. */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** Builds the error for a value that is not what `expected` describes; `hint` adds a reason. */
export function invalid(subject: Subject, path: string, value: unknown, expected: string, hint?: string): InvalidSpecError | InvalidArgumentError {
  const where = path === '' ? subject.noun : `\`${path}\``;
  const tail = hint === undefined ? '' : ` — ${hint}`;
  return validationError(
    subject,
    path,
    value,
    `Invalid ${subject.label}: expected ${where} to be ${expected}, got \`${describeValue(value)}\` (${typeName(value)})${tail}`,
  );
}

/**
 * Builds the error for a key no option has, suggesting the closest known one; `missing` lists the
 * required options the value lacks, which the key most likely meant (see `suggest`).
 */
export function unknownOption(
  subject: Subject,
  path: string,
  key: string,
  value: unknown,
  known: readonly string[],
  missing: readonly string[] = [],
): InvalidSpecError | InvalidArgumentError {
  const full = join(path, key);
  const guess = suggest(key, known, missing);
  let tail = '';
  if (guess !== undefined) tail = ` — did you mean \`${join(path, guess)}\`?`;
  else if (known.length <= 16) tail = ` — known options: ${known.map((k) => `\`${k}\``).join(', ')}`;
  return validationError(subject, full, value, `Invalid ${subject.label}: unknown option \`${full}\`${tail}`);
}

/** True for `{}`-style objects (not arrays, class instances, RegExps or functions). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks for a plain object. */
export function object(subject: Subject, path: string, value: unknown, expected = 'an object'): Readonly<Record<string, unknown>> {
  if (!isPlainObject(value)) throw invalid(subject, path, value, expected);
  return value;
}

/**
 * Rejects own keys outside `known`, with a did-you-mean that favours the `required` options the
 * value lacks: an unknown key beside a missing required one is most likely that one misspelt.
 */
export function knownKeys(
  subject: Subject,
  path: string,
  value: Readonly<Record<string, unknown>>,
  known: readonly string[],
  required: readonly string[] = [],
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const missing = required.filter((name) => value[name] === undefined);
    throw unknownOption(subject, path, key, value[key], known, missing);
  }
}

/** Checks for a plain object with only `known` keys (`required` ones favoured in suggestions). */
export function options(
  subject: Subject,
  path: string,
  value: unknown,
  known: readonly string[],
  expected?: string,
  required: readonly string[] = [],
): Readonly<Record<string, unknown>> {
  const obj = object(subject, path, value, expected);
  knownKeys(subject, path, obj, known, required);
  return obj;
}

/** Checks for a non-empty string (or any string with `allowEmpty`). */
export function string(subject: Subject, path: string, value: unknown, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw invalid(subject, path, value, allowEmpty ? 'a string' : 'a non-empty string');
  }
  return value;
}

/** Checks for a boolean. */
export function boolean(subject: Subject, path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(subject, path, value, '`true` or `false`');
  return value;
}

/** Checks for one of a fixed set of strings. */
export function oneOf<T extends string>(subject: Subject, path: string, value: unknown, choices: readonly T[], hint?: string): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalid(subject, path, value, `one of ${choices.map((c) => `\`'${c}'\``).join(', ')}`, hint);
  }
  return value as T;
}

/** Checks for an integer in `[min, max]`. */
export function integer(subject: Subject, path: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw invalid(subject, path, value, range);
  }
  return value;
}

/** Bounds of a plain number: `min` inclusive unless `above` is set (then exclusive). */
export interface NumberBounds {
  readonly min?: number;
  readonly above?: number;
  readonly max?: number;
}

/** Checks for a finite number within bounds. */
export function number(subject: Subject, path: string, value: unknown, bounds: NumberBounds): number {
  const { min, above, max } = bounds;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || value >= min) &&
    (above === undefined || value > above) &&
    (max === undefined || value <= max);
  if (!ok) {
    const parts: string[] = [];
    if (min !== undefined) parts.push(`>= ${min}`);
    if (above !== undefined) parts.push(`> ${above}`);
    if (max !== undefined) parts.push(`<= ${max}`);
    throw invalid(subject, path, value, parts.length === 0 ? 'a finite number' : `a number ${parts.join(' and ')}`);
  }
  return value;
}

/** Rules for a duration. */
export interface DurationRules {
  /** Zero is rejected. */
  readonly positive?: boolean;
  /** `Infinity` is accepted (e.g. "never escalate"). */
  readonly infinity?: boolean;
  /** The value feeds a timer: finite values above `MAX_TIMER_MS` are rejected. */
  readonly timer?: boolean;
  /** Smallest accepted value in ms, with the words that explain it. */
  readonly atLeast?: { readonly ms: number; readonly what: string };
}

/** Checks and parses a duration into milliseconds. The message names the rule that failed. */
export function duration(subject: Subject, path: string, value: unknown, rules: DurationRules = {}): number {
  const ms = typeof value === 'number' || typeof value === 'string' ? parseDuration(value) : undefined;
  const orInfinity = rules.infinity === true ? ' or `Infinity`' : '';
  if (ms === undefined || (rules.positive === true && ms === 0) || (rules.infinity !== true && ms === Infinity)) {
    const hint = typeof value === 'string' && ms === undefined ? "write it as ms or like '250ms', '5s', '2m'" : undefined;
    const kind = rules.positive === true ? 'a positive duration' : 'a non-negative duration';
    throw invalid(subject, path, value, `${kind}${orInfinity}`, hint);
  }
  if (rules.timer === true && Number.isFinite(ms) && ms > MAX_TIMER_MS) {
    throw invalid(subject, path, value, `a duration of at most ${MAX_TIMER_MS} ms (about 24.8 days)${orInfinity}`);
  }
  if (rules.atLeast !== undefined && ms < rules.atLeast.ms) {
    throw invalid(subject, path, value, `a duration of at least ${rules.atLeast.what} (${rules.atLeast.ms} ms)`);
  }
  return ms;
}

/** Checks and parses a size into bytes; zero is rejected with `positive`. */
export function size(subject: Subject, path: string, value: unknown, positive = true): number {
  const bytes = typeof value === 'number' || typeof value === 'string' ? parseSize(value) : undefined;
  if (bytes === undefined || (positive && bytes <= 0)) {
    const hint = typeof value === 'string' && bytes === undefined ? "write it as bytes or like '512MB', '1.5GiB'" : undefined;
    throw invalid(subject, path, value, positive ? 'a positive size' : 'a non-negative size', hint);
  }
  return bytes;
}

/** Checks for a function. */
export function func<T extends (...args: never[]) => unknown>(subject: Subject, path: string, value: unknown): T {
  if (typeof value !== 'function') throw invalid(subject, path, value, 'a function');
  return value as T;
}

/** Checks for an array (non-empty with `nonEmpty`). */
export function array(subject: Subject, path: string, value: unknown, nonEmpty = false): readonly unknown[] {
  if (!Array.isArray(value) || (nonEmpty && value.length === 0)) {
    throw invalid(subject, path, value, nonEmpty ? 'a non-empty array' : 'an array');
  }
  return value;
}

/** Checks for an array of strings and copies it; items are checked at `path[i]`. */
export function stringArray(subject: Subject, path: string, value: unknown, allowEmptyItems = true): string[] {
  return array(subject, path, value).map((item, i) => string(subject, index(path, i), item, allowEmptyItems));
}

/** Checks for a signal name this platform knows, e.g. `'SIGTERM'`. */
export function signal(subject: Subject, path: string, value: unknown): NodeJS.Signals {
  if (typeof value !== 'string' || !Object.hasOwn(constants.signals, value)) {
    throw invalid(subject, path, value, "a signal name such as `'SIGTERM'`");
  }
  return value as NodeJS.Signals;
}

/** Checks for a string or a RegExp; a RegExp is copied so its `lastIndex` is never shared with the caller. */
export function stringOrRegExp(subject: Subject, path: string, value: unknown): string | RegExp {
  if (value instanceof RegExp) return new RegExp(value);
  if (typeof value === 'string' && value !== '') return value;
  throw invalid(subject, path, value, 'a non-empty string or a RegExp');
}
