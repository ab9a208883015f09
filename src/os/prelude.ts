/**
 * The launch prelude: a `/bin/sh -c '<script>' <command> <args…>` that sets what Node cannot set
 * for a child — resource limits (`setrlimit`), environment variables that need the child's own pid
 * (`LISTEN_PID=$$`), an early join of its cgroup — and then `exec`s the program, which keeps the
 * pid, the environment, the open descriptors and the argv exactly: the command and its arguments
 * are positional parameters (`exec "$0" "$@"`), never text of the script.
 *
 * Only builtins run before the `exec` (no extra process): `ulimit` and `echo`. Units and flags were
 * measured on dash and on bash run as `sh` (POSIX mode): `-v` (address space) in KiB; `-c` (core
 * size) in 512-byte blocks; `-n` and `-t` unscaled (descriptors, seconds); the process count is
 * `-u` in bash, zsh and macOS's sh but `-p` in dash and busybox, so the script tries `-u` then `-p`.
 * A limit the shell cannot set (raising a hard limit without privilege) ends the prelude with
 * {@link PRELUDE_FAILED} and a line on stderr naming the field: never a silently missing limit.
 *
 * A shell exports only variables whose names it can hold, and sets `PWD` (bash as `sh` also
 * `SHLVL`): the script puts `PWD`, `OLDPWD` and `SHLVL` back as the host computed them; a variable
 * whose name is not a shell name (`A.B`, `BASH_FUNC_f%%`) is not passed through a prelude.
 */
import type { ResolvedRlimits } from '../spec/resolved.js';

/** What a launch adds beyond the spec (the seam of spawnChild). */
export interface LaunchExtras {
  /** Descriptors of the host passed to the child as fd 3, 4, … (the IPC channel, if any, follows them). */
  readonly fds?: readonly number[];
  /**
   * Variables the prelude sets right before `exec`, over the child's environment. The value `'$$'`
   * means the child's own pid (systemd's `LISTEN_PID`).
   */
  readonly envAtExec?: Readonly<Record<string, string>>;
  /** The cgroup directory the child joins (os/cgroup.ts): by the host right after the fork, and by a prelude before `exec`. */
  readonly cgroup?: string;
  /** Join the cgroup in the prelude, before the program runs (race-free; used when the cgroup has limits). */
  readonly cgroupBeforeExec?: boolean;
}

/** The shell every prelude runs in. */
export const PRELUDE_SHELL = '/bin/sh';

/** Exit code of a prelude that could not apply a limit (its stderr names the field). */
export const PRELUDE_FAILED = 125;

/** The value of {@link LaunchExtras.envAtExec} that stands for the child's own pid. */
export const OWN_PID = '$$';

/** A name a POSIX shell can export. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variables a shell sets by itself, put back by the prelude as the host computed them. */
const SHELL_OWNED = ['PWD', 'OLDPWD', 'SHLVL'] as const;

/** What the prelude of one launch does. */
export interface PreludePlan {
  readonly rlimits?: ResolvedRlimits | undefined;
  readonly envAtExec?: Readonly<Record<string, string>> | undefined;
  /** The `cgroup.procs` file to write `$$` into first. */
  readonly cgroupProcs?: string | undefined;
  /** The child's environment as the host computed it (for the variables a shell rewrites). */
  readonly env: NodeJS.ProcessEnv;
}

/** `value` as one single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A non-negative integer as decimal digits, whatever its size (no exponent notation). */
function digits(value: number): string {
  return BigInt(Math.max(0, Math.floor(value))).toString();
}

/** True when `plan` needs no prelude at all. */
export function isEmptyPlan(plan: Omit<PreludePlan, 'env'>): boolean {
  const r = plan.rlimits;
  const hasLimits = r !== undefined && Object.values(r).some((v) => v !== undefined);
  const hasEnv = plan.envAtExec !== undefined && Object.keys(plan.envAtExec).length > 0;
  return !hasLimits && !hasEnv && plan.cgroupProcs === undefined;
}

/**
 * Checks the names of `envAtExec`; returns a message for the first bad one, or `undefined`. A name
 * must be a shell name, since the prelude exports it.
 */
export function badEnvAtExec(envAtExec: Readonly<Record<string, string>> | undefined): string | undefined {
  for (const [key, value] of Object.entries(envAtExec ?? {})) {
    if (!SHELL_NAME.test(key)) return `\`${key}\` is not a valid environment variable name for the prelude (letters, digits and _, not starting with a digit)`;
    if (typeof value !== 'string') return `the value of \`${key}\` must be a string`;
  }
  return undefined;
}

/** One `ulimit` that ends the prelude with a message when the shell cannot set it. */
function ulimit(flags: readonly string[], value: string, field: string): string {
  const fail = `{ echo ${shellQuote(`procvisor: cannot set rlimits.${field}`)} >&2; exit ${PRELUDE_FAILED}; }`;
  const tries = flags.map((flag, i) => (i < flags.length - 1 ? `ulimit ${flag} ${value} 2>/dev/null` : `ulimit ${flag} ${value}`));
  return `${tries.join(' || ')} || ${fail}`;
}

/** The script of the prelude: `$0` is the program, `"$@"` its arguments. */
export function preludeScript(plan: PreludePlan): string {
  const lines: string[] = [];
  // First: the earlier the child is in its cgroup, the less of its tree can start outside it.
  if (plan.cgroupProcs !== undefined) lines.push(`{ echo $$ >${shellQuote(plan.cgroupProcs)}; } 2>/dev/null`);
  const r = plan.rlimits ?? {};
  // Each limit is set soft and hard at once (no -S/-H): the child can lower it, never raise it.
  if (r.memory !== undefined) lines.push(ulimit(['-v'], digits(r.memory / 1024), 'memory'));
  if (r.openFiles !== undefined) lines.push(ulimit(['-n'], digits(r.openFiles), 'openFiles'));
  if (r.processes !== undefined) lines.push(ulimit(['-u', '-p'], digits(r.processes), 'processes'));
  if (r.cpuTime !== undefined) lines.push(ulimit(['-t'], digits(r.cpuTime), 'cpuTime'));
  if (r.coreSize !== undefined) lines.push(ulimit(['-c'], digits(r.coreSize / 512), 'coreSize'));
  for (const name of SHELL_OWNED) {
    const value = plan.env[name];
    lines.push(value === undefined ? `unset ${name}` : `export ${name}=${shellQuote(value)}`);
  }
  for (const [key, value] of Object.entries(plan.envAtExec ?? {})) {
    lines.push(`export ${key}=${value === OWN_PID ? '$$' : shellQuote(value)}`);
  }
  lines.push('exec "$0" "$@"');
  return lines.join('\n');
}

/**
 * What the child runs without a prelude, as Node would (a `shell` spec: the shell with `-c` and
 * the command line joined by spaces, Node's own rule), so a prelude can `exec` exactly that.
 */
export function programArgv(command: string, args: readonly string[], shell: boolean | string): [string, ...string[]] {
  if (shell === false) return [command, ...args];
  const line = [command, ...args].join(' ');
  return [typeof shell === 'string' ? shell : '/bin/sh', '-c', line];
}
