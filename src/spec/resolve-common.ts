/**
 * Resolvers for the fields a manager and its specs share: backoff, intensity, shutdown, output
 * and sampling. Each takes the user's value (known to be defined) and returns a fresh resolved one.
 */
import { parseCron, type Cron } from '../util/cron.js';
import { DEFAULTS } from '../api/defaults.js';
import type { BackoffFunction } from '../api/types.js';
import type {
  ResolvedBackoff,
  ResolvedIntensity,
  ResolvedOutput,
  ResolvedRecover,
  ResolvedRestartBudget,
  ResolvedSampling,
  ResolvedSchedule,
  ResolvedShutdown,
} from './resolved.js';
import * as v from './validate.js';
import type { Subject } from './validate.js';

const BACKOFF_TYPES = ['exponential', 'linear', 'fixed'] as const;
const BACKOFF_KEYS: Readonly<Record<(typeof BACKOFF_TYPES)[number], readonly string[]>> = {
  exponential: ['type', 'initial', 'factor', 'max', 'jitter', 'resetAfter'],
  linear: ['type', 'initial', 'step', 'max', 'jitter', 'resetAfter'],
  fixed: ['type', 'delay', 'resetAfter'],
};

/**
 * Resolves a backoff object or function. Omitted fields come from `DEFAULTS.backoff` (not from a
 * manager's backoff: a backoff spec is a whole, and a manager's may be of another type).
 */
export function resolveBackoff(s: Subject, path: string, value: unknown): ResolvedBackoff {
  const at = (key: string): string => v.join(path, key);
  if (typeof value === 'function') {
    return { type: 'function', fn: value as BackoffFunction, resetAfter: DEFAULTS.backoff.resetAfter };
  }
  const raw = v.object(s, path, value, 'a backoff object (`{ type: ... }`) or a function');
  const type = v.oneOf(s, at('type'), raw.type, BACKOFF_TYPES);
  v.knownKeys(s, path, raw, BACKOFF_KEYS[type], type === 'fixed' ? ['delay'] : []);
  const resetAfter = raw.resetAfter === undefined ? DEFAULTS.backoff.resetAfter : v.duration(s, at('resetAfter'), raw.resetAfter, { infinity: true });
  if (type === 'fixed') {
    return { type, delay: v.duration(s, at('delay'), raw.delay, { timer: true }), resetAfter };
  }
  const initial = raw.initial === undefined ? DEFAULTS.backoff.initial : v.duration(s, at('initial'), raw.initial, { timer: true });
  const max =
    raw.max === undefined
      ? Math.max(DEFAULTS.backoff.max, initial)
      : v.duration(s, at('max'), raw.max, { timer: true, atLeast: { ms: initial, what: `\`${at('initial')}\`` } });
  const jitter = raw.jitter === undefined ? DEFAULTS.backoff.jitter : v.number(s, at('jitter'), raw.jitter, { min: 0, max: 1 });
  if (type === 'exponential') {
    const factor = raw.factor === undefined ? DEFAULTS.backoff.factor : v.number(s, at('factor'), raw.factor, { min: 1 });
    return { type, initial, factor, max, jitter, resetAfter };
  }
  const step = raw.step === undefined ? initial : v.duration(s, at('step'), raw.step, { timer: true });
  return { type, initial, step, max, jitter, resetAfter };
}

/** Resolves `{ maxRestarts, period }`; an omitted field keeps the value of `base`. */
export function resolveIntensity(s: Subject, path: string, value: unknown, base: ResolvedIntensity): ResolvedIntensity {
  const raw = v.options(s, path, value, ['maxRestarts', 'period']);
  return {
    maxRestarts: raw.maxRestarts === undefined ? base.maxRestarts : v.integer(s, v.join(path, 'maxRestarts'), raw.maxRestarts, 0),
    period: raw.period === undefined ? base.period : v.duration(s, v.join(path, 'period'), raw.period, { positive: true, infinity: true }),
  };
}

/**
 * Resolves `'kill'` or `{ signal, timeout }`; omitted fields keep the value of `base` (the
 * manager's default shutdown), or `DEFAULTS.shutdown` when `base` is `'kill'`.
 */
export function resolveShutdown(s: Subject, path: string, value: unknown, base: ResolvedShutdown): ResolvedShutdown {
  if (value === 'kill') return 'kill';
  const raw = v.options(s, path, value, ['signal', 'timeout'], "`'kill'` or `{ signal?, timeout? }`");
  const from = base === 'kill' ? DEFAULTS.shutdown : base;
  return {
    signal: raw.signal === undefined ? from.signal : v.signal(s, v.join(path, 'signal'), raw.signal),
    timeout:
      raw.timeout === undefined ? from.timeout : v.duration(s, v.join(path, 'timeout'), raw.timeout, { infinity: true, timer: true }),
  };
}

/** The output settings a manager starts from. */
export const BASE_OUTPUT: ResolvedOutput = Object.freeze({
  lines: DEFAULTS.output.lines,
  bytes: DEFAULTS.output.bytes,
  mask: Object.freeze([]) as readonly (string | RegExp)[],
  commands: DEFAULTS.output.commands,
});

/**
 * Resolves `{ lines, mask, commands }` over `base`. Masks add to the base's rather than replace
 * them: a secret the manager masks stays masked in every child.
 */
export function resolveOutput(s: Subject, path: string, value: unknown, base: ResolvedOutput): ResolvedOutput {
  const raw = v.options(s, path, value, ['lines', 'bytes', 'mask', 'commands']);
  const maskPath = v.join(path, 'mask');
  const own = raw.mask === undefined ? [] : v.array(s, maskPath, raw.mask).map((m, i) => v.stringOrRegExp(s, v.index(maskPath, i), m));
  return {
    lines: raw.lines === undefined ? base.lines : v.integer(s, v.join(path, 'lines'), raw.lines, 0, 1_000_000),
    bytes: raw.bytes === undefined ? base.bytes : v.size(s, v.join(path, 'bytes'), raw.bytes),
    mask: [...base.mask, ...own],
    commands: raw.commands === undefined ? base.commands : v.boolean(s, v.join(path, 'commands'), raw.commands),
  };
}

/** Resolves `{ interval, history }` or `false`. */
export function resolveSampling(s: Subject, path: string, value: unknown): ResolvedSampling | false {
  if (value === false) return false;
  const raw = v.options(s, path, value, ['interval', 'history'], '`false` or `{ interval, history? }`', ['interval']);
  return {
    interval: v.duration(s, v.join(path, 'interval'), raw.interval, { positive: true, timer: true }),
    history: raw.history === undefined ? DEFAULTS.sampling.history : v.integer(s, v.join(path, 'history'), raw.history, 1),
  };
}

/**
 * Resolves `{ restart: '<cron expression>' }`. The expression is parsed by croner here, before
 * anything starts; its reason for rejecting one is quoted in the error, and an expression that
 * never matches a date (`'0 0 30 2 *'`) is rejected too.
 */
export function resolveSchedule(s: Subject, path: string, value: unknown): ResolvedSchedule {
  const raw = v.options(s, path, value, ['restart'], "`{ restart: '<cron expression>' }`", ['restart']);
  const at = v.join(path, 'restart');
  const expression = v.string(s, at, raw.restart);
  const expected = "a cron expression (5 fields, 6 with seconds first, 7 with a year last, or a nickname such as '@daily')";
  let cron: Cron;
  try {
    cron = parseCron(expression);
  } catch (error) {
    throw v.invalid(s, at, raw.restart, expected, error instanceof Error ? error.message : String(error));
  }
  if (cron.nextRun() === null) throw v.invalid(s, at, raw.restart, expected, 'it matches no date from now on');
  return { restart: expression };
}

/** Resolves `{ after }`: the cool-down of a circuit breaker. The caller checks the placement. */
export function resolveRecover(s: Subject, path: string, value: unknown): ResolvedRecover {
  const raw = v.options(s, path, value, ['after'], '`{ after: <duration> }`', ['after']);
  return { after: v.duration(s, v.join(path, 'after'), raw.after, { positive: true, timer: true }) };
}

/** Resolves the manager's `restartBudget`: `false` (off) or `{ max, period }`. */
export function resolveRestartBudget(s: Subject, path: string, value: unknown): ResolvedRestartBudget | false {
  if (value === false) return false;
  const raw = v.options(s, path, value, ['max', 'period'], '`false` or `{ max, period }`', ['max', 'period']);
  return {
    max: v.integer(s, v.join(path, 'max'), raw.max, 1),
    period: v.duration(s, v.join(path, 'period'), raw.period, { positive: true, timer: true }),
  };
}
