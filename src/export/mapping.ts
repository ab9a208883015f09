/**
 * Mapping helpers every exporter shares: the argv a spec runs, durations and sizes in the units
 * engines take, the effective resource ceilings, a probe as a command, and the warnings for what
 * only a procvisor host can do.
 */
import { programArgv } from '../os/prelude.js';
import type { ResolvedProbe, ResolvedProcessSpec } from '../spec/resolved.js';
import { isSet, type ProcessNode } from './model.js';
import type { Warn } from './warnings.js';

/** The argv procvisor spawns: `[command, ...args]`, or `[shell, '-c', line]` with `shell`. */
export function argvOf(spec: ResolvedProcessSpec): [string, ...string[]] {
  return programArgv(spec.command, spec.args, spec.shell);
}

/** Whole seconds, rounded up (an engine that counts seconds never cuts a wait short). */
export function ceilSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** A duration as systemd and Compose write it: `5s`, `250ms`, `2min` is written `120s`. */
export function timeSpan(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

/** The environment the spec sets, with `color` turned into `FORCE_COLOR`/`NO_COLOR`; removals left out. */
export function environmentOf(node: ProcessNode, warn: Warn): [string, string][] {
  const { spec } = node;
  const env = new Map<string, string>();
  if (spec.color === true) env.set('FORCE_COLOR', '1');
  if (spec.color === false) env.set('NO_COLOR', '1');
  if (spec.color === 'auto') warn(spec.name, 'color', "`'auto'` depends on the host's terminal; no colour variable is set (set `color: true` or `false`)");
  for (const [key, value] of Object.entries(spec.env)) {
    if (value === undefined) env.delete(key);
    else env.set(key, value);
  }
  return [...env];
}

/** Memory (bytes), CPU (% of one core) and process ceilings: the lower of `limits` and `cgroup`. */
export interface Ceilings {
  readonly memory: number | undefined;
  readonly cpu: number | undefined;
  readonly pids: number | undefined;
}

const lower = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** The ceilings of a spec, warning for the parts of `limits` that engines enforce differently. */
export function ceilingsOf(node: ProcessNode, warn: Warn, engine: string): Ceilings {
  const { spec, raw } = node;
  const limits = spec.limits;
  if (limits !== undefined) {
    const sampled = 'procvisor samples usage and acts on a sustained breach;';
    if (isSet(raw, 'limits.action') && limits.action !== 'restart') {
      warn(spec.name, 'limits.action', `${sampled} ${engine} enforces memory and CPU ceilings in the kernel (an OOM kill, CPU throttling), never \`'${limits.action}'\``);
    }
    if (isSet(raw, 'limits.for')) warn(spec.name, 'limits.for', `${sampled} ${engine} enforces the ceiling at once, with no grace period`);
    if (isSet(raw, 'limits.warning')) warn(spec.name, 'limits.warning', `${engine} has no warning level below a limit; use its metrics and alerts`);
    if (isSet(raw, 'limits.scope') && limits.scope === 'process') warn(spec.name, 'limits.scope', `${engine} limits the whole cgroup (the process tree), not one process`);
    if (limits.cpu !== undefined) warn(spec.name, 'limits.cpu', `procvisor restarts on sustained CPU use; ${engine} throttles the CPU at the limit instead`);
  }
  return {
    memory: lower(limits?.memory, spec.cgroup?.memory),
    cpu: lower(limits?.cpu, spec.cgroup?.cpu),
    pids: spec.cgroup?.pids,
  };
}

/** A loopback host: a probe of it from outside the process's network namespace misses. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}

/** The POSIX shell single-quoting of one word. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A probe as a command whose exit status is the check (for Compose healthchecks and systemd
 * readiness loops): `curl` for `http`, bash's `/dev/tcp` for `tcp`, the command itself for `exec`.
 * Undefined (with a warning) for `log`, `ipc` and `custom`, which only exist inside procvisor.
 */
export function probeCommand(name: string, field: string, probe: ResolvedProbe, warn: Warn): string[] | undefined {
  switch (probe.type) {
    case 'http': {
      const [min, max] = probe.status;
      if (min !== 200 || max !== 399) warn(name, `${field}.status`, `the check passes on any status below 400 (curl --fail), not only ${min}–${max}`);
      if (probe.body !== undefined) warn(name, `${field}.body`, 'the response body is not checked');
      const method = probe.method === 'GET' ? [] : ['-X', probe.method];
      warn(name, field, 'the HTTP check runs `curl`: the image (or host) must have it');
      return ['curl', '-fsS', '-o', '/dev/null', '--max-time', String(ceilSeconds(probe.timeout)), ...method, probe.url];
    }
    case 'tcp':
      warn(name, field, "the TCP check runs `bash -c 'exec 3<>/dev/tcp/HOST/PORT'`: the image (or host) must have bash");
      return ['bash', '-c', `exec 3<>/dev/tcp/${probe.host}/${probe.port}`];
    case 'exec':
      return [probe.command, ...probe.args];
    default:
      warnNotPortable(name, field, probe, warn);
      return undefined;
  }
}

/** The warning for a probe that exists only inside procvisor. */
export function warnNotPortable(name: string, field: string, probe: ResolvedProbe, warn: Warn): void {
  const why =
    probe.type === 'log'
      ? 'a `log` probe watches output procvisor reads; the engine cannot: use an `http`, `tcp` or `exec` probe (for example a file the program writes when ready)'
      : probe.type === 'ipc'
        ? 'an `ipc` probe waits for `ready()` over procvisor\'s IPC channel, which does not exist there: use an `http`, `tcp` or `exec` probe (systemd: `Type=notify` with sd_notify)'
        : 'a `custom` probe is a JavaScript function in the procvisor host: use an `http`, `tcp` or `exec` probe';
  warn(name, field, `not exported: ${why}`);
}

/** Warnings for the fields only a procvisor host has, whatever the target. */
export function warnHostOnly(node: ProcessNode, warn: Warn): void {
  const { spec, raw } = node;
  const only = (field: string, message: string): void => {
    if (isSet(raw, field)) warn(spec.name, field, message);
  };
  only('watch', 'not exported: file watching is a development aid of procvisor; rebuild and redeploy instead');
  only('schedule', 'not exported: scheduled restarts have no equivalent (a CronJob or timer running a restart command is the nearest)');
  only('recover', 'not exported: the circuit breaker has no equivalent; the engine keeps restarting or stops as its own policy says');
  only('minUptime', 'not exported: unstable starts are not distinguished');
  only('output', 'not exported: output goes to the engine\'s log collection (kubectl logs, docker compose logs, journalctl)');
  only('sampling', 'not exported: resource sampling is procvisor\'s; use the engine\'s metrics');
  only('ipc', 'not exported: the IPC channel to procvisor does not exist there');
  if (spec.stdin !== 'ignore') warn(spec.name, 'stdin', `\`'${spec.stdin}'\` is not exported: the process gets no input from procvisor`);
  only('significant', 'not exported: auto-shutdown has no equivalent');
}
