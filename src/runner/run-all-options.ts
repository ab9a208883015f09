/**
 * Validation of `runAll(specs, options)`: the options, with the field named in every error, and a
 * `success` rule that must name a command that exists. The specs themselves are checked by the
 * job resolver, all of them before anything spawns.
 */
import type { KillOthersOn, RunAllOptions, SuccessCondition } from '../api/runner.js';
import type { JobSpec } from '../api/types.js';
import * as v from '../spec/validate.js';
import { commandTarget, targets } from './success.js';

/** `runAll()`'s options, checked, with defaults filled in. */
export interface ResolvedRunAll {
  readonly killOthersOn: ReadonlySet<KillOthersOn>;
  readonly success: SuccessCondition;
  /** An integer >= 1, or `Infinity`. */
  readonly maxConcurrent: number;
  readonly restartTries: number;
  /** Milliseconds. */
  readonly restartDelay: number;
  readonly signal: AbortSignal | undefined;
  /** Milliseconds, or `Infinity` for none. */
  readonly timeout: number;
}

/** The subject of every `runAll()` argument error. */
export const RUN_ALL_SUBJECT: v.Subject = Object.freeze({ label: 'arguments of `runAll()`', noun: 'the options', kind: 'argument' });

const S = RUN_ALL_SUBJECT;
const KEYS: readonly (keyof RunAllOptions)[] = ['killOthersOn', 'success', 'maxConcurrent', 'restartTries', 'restartDelay', 'signal', 'timeout'];
const OUTCOMES: readonly KillOthersOn[] = Object.freeze(['failure', 'success']);
const RULES = "`'all'`, `'first'`, `'last'`, `'command-NAME'`, `'command-INDEX'`, `'!command-NAME'` or `'!command-INDEX'`";

/** Checks the specs argument is an array of objects; each spec is validated as a job afterwards. */
export function checkSpecs(specs: unknown): readonly JobSpec[] {
  return v.array(S, 'specs', specs) as readonly JobSpec[];
}

/** Checks and resolves the options against the commands. @throws InvalidArgumentError naming the field. */
export function resolveRunAllOptions(specs: readonly JobSpec[], options: unknown): ResolvedRunAll {
  const raw: Readonly<Record<string, unknown>> = options === undefined ? {} : v.options(S, '', options, KEYS, 'an options object');
  const killOthersOn = new Set<KillOthersOn>();
  if (raw.killOthersOn !== undefined) {
    v.array(S, 'killOthersOn', raw.killOthersOn).forEach((item, i) => killOthersOn.add(v.oneOf(S, v.index('killOthersOn', i), item, OUTCOMES)));
  }
  let maxConcurrent = Infinity;
  if (raw.maxConcurrent !== undefined && raw.maxConcurrent !== Infinity) {
    if (typeof raw.maxConcurrent !== 'number' || !Number.isInteger(raw.maxConcurrent) || raw.maxConcurrent < 1) {
      throw v.invalid(S, 'maxConcurrent', raw.maxConcurrent, 'an integer >= 1 or `Infinity`');
    }
    maxConcurrent = raw.maxConcurrent;
  }
  if (raw.signal !== undefined && !(raw.signal instanceof AbortSignal)) throw v.invalid(S, 'signal', raw.signal, 'an AbortSignal');
  return Object.freeze({
    killOthersOn,
    success: raw.success === undefined ? 'all' : checkSuccess(specs, raw.success),
    maxConcurrent,
    restartTries: raw.restartTries === undefined ? 0 : v.integer(S, 'restartTries', raw.restartTries, 0),
    restartDelay: raw.restartDelay === undefined ? 0 : v.duration(S, 'restartDelay', raw.restartDelay, { timer: true }),
    signal: raw.signal as AbortSignal | undefined,
    timeout: raw.timeout === undefined ? Infinity : v.duration(S, 'timeout', raw.timeout, { infinity: true, timer: true }),
  });
}

/** Checks a success rule; `command-X` must name a command (by name or index), or the error lists them. */
function checkSuccess(specs: readonly JobSpec[], rule: unknown): SuccessCondition {
  if (rule === 'all' || rule === 'first' || rule === 'last') return rule;
  const command = typeof rule === 'string' ? commandTarget(rule) : undefined;
  if (command === undefined) throw v.invalid(S, 'success', rule, RULES);
  const found = specs.some((spec, index) => targets(command.target, { name: spec.name, index }));
  if (!found) {
    const names = specs.map((spec, index) => `\`${String(spec.name)}\` (${index})`).join(', ');
    const known = specs.length === 0 ? 'there are no commands' : `the commands are ${names}`;
    throw v.invalid(S, 'success', rule, `${RULES} naming a command by its name or index`, `\`${command.target}\` names none; ${known}`);
  }
  return rule as SuccessCondition;
}
