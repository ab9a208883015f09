/**
 * Spawning one incarnation with node:child_process directly: on this hot path (every start and
 * restart) a general spawning library's import cost and per-spawn overhead miss the restart-gap,
 * start and import-time goals (docs/performance.md measured execa here); everything here is the
 * few options a supervised long-running process needs.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { DEFAULTS } from '../api/defaults.js';
import { SpawnFailedError } from '../api/errors.js';
import { SUPERVISED_ENV } from '../ipc/protocol.js';
import type { ResolvedProcessSpec } from '../spec/resolved.js';
import { childProcess, fs } from '../util/builtins.js';
import { newTreeCookie, TREE_COOKIE_ENV } from './cookie.js';
import { badEnvAtExec, isEmptyPlan, PRELUDE_SHELL, preludeScript, programArgv, type LaunchExtras, type PreludePlan } from './prelude.js';

export type { LaunchExtras } from './prelude.js';

/** Whether children get their own process group (and session): everywhere but Windows. */
export const USE_PROCESS_GROUPS = process.platform !== 'win32';

/**
 * Environment variable holding the incarnation's restart count: 0 for the first, then the number
 * the `spawn` event reports as `restarts` (for a job, its attempt number minus one).
 */
export const RESTARTS_ENV = 'PROCVISOR_RESTARTS';

/** What `color: 'auto'` looks at on the host: whether its stdout is a terminal, and its environment. */
export interface HostTerminal {
  /** Whether the host's stdout is a terminal (`process.stdout.isTTY`). */
  readonly isTTY: boolean;
  /** The host's environment, for its `NO_COLOR`. */
  readonly env: NodeJS.ProcessEnv;
}

/** The host as it is now: read at each spawn, since a host may change its own environment. */
function currentHost(): HostTerminal {
  return { isTTY: process.stdout.isTTY === true, env: process.env };
}

/**
 * Applies the spec's `color` to a child's environment `env`, in place. `true`: `FORCE_COLOR=1`,
 * `NO_COLOR` removed; `false`: `NO_COLOR=1`, `FORCE_COLOR` removed; `'auto'`: as `true` when the
 * host's stdout is a terminal and the host's `NO_COLOR` is unset or empty (the no-color.org rule),
 * otherwise nothing; `undefined`: nothing. The spec's `env` is applied after this and wins.
 */
export function applyColor(env: NodeJS.ProcessEnv, color: ResolvedProcessSpec['color'], host: HostTerminal = currentHost()): void {
  const on = color === 'auto' ? host.isTTY && !host.env.NO_COLOR : color;
  if (on === true) {
    env.FORCE_COLOR = '1';
    delete env.NO_COLOR;
  } else if (color === false) {
    env.NO_COLOR = '1';
    delete env.FORCE_COLOR;
  }
}

/**
 * The environment of a child: host env (unless `extendEnv: false`), unbuffering defaults, the
 * colour variables of `color` ({@link applyColor}), with `restarts` its restart count
 * ({@link RESTARTS_ENV}), then the spec's `env`, which may override all of them; last, with a
 * `cookie`, the tree cookie (`PROCVISOR_TREE`), which the spec cannot override. `host` is what
 * `color: 'auto'` looks at (the real host unless a test passes its own).
 */
export function childEnv(
  spec: Pick<ResolvedProcessSpec, 'env' | 'extendEnv' | 'ipc'> & Partial<Pick<ResolvedProcessSpec, 'color'>>,
  cookie?: string,
  restarts?: number,
  host?: HostTerminal,
): NodeJS.ProcessEnv {
  // A copy, not an object inheriting from process.env: spawn() would read inherited keys too, but
  // V8 caches the keys a for-in finds on the prototype, so a variable the host sets later would
  // be missed (measured: it is).
  const env: NodeJS.ProcessEnv = {};
  if (spec.extendEnv) {
    // Key by key rather than a spread: each read of process.env crosses into the runtime either
    // way, and the spread's generic copy of such an object took half again as long (measured).
    const own = process.env;
    for (const key of Object.keys(own)) setVariable(env, key, own[key] as string);
  }
  for (const [key, value] of Object.entries(DEFAULTS.unbufferedEnv)) {
    if (env[key] === undefined && !(key in spec.env)) env[key] = value;
  }
  if (spec.color !== undefined) applyColor(env, spec.color, host);
  // Set over the host's own value: a procvisor host supervised by another one has its own count.
  if (restarts !== undefined) env[RESTARTS_ENV] = String(restarts);
  // procvisor/child helpers act only when this is set (and delete it, so grandchildren don't inherit it).
  if (spec.ipc) env[SUPERVISED_ENV] = String(process.pid);
  for (const [key, value] of Object.entries(spec.env)) {
    if (value === undefined) delete env[key];
    else setVariable(env, key, value);
  }
  // Every descendant inherits it: how an escapee that lost its parent link is still found.
  if (cookie !== undefined) env[TREE_COOKIE_ENV] = cookie;
  return env;
}

/**
 * Sets one variable of a child's environment. A variable named `__proto__` (legal in an
 * environment) is defined as an own property: assigned, it would hit `Object.prototype`'s setter
 * and never reach the child.
 */
export function setVariable(env: NodeJS.ProcessEnv, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(env, key, { value, enumerable: true, writable: true, configurable: true });
  else env[key] = value;
}

/**
 * Checks what the OS would report only vaguely: a missing cwd makes `spawn` fail with an ENOENT
 * that reads as if the program were missing.
 */
function checkCwd(spec: ResolvedProcessSpec): void {
  if (spec.cwd === undefined) return;
  // Absolute in the message: a relative cwd is resolved against the host's, which is often not
  // the directory the user had in mind.
  const where = resolve(spec.cwd);
  let isDir = false;
  try {
    isDir = fs().statSync(spec.cwd).isDirectory();
  } catch (cause) {
    throw new SpawnFailedError(spec.name, `Cannot start \`${spec.name}\`: working directory \`${where}\` does not exist`, {
      cause,
      errno: 'ENOENT',
    });
  }
  if (!isDir) {
    throw new SpawnFailedError(spec.name, `Cannot start \`${spec.name}\`: working directory \`${where}\` is not a directory`, {
      errno: 'ENOTDIR',
    });
  }
}

/**
 * The hint for a command that is not found because it is a whole command line (`npm run dev`)
 * run without a shell: the program name is the first word only.
 */
function commandLineHint(spec: ResolvedProcessSpec): string {
  if (spec.shell !== false) return '';
  const words = spec.command.trim().split(/\s+/);
  if (words.length < 2) return '';
  const [program, ...args] = words;
  const example = `command: '${program}', args: [${args.map((a) => `'${a}'`).join(', ')}]`;
  return ` — the command is one program name; put its arguments in \`args\` (\`${example}\`) or set \`shell: true\``;
}

/** Turns an OS spawn error into a SpawnFailedError with a sentence a person can act on. */
export function toSpawnError(spec: ResolvedProcessSpec, error: NodeJS.ErrnoException): SpawnFailedError {
  const code = error.code;
  const what =
    code === 'ENOENT'
      ? `command \`${spec.command}\` not found${commandLineHint(spec)}`
      : code === 'EACCES'
        ? `permission denied running \`${spec.command}\``
        : `spawning \`${spec.command}\` failed (${code ?? error.message})`;
  return new SpawnFailedError(spec.name, `Cannot start \`${spec.name}\`: ${what}`, { cause: error, errno: code });
}

/** Where there is no POSIX shell to run a prelude in. */
const NO_PRELUDE = process.platform === 'win32';

/**
 * The prelude of a launch (os/prelude.ts), or `undefined` when none is needed: `rlimits`,
 * `envAtExec`, or a cgroup to join before `exec`. Throws a SpawnFailedError where none can run.
 */
function planPrelude(spec: ResolvedProcessSpec, extras: LaunchExtras | undefined, env: NodeJS.ProcessEnv): PreludePlan | undefined {
  const plan = {
    rlimits: spec.rlimits,
    envAtExec: extras?.envAtExec,
    cgroupProcs: extras?.cgroup !== undefined && extras.cgroupBeforeExec === true ? join(extras.cgroup, 'cgroup.procs') : undefined,
    env,
  };
  if (isEmptyPlan(plan)) return undefined;
  if (NO_PRELUDE) {
    const what = spec.rlimits !== undefined ? '`rlimits`' : 'variables set at exec';
    throw new SpawnFailedError(spec.name, `Cannot start \`${spec.name}\`: ${what} need a POSIX shell to apply them, and ${process.platform} has none; remove \`rlimits\` from its spec`, {
      errno: 'ENOTSUP',
    });
  }
  const bad = badEnvAtExec(plan.envAtExec);
  if (bad !== undefined) throw new SpawnFailedError(spec.name, `Cannot start \`${spec.name}\`: ${bad}`, { errno: 'EINVAL' });
  return plan;
}

/**
 * Finds `command` as `exec` would (a path with a slash from `cwd`, a name on the child's `PATH`):
 * through a prelude, a missing program would only be the shell's exit 127, so it is told as
 * spawn would tell it. Returns the errno spawn would report, or `undefined` when it runs.
 */
function findProgram(command: string, env: NodeJS.ProcessEnv, cwd: string | undefined): 'ENOENT' | 'EACCES' | undefined {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd ?? '.', command)]
    : (env.PATH ?? '/usr/bin:/bin').split(delimiter).map((dir) => resolve(cwd ?? '.', dir === '' ? '.' : dir, command));
  const { accessSync, constants, statSync } = fs();
  let denied = false;
  for (const path of candidates) {
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') denied = true;
    }
  }
  return denied ? 'EACCES' : 'ENOENT';
}

/**
 * Spawns the process. Resolves once the OS reports it spawned; rejects with a SpawnFailedError for a missing
 * binary, a bad cwd or a permission error. The child leads its own process group, and carries
 * `cookie` (see cookie.ts: one per incarnation, from `newTreeCookie()`) in its environment.
 * `onForked` is called synchronously the moment the OS process exists (before this function
 * returns), so whoever must kill it with the host registers it before anything else can happen.
 * `restarts` is the incarnation's restart count, given to it as `PROCVISOR_RESTARTS`.
 *
 * `extras` (os/prelude.ts): descriptors passed as fd 3, 4, …; variables set right before `exec`
 * (`'$$'`: the child's own pid); a cgroup the child joins — written by the host right after the
 * fork, before `onForked`, and, with `cgroupBeforeExec`, by the prelude before the program runs.
 * The spec's `rlimits`, `envAtExec` and `cgroupBeforeExec` start the child through the prelude
 * (`/bin/sh -c '…; exec "$0" "$@"' <program> <args…>`: same pid, same argv, same environment).
 */
export function spawnChild(
  spec: ResolvedProcessSpec,
  cookie: string = newTreeCookie(),
  onForked?: (pid: number) => void,
  restarts?: number,
  extras?: LaunchExtras,
): Promise<ChildProcess> {
  checkCwd(spec);
  const fds = extras?.fds ?? [];
  const stdio: StdioOptions = [spec.stdin, 'pipe', 'pipe', ...fds];
  if (spec.ipc) stdio.push('ipc');
  const env = childEnv(spec, cookie, restarts);
  let file = spec.command;
  let args = spec.args as string[];
  let shell = spec.shell;
  let child: ChildProcess;
  try {
    const plan = planPrelude(spec, extras, env);
    if (plan !== undefined) {
      if (spec.shell === false) {
        const missing = findProgram(spec.command, env, spec.cwd);
        if (missing !== undefined) throw toSpawnError(spec, Object.assign(new Error(missing), { code: missing }));
      }
      const [program, ...programArgs] = programArgv(spec.command, spec.args, spec.shell);
      file = PRELUDE_SHELL;
      args = ['-c', preludeScript(plan), program, ...programArgs];
      shell = false;
    }
    child = childProcess().spawn(file, args, {
      cwd: spec.cwd,
      env,
      shell,
      detached: USE_PROCESS_GROUPS,
      stdio,
      windowsHide: true,
    });
  } catch (error) {
    if (error instanceof SpawnFailedError) return Promise.reject(error);
    return Promise.reject(toSpawnError(spec, error as NodeJS.ErrnoException));
  }
  // A child that exits or closes its stdin turns the host's next write into EPIPE, reported on the
  // stream: without a listener that would be an uncaught exception (writers learn of it through
  // their write's callback, see ProcessWorker.write).
  child.stdin?.on('error', ignoreStreamError);
  if (child.pid !== undefined) {
    // Into its cgroup the moment it exists: the pid cannot name another process yet (it is not
    // reaped before this turn ends). What it forked before this write is still found by the walks.
    if (extras?.cgroup !== undefined) joinCgroup(extras.cgroup, child.pid);
    onForked?.(child.pid);
  }
  if (child.pid === undefined) {
    // Node has no pid only for a spawn that failed (ENOENT, EACCES, EAGAIN, EMFILE…), and tells
    // why with an `error` on the next tick.
    return new Promise((_, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => reject(toSpawnError(spec, error)));
    });
  }
  // Spawned, and Node's `spawn` event is queued for the next tick: resolved on the tick after it
  // (and after the reaper's write of this run, queued by `onForked`), the order the `spawn` event
  // gave. No listener pair per start: during a start of a thousand, every start's pair (two `once`
  // wrappers, two closures) was held until its spawn event.
  return new Promise((resolve) => process.nextTick(resolve, child));
}

/** Writes `pid` to the `cgroup.procs` of `dir`; a failure leaves the tree to walks and cookies. */
function joinCgroup(dir: string, pid: number): void {
  try {
    fs().writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch {
    // the cgroup is an addition: the tree is still found and killed without it
  }
}

/** The 'error' listener of a child's stdin pipe: a closed pipe is no fault of the host. */
function ignoreStreamError(): void {}
