/**
 * Spawning one incarnation with node:child_process directly. execa is the project's general
 * spawning library, but on this hot path (every start and restart) its import cost and per-spawn
 * overhead miss the restart-gap, start-200 and import-time goals (see bench/ and docs/performance.md);
 * everything here is the few options a supervised long-running process needs.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULTS } from '../api/defaults.js';
import { SpawnFailedError } from '../api/errors.js';
import { SUPERVISED_ENV } from '../ipc/protocol.js';
import type { ResolvedProcessSpec } from '../spec/resolved.js';
import { newTreeCookie, TREE_COOKIE_ENV } from './cookie.js';

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
  const env: NodeJS.ProcessEnv = spec.extendEnv ? { ...process.env } : {};
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
    else env[key] = value;
  }
  // Every descendant inherits it: how an escapee that lost its parent link is still found.
  if (cookie !== undefined) env[TREE_COOKIE_ENV] = cookie;
  return env;
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
    isDir = statSync(spec.cwd).isDirectory();
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

/**
 * Spawns the process. Resolves once the OS reports it spawned; rejects with a SpawnFailedError for a missing
 * binary, a bad cwd or a permission error. The child leads its own process group, and carries
 * `cookie` (see cookie.ts: one per incarnation, from `newTreeCookie()`) in its environment.
 * `onForked` is called synchronously the moment the OS process exists (before this function
 * returns), so whoever must kill it with the host registers it before anything else can happen.
 * `restarts` is the incarnation's restart count, given to it as `PROCVISOR_RESTARTS`.
 */
export function spawnChild(
  spec: ResolvedProcessSpec,
  cookie: string = newTreeCookie(),
  onForked?: (pid: number) => void,
  restarts?: number,
): Promise<ChildProcess> {
  checkCwd(spec);
  const stdio: StdioOptions = spec.ipc ? [spec.stdin, 'pipe', 'pipe', 'ipc'] : [spec.stdin, 'pipe', 'pipe'];
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args as string[], {
      cwd: spec.cwd,
      env: childEnv(spec, cookie, restarts),
      shell: spec.shell,
      detached: USE_PROCESS_GROUPS,
      stdio,
      windowsHide: true,
    });
  } catch (error) {
    return Promise.reject(toSpawnError(spec, error as NodeJS.ErrnoException));
  }
  // A child that exits or closes its stdin turns the host's next write into EPIPE, reported on the
  // stream: without a listener that would be an uncaught exception (writers learn of it through
  // their write's callback, see ProcessWorker.write).
  child.stdin?.on('error', ignoreStreamError);
  if (child.pid !== undefined) onForked?.(child.pid);
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      child.off('spawn', onSpawn);
      reject(toSpawnError(spec, error));
    };
    const onSpawn = (): void => {
      child.off('error', onError);
      resolve(child);
    };
    child.once('error', onError);
    child.once('spawn', onSpawn);
  });
}

/** The 'error' listener of a child's stdin pipe: a closed pipe is no fault of the host. */
function ignoreStreamError(): void {}
