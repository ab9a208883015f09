/**
 * `resolveChildSpec()` and `resolveManagerOptions()`: the single gate between what users write and
 * what the rest of procvisor runs on. Everything is validated before anything spawns, every default
 * is filled from `defaults.ts` or the manager's child defaults, durations and sizes are parsed, the
 * caller's objects are never touched, and the result is deep-frozen.
 */
import { systemClock, unrefTimer } from '../util/clock.js';
import { NONE } from '../util/none.js';
import { DEFAULTS } from '../api/defaults.js';
import type { AutoShutdown, Clock, ClockTimer, ColorMode, SupervisorSpec } from '../api/types.js';
import {
  BASE_OUTPUT,
  resolveBackoff,
  resolveIntensity,
  resolveOutput,
  resolveRecover,
  resolveRestartBudget,
  resolveSampling,
  resolveSchedule,
  resolveShutdown,
} from './resolve-common.js';
import { resolveCgroup, resolveRlimits } from './resolve-kernel.js';
import { resolveSockets } from './resolve-sockets.js';
import { resolveHeartbeat, resolveLimits, resolveProbe, resolveWatch } from './resolve-monitoring.js';
import type {
  ChildDefaults,
  ResolvedChildSpec,
  ResolvedProcessSpec,
  ResolvedRecover,
  ResolvedRestartBudget,
  ResolvedSampling,
  ResolvedSupervisorSpec,
} from './resolved.js';
import * as v from './validate.js';
import type { Subject } from './validate.js';

/** Every option a process spec may have. A job resolver can strip its own keys and reuse this. */
export const PROCESS_SPEC_KEYS: readonly string[] = Object.freeze([
  'name', 'command', 'args', 'cwd', 'env', 'extendEnv', 'shell', 'restart', 'successExitCodes', 'backoff',
  'intensity', 'shutdown', 'startTimeout', 'readiness', 'liveness', 'heartbeat', 'limits', 'sampling',
  'watch', 'instances', 'output', 'ipc', 'significant', 'stdin', 'color', 'rlimits', 'cgroup',
]);

/**
 * Options only a supervised process has, beyond `PROCESS_SPEC_KEYS` (which a job shares): they
 * are about restarts, which a job has none of.
 */
export const SUPERVISED_PROCESS_KEYS: readonly string[] = Object.freeze(['minUptime', 'schedule', 'recover', 'sockets']);

/** Every option a supervisor spec may have. */
export const SUPERVISOR_SPEC_KEYS: readonly string[] = Object.freeze([
  'name', 'strategy', 'children', 'intensity', 'restart', 'autoShutdown', 'significant', 'shutdown', 'recover',
]);

const ALL_PROCESS_KEYS: readonly string[] = Object.freeze([...PROCESS_SPEC_KEYS, ...SUPERVISED_PROCESS_KEYS]);

const RESTART_TYPES = ['permanent', 'transient', 'temporary', 'never'] as const;
const STRATEGIES = ['one-for-one', 'one-for-all', 'rest-for-one'] as const;
const AUTO_SHUTDOWNS = ['never', 'any-significant', 'all-significant'] as const;
const STDIN_MODES = ['ignore', 'pipe', 'inherit'] as const;

/** Where a spec sits, for the rules that depend on its parent. */
export interface ResolveContext {
  /** `autoShutdown` of the supervisor the spec is added to; absent at top level. */
  readonly parentAutoShutdown?: AutoShutdown;
}

/** State of one resolution: the message subject, the defaults and the names seen so far. */
/**
 * Upper bounds that keep a spec from exhausting the host: replicas of one spec (each one a live
 * process with its own pipes), and how deep supervisors nest (every level adds a restart multiplier,
 * and no real tree needs more). Documented in docs/process-manager.md.
 */
export const MAX_INSTANCES = 10_000;
export const MAX_DEPTH = 64;

interface Walk {
  readonly s: Subject;
  readonly defaults: ChildDefaults;
  /** Name → path of the spec that has it, to report both ends of a duplicate. */
  readonly names: Map<string, string>;
}

/** True when `spec` is a supervisor spec: it has `strategy` or `children`. */
export function isSupervisorSpec(spec: unknown): spec is SupervisorSpec {
  return v.isPlainObject(spec) && (spec.strategy !== undefined || spec.children !== undefined);
}

/** What an unset `env` resolves to: one frozen map shared by every spec, as {@link NONE} for lists. */
const NO_ENV: Readonly<Record<string, string | undefined>> = Object.freeze({});

/** Freezes the plain objects and arrays built here; RegExps and user functions stay as they are. */
function deepFreeze<T>(value: T): T {
  if (Array.isArray(value) || v.isPlainObject(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function startWalk(spec: unknown, defaults: ChildDefaults): Walk {
  return { s: v.specSubject(v.isPlainObject(spec) ? spec.name : undefined), defaults, names: new Map() };
}

function resolveName(w: Walk, path: string, value: unknown): string {
  const at = v.join(path, 'name');
  if (typeof value !== 'string' || value.trim() === '' || /[#/]/.test(value)) {
    throw v.invalid(w.s, at, value, 'a non-empty name without `#` or `/`');
  }
  const previous = w.names.get(value);
  if (previous !== undefined) {
    throw v.invalid(w.s, at, value, 'a name unique in the tree', previous === '' ? 'the top-level spec has it already' : `\`${previous}\` has it already`);
  }
  w.names.set(value, path);
  return value;
}

/** A significant child must be able to end for good, under a parent that acts on it. */
function resolveSignificant(w: Walk, path: string, value: unknown, restart: string, parent: AutoShutdown | undefined): boolean {
  if (value === undefined) return false;
  const significant = v.boolean(w.s, v.join(path, 'significant'), value);
  if (!significant) return false;
  if (restart === 'permanent') {
    throw v.invalid(w.s, v.join(path, 'significant'), value, '`false` for a permanent child', 'only transient or temporary children can be significant');
  }
  if (parent === undefined || parent === 'never') {
    const where = parent === undefined ? 'at top level' : "under a supervisor with `autoShutdown: 'never'`";
    throw v.invalid(w.s, v.join(path, 'significant'), value, `\`false\` ${where}`, 'a significant child needs a parent whose `autoShutdown` is not `never`');
  }
  return true;
}

function resolveEnv(s: Subject, path: string, value: unknown): Record<string, string | undefined> {
  const raw = v.object(s, path, value);
  const env: Record<string, string | undefined> = {};
  for (const [key, item] of Object.entries(raw)) {
    if (item !== undefined && typeof item !== 'string') throw v.invalid(s, v.join(path, key), item, 'a string or `undefined`');
    env[key] = item;
  }
  return env;
}

function resolveShell(s: Subject, path: string, value: unknown): boolean | string {
  if (typeof value === 'boolean' || (typeof value === 'string' && value !== '')) return value;
  throw v.invalid(s, path, value, '`true`, `false` or the path of a shell');
}

function resolveColor(s: Subject, path: string, value: unknown): ColorMode {
  if (typeof value === 'boolean' || value === 'auto') return value;
  throw v.invalid(s, path, value, "`'auto'`, `true` or `false`", 'leave it out to keep the environment as it is');
}

/**
 * `recover` is the circuit breaker of a top-level entry (the manager's root never gives up, so only
 * its entries end `failed` for good). Below the top level a supervisor that gives up escalates to
 * its parent, whose restart policy decides: a breaker there would fight it.
 */
function resolveRecoverAt(w: Walk, path: string, value: unknown, parent: AutoShutdown | undefined): ResolvedRecover | undefined {
  if (value === undefined) return undefined;
  if (parent !== undefined) {
    throw v.invalid(w.s, v.join(path, 'recover'), value, 'absent below the top level', 'only a top-level entry has a circuit breaker; inside a tree, a supervisor that gives up escalates to its parent');
  }
  return resolveRecover(w.s, v.join(path, 'recover'), value);
}

function resolveProcess(w: Walk, raw: Readonly<Record<string, unknown>>, path: string, parent: AutoShutdown | undefined): ResolvedProcessSpec {
  const { s, defaults: d } = w;
  const at = (key: string): string => v.join(path, key);
  const name = resolveName(w, path, raw.name);
  v.knownKeys(s, path, raw, ALL_PROCESS_KEYS, ['command']);
  if (raw.command === undefined) {
    throw v.invalid(s, at('command'), raw.command, 'a non-empty string', 'a process spec needs `command`; a supervisor spec needs `strategy` and `children`');
  }
  const restart = raw.restart === undefined ? d.restart : v.oneOf(s, at('restart'), raw.restart, RESTART_TYPES);
  const sampling = raw.sampling === undefined ? undefined : resolveSampling(s, at('sampling'), raw.sampling);
  const effectiveSampling: ResolvedSampling | false = sampling ?? d.sampling;
  const liveness = raw.liveness === undefined ? [] : Array.isArray(raw.liveness) ? raw.liveness : [raw.liveness];
  const livenessPath = (i: number): string => (Array.isArray(raw.liveness) ? v.index(at('liveness'), i) : at('liveness'));
  const ipc = raw.ipc === undefined ? false : v.boolean(s, at('ipc'), raw.ipc);
  const spec: ResolvedProcessSpec = {
    kind: 'process',
    name,
    command: v.string(s, at('command'), raw.command),
    args: raw.args === undefined ? NONE : v.stringArray(s, at('args'), raw.args),
    cwd: raw.cwd === undefined ? undefined : v.string(s, at('cwd'), raw.cwd),
    env: raw.env === undefined ? NO_ENV : resolveEnv(s, at('env'), raw.env),
    extendEnv: raw.extendEnv === undefined ? DEFAULTS.extendEnv : v.boolean(s, at('extendEnv'), raw.extendEnv),
    shell: raw.shell === undefined ? false : resolveShell(s, at('shell'), raw.shell),
    restart,
    successExitCodes:
      raw.successExitCodes === undefined
        ? DEFAULTS.successExitCodes
        : v.array(s, at('successExitCodes'), raw.successExitCodes).map((c, i) => v.integer(s, v.index(at('successExitCodes'), i), c, 0, 255)),
    backoff: raw.backoff === undefined ? d.backoff : resolveBackoff(s, at('backoff'), raw.backoff),
    intensity: raw.intensity === undefined ? d.intensity : resolveIntensity(s, at('intensity'), raw.intensity, d.intensity),
    shutdown: raw.shutdown === undefined ? d.shutdown : resolveShutdown(s, at('shutdown'), raw.shutdown, d.shutdown),
    startTimeout: raw.startTimeout === undefined ? d.startTimeout : v.duration(s, at('startTimeout'), raw.startTimeout, { positive: true, timer: true }),
    minUptime: raw.minUptime === undefined ? d.minUptime : v.duration(s, at('minUptime'), raw.minUptime),
    schedule: raw.schedule === undefined ? undefined : resolveSchedule(s, at('schedule'), raw.schedule),
    recover: resolveRecoverAt(w, path, raw.recover, parent),
    sockets: raw.sockets === undefined ? NONE : resolveSockets(s, at('sockets'), raw.sockets),
    readiness: raw.readiness === undefined ? undefined : resolveProbe(s, at('readiness'), raw.readiness, 'readiness'),
    liveness: liveness.length === 0 ? NONE : liveness.map((probe, i) => resolveProbe(s, livenessPath(i), probe, 'liveness')),
    heartbeat: raw.heartbeat === undefined ? undefined : resolveHeartbeat(s, at('heartbeat'), raw.heartbeat),
    limits: raw.limits === undefined ? undefined : resolveLimits(s, at('limits'), raw.limits, effectiveSampling),
    sampling,
    watch: raw.watch === undefined ? undefined : resolveWatch(s, at('watch'), raw.watch),
    instances: raw.instances === undefined ? undefined : v.integer(s, at('instances'), raw.instances, 1, MAX_INSTANCES),
    output: raw.output === undefined ? d.output : resolveOutput(s, at('output'), raw.output, d.output),
    ipc,
    significant: resolveSignificant(w, path, raw.significant, restart, parent),
    stdin: raw.stdin === undefined ? DEFAULTS.stdin : v.oneOf(s, at('stdin'), raw.stdin, STDIN_MODES),
    color: raw.color === undefined ? undefined : resolveColor(s, at('color'), raw.color),
    rlimits: raw.rlimits === undefined ? undefined : resolveRlimits(s, at('rlimits'), raw.rlimits),
    cgroup: raw.cgroup === undefined ? undefined : resolveCgroup(s, at('cgroup'), raw.cgroup),
  };
  // An `ipc` probe waits for the child's announcement, which needs a channel to arrive on.
  const ipcProbe = [spec.readiness, ...spec.liveness].find((p) => p?.type === 'ipc');
  if (ipcProbe !== undefined && !ipc && !spec.output.commands) {
    throw v.invalid(s, at('ipc'), raw.ipc, "`true` (or `output.commands` on) when a probe has `type: 'ipc'`", 'the child announces itself over IPC or `::procvisor::` output lines');
  }
  return spec;
}

function resolveSupervisor(w: Walk, raw: Readonly<Record<string, unknown>>, path: string, parent: AutoShutdown | undefined): ResolvedSupervisorSpec {
  const { s, defaults: d } = w;
  const at = (key: string): string => v.join(path, key);
  const name = resolveName(w, path, raw.name);
  if (raw.command !== undefined) {
    throw v.invalid(s, at('command'), raw.command, 'absent in a supervisor spec', 'a spec with `strategy` or `children` is a supervisor');
  }
  v.knownKeys(s, path, raw, SUPERVISOR_SPEC_KEYS, ['strategy', 'children']);
  const strategy = v.oneOf(s, at('strategy'), raw.strategy, STRATEGIES);
  const restart = raw.restart === undefined ? d.restart : v.oneOf(s, at('restart'), raw.restart, RESTART_TYPES);
  const autoShutdown = raw.autoShutdown === undefined ? DEFAULTS.autoShutdown : v.oneOf(s, at('autoShutdown'), raw.autoShutdown, AUTO_SHUTDOWNS);
  const shutdownRaw = raw.shutdown === undefined ? {} : v.options(s, at('shutdown'), raw.shutdown, ['timeout'], '`{ timeout? }` (a supervisor stops each child by its own spec)');
  const shutdownTimeout =
    shutdownRaw.timeout === undefined
      ? DEFAULTS.supervisorShutdownTimeout
      : v.duration(s, v.join(at('shutdown'), 'timeout'), shutdownRaw.timeout, { infinity: true, timer: true });
  const intensity = raw.intensity === undefined ? d.intensity : resolveIntensity(s, at('intensity'), raw.intensity, d.intensity);
  const significant = resolveSignificant(w, path, raw.significant, restart, parent);
  const recover = resolveRecoverAt(w, path, raw.recover, parent);
  const depth = path.split('children[').length;
  if (depth > MAX_DEPTH) throw v.invalid(s, at('children'), raw.children, `at most ${MAX_DEPTH} levels of nested supervisors`, 'flatten the tree');
  const children = v.array(s, at('children'), raw.children, true).map((child, i) => resolveNode(w, child, v.index(at('children'), i), autoShutdown));
  return { kind: 'supervisor', name, strategy, children, intensity, restart, autoShutdown, significant, shutdownTimeout, backoff: d.backoff, recover };
}

function resolveNode(w: Walk, spec: unknown, path: string, parent: AutoShutdown | undefined): ResolvedChildSpec {
  const raw = v.object(w.s, path, spec, 'a process or supervisor spec object');
  return isSupervisorSpec(raw) ? resolveSupervisor(w, raw, path, parent) : resolveProcess(w, raw, path, parent);
}

/**
 * Validates and resolves a process or supervisor spec (a whole tree). `path` prefixes field paths
 * in errors (e.g. `children[3]` for a child added at runtime); `context` says where it is added.
 * @throws InvalidSpecError on the first problem found.
 */
export function resolveChildSpec(spec: unknown, defaults: ChildDefaults, path = '', context: ResolveContext = {}): ResolvedChildSpec {
  return deepFreeze(resolveNode(startWalk(spec, defaults), spec, path, context.parentAutoShutdown));
}

/** Like `resolveChildSpec`, for a spec that must be a process. */
export function resolveProcessSpec(spec: unknown, defaults: ChildDefaults, path = '', context: ResolveContext = {}): ResolvedProcessSpec {
  const w = startWalk(spec, defaults);
  const raw = v.object(w.s, path, spec, 'a process spec object');
  if (isSupervisorSpec(raw)) throw v.invalid(w.s, path, spec, 'a process spec', 'it has `strategy` or `children`');
  return deepFreeze(resolveProcess(w, raw, path, context.parentAutoShutdown));
}

/** Like `resolveChildSpec`, for a spec that must be a supervisor. */
export function resolveSupervisorSpec(spec: unknown, defaults: ChildDefaults, path = '', context: ResolveContext = {}): ResolvedSupervisorSpec {
  const w = startWalk(spec, defaults);
  const raw = v.object(w.s, path, spec, 'a supervisor spec object');
  if (!isSupervisorSpec(raw)) throw v.invalid(w.s, path, spec, 'a supervisor spec', 'it has neither `strategy` nor `children`');
  return deepFreeze(resolveSupervisor(w, raw, path, context.parentAutoShutdown));
}

/** Manager options with every default filled; `defaults` is what children inherit. */
export interface ResolvedManagerOptions {
  readonly defaults: ChildDefaults;
  readonly sampling: ResolvedSampling | false;
  readonly maxConcurrentJobs: number;
  readonly orphans: 'kill' | 'keep';
  readonly handleSignals: boolean;
  readonly keepAlive: boolean;
  readonly cgroups: 'auto' | 'all' | false;
  readonly clock: Clock;
  /** The manager-wide restart limit, or `false` (off). */
  readonly restartBudget: ResolvedRestartBudget | false;
}

const MANAGER_KEYS = [
  'restart', 'backoff', 'intensity', 'shutdown', 'output', 'startTimeout', 'sampling', 'maxConcurrentJobs',
  'orphans', 'handleSignals', 'keepAlive', 'cgroups', 'clock', 'minUptime', 'restartBudget',
] as const;


function resolveClock(s: Subject, value: unknown): Clock {
  // Only checked, never copied or frozen: a test clock is the caller's object (often a class
  // instance, its methods on the prototype) and keeps its state.
  if (typeof value !== 'object' || value === null) throw v.invalid(s, 'clock', value, 'a clock `{ now, setTimeout, clearTimeout }`');
  const raw = value as Record<string, unknown>;
  for (const key of ['now', 'setTimeout', 'clearTimeout']) v.func(s, v.join('clock', key), raw[key]);
  return value as Clock;
}

function resolveCgroups(s: Subject, value: unknown): 'auto' | 'all' | false {
  if (value === false || value === 'auto' || value === 'all') return value;
  throw v.invalid(s, 'cgroups', value, "`'auto'`, `'all'` or `false`");
}

/**
 * The clock of a manager with `keepAlive: false`: the same time, and timers that never hold the
 * event loop open (unref'd where the timer has `unref`, as Node's have; a test clock's may not).
 */
function unrefClock(clock: Clock): Clock {
  return Object.freeze({
    now: () => clock.now(),
    setTimeout: (fn: () => void, ms: number) => unrefTimer(clock.setTimeout(fn, ms)),
    clearTimeout: (timer: ClockTimer) => clock.clearTimeout(timer),
  });
}

/**
 * Validates and resolves `new ProcessManager(options)`. `undefined` means all defaults.
 * @throws InvalidArgumentError on the first problem found.
 */
export function resolveManagerOptions(options: unknown): ResolvedManagerOptions {
  const s = v.OPTIONS_SUBJECT;
  const raw = options === undefined ? {} : v.options(s, '', options, MANAGER_KEYS, 'an options object');
  const sampling = raw.sampling === undefined ? false : resolveSampling(s, 'sampling', raw.sampling);
  const keepAlive = raw.keepAlive === undefined ? DEFAULTS.keepAlive : v.boolean(s, 'keepAlive', raw.keepAlive);
  const clock = raw.clock === undefined ? systemClock : resolveClock(s, raw.clock);
  const defaults: ChildDefaults = {
    restart: raw.restart === undefined ? DEFAULTS.restart : v.oneOf(s, 'restart', raw.restart, RESTART_TYPES),
    backoff: raw.backoff === undefined ? { ...DEFAULTS.backoff } : resolveBackoff(s, 'backoff', raw.backoff),
    intensity: raw.intensity === undefined ? { ...DEFAULTS.intensity } : resolveIntensity(s, 'intensity', raw.intensity, DEFAULTS.intensity),
    shutdown: raw.shutdown === undefined ? { ...DEFAULTS.shutdown } : resolveShutdown(s, 'shutdown', raw.shutdown, DEFAULTS.shutdown),
    output: raw.output === undefined ? BASE_OUTPUT : resolveOutput(s, 'output', raw.output, BASE_OUTPUT),
    startTimeout: raw.startTimeout === undefined ? DEFAULTS.startTimeout : v.duration(s, 'startTimeout', raw.startTimeout, { positive: true, timer: true }),
    sampling,
    minUptime: raw.minUptime === undefined ? DEFAULTS.minUptime : v.duration(s, 'minUptime', raw.minUptime),
  };
  return Object.freeze({
    defaults: deepFreeze(defaults),
    sampling,
    maxConcurrentJobs: raw.maxConcurrentJobs === undefined ? DEFAULTS.maxConcurrentJobs : v.integer(s, 'maxConcurrentJobs', raw.maxConcurrentJobs, 1),
    orphans: raw.orphans === undefined ? DEFAULTS.orphans : v.oneOf(s, 'orphans', raw.orphans, ['kill', 'keep']),
    handleSignals: raw.handleSignals === undefined ? DEFAULTS.handleSignals : v.boolean(s, 'handleSignals', raw.handleSignals),
    keepAlive,
    cgroups: raw.cgroups === undefined ? DEFAULTS.cgroups : resolveCgroups(s, raw.cgroups),
    clock: keepAlive ? clock : unrefClock(clock),
    restartBudget: raw.restartBudget === undefined ? DEFAULTS.restartBudget : deepFreeze(resolveRestartBudget(s, 'restartBudget', raw.restartBudget)),
  });
}
