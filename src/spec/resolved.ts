/**
 * Resolved specs: what `resolveSpec()` makes of a user's spec. Durations are milliseconds, sizes
 * bytes, every default is filled in, and the objects are frozen. Internal: not exported publicly.
 */
import type {
  AutoShutdown,
  BackoffFunction,
  ColorMode,
  Probe,
  ProbeContext,
  ProbeResult,
  RestartType,
  Signal,
  StdinMode,
  Strategy,
} from '../api/types.js';

export interface ResolvedIntensity {
  readonly maxRestarts: number;
  readonly period: number;
}

/** `schedule` of a process: the cron expression, validated (policy/schedule.ts computes occurrences). */
export interface ResolvedSchedule {
  readonly restart: string;
}

/** `recover` of a top-level entry, in ms. */
export interface ResolvedRecover {
  readonly after: number;
}

/** The manager's `restartBudget`, `period` in ms. */
export interface ResolvedRestartBudget {
  readonly max: number;
  readonly period: number;
}

export type ResolvedBackoff =
  | {
      readonly type: 'exponential';
      readonly initial: number;
      readonly factor: number;
      readonly max: number;
      readonly jitter: number;
      readonly resetAfter: number;
    }
  | {
      readonly type: 'linear';
      readonly initial: number;
      readonly step: number;
      readonly max: number;
      readonly jitter: number;
      readonly resetAfter: number;
    }
  | { readonly type: 'fixed'; readonly delay: number; readonly resetAfter: number }
  | { readonly type: 'function'; readonly fn: BackoffFunction; readonly resetAfter: number };

export type ResolvedShutdown = { readonly signal: Signal; readonly timeout: number } | 'kill';

export interface ResolvedProbeTiming {
  readonly initialDelay: number;
  readonly interval: number;
  readonly timeout: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export type ResolvedProbe = ResolvedProbeTiming &
  (
    | {
        readonly type: 'http';
        readonly url: string;
        readonly method: string;
        readonly status: readonly [min: number, max: number];
        readonly body: string | RegExp | undefined;
      }
    | { readonly type: 'tcp'; readonly port: number; readonly host: string }
    | { readonly type: 'log'; readonly pattern: RegExp; readonly stream: 'stdout' | 'stderr' | 'both' }
    | { readonly type: 'exec'; readonly command: string; readonly args: readonly string[] }
    | { readonly type: 'ipc' }
    | { readonly type: 'custom'; readonly check: (ctx: ProbeContext) => Promise<boolean | ProbeResult> }
  );

export interface ResolvedHeartbeat {
  readonly timeout: number;
  readonly detector: 'timeout' | 'phi';
  readonly threshold: number;
}

export interface ResolvedLimits {
  readonly memory: number | undefined;
  readonly cpu: number | undefined;
  /** Consecutive samples a breach must hold (derived from `for` and the sampling interval). */
  readonly forMs: number | undefined;
  readonly forSamples: number | undefined;
  readonly action: 'restart' | 'stop' | 'warn';
  readonly scope: 'tree' | 'process';
  readonly warning: { readonly memory: number | undefined; readonly cpu: number | undefined };
}

export interface ResolvedWatch {
  readonly paths: readonly string[];
  readonly ignore: readonly (string | RegExp)[];
  readonly debounce: number;
  /** What a change does: a restart, or a reload (a surge copy serves meanwhile). */
  readonly action: 'restart' | 'reload';
}

export interface ResolvedOutput {
  readonly lines: number;
  /** Most characters of output kept, over all kept lines. */
  readonly bytes: number;
  readonly mask: readonly (string | RegExp)[];
  readonly commands: boolean;
}

export interface ResolvedSampling {
  readonly interval: number;
  readonly history: number;
}

export interface ResolvedProcessSpec {
  readonly kind: 'process';
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly extendEnv: boolean;
  readonly shell: boolean | string;
  readonly restart: RestartType;
  readonly successExitCodes: readonly number[];
  readonly backoff: ResolvedBackoff;
  readonly intensity: ResolvedIntensity;
  readonly shutdown: ResolvedShutdown;
  readonly startTimeout: number;
  /** Shorter runs are unstable starts; 0 is off. */
  readonly minUptime: number;
  /** Scheduled restarts, or undefined. */
  readonly schedule: ResolvedSchedule | undefined;
  /** The circuit breaker of a top-level entry, or undefined (always undefined below the top level). */
  readonly recover: ResolvedRecover | undefined;
  /** Listening sockets handed to every incarnation (empty: none). */
  readonly sockets: readonly ResolvedSocket[];
  readonly readiness: ResolvedProbe | undefined;
  readonly liveness: readonly ResolvedProbe[];
  readonly heartbeat: ResolvedHeartbeat | undefined;
  readonly limits: ResolvedLimits | undefined;
  readonly sampling: ResolvedSampling | false | undefined;
  readonly watch: ResolvedWatch | undefined;
  readonly instances: number | undefined;
  readonly output: ResolvedOutput;
  readonly ipc: boolean;
  readonly significant: boolean;
  /** Where the child's stdin comes from. */
  readonly stdin: StdinMode;
  /** Colour override; undefined leaves the environment as it is. */
  readonly color: ColorMode | undefined;
  /** Kernel resource limits, in bytes, counts and whole seconds. */
  readonly rlimits: ResolvedRlimits | undefined;
  /** cgroup v2 limits, in bytes, % of one core and a count. */
  readonly cgroup: ResolvedCgroup | undefined;
}

/** `rlimits` with sizes in bytes and `cpuTime` in whole seconds (rounded up). */
export interface ResolvedRlimits {
  readonly memory?: number;
  readonly openFiles?: number;
  readonly processes?: number;
  readonly cpuTime?: number;
  readonly coreSize?: number;
}

/** `cgroup` with `memory` in bytes. */
export interface ResolvedCgroup {
  readonly memory?: number;
  readonly cpu?: number;
  readonly pids?: number;
}

export interface ResolvedSupervisorSpec {
  readonly kind: 'supervisor';
  readonly name: string;
  readonly strategy: Strategy;
  readonly children: readonly ResolvedChildSpec[];
  readonly intensity: ResolvedIntensity;
  readonly restart: RestartType;
  readonly autoShutdown: AutoShutdown;
  readonly significant: boolean;
  readonly shutdownTimeout: number;
  readonly backoff: ResolvedBackoff;
  /** The circuit breaker of a top-level tree, or undefined (always undefined below the top level). */
  readonly recover: ResolvedRecover | undefined;
}

export type ResolvedChildSpec = ResolvedProcessSpec | ResolvedSupervisorSpec;

/** Defaults a manager passes down to every spec it resolves. */
export interface ChildDefaults {
  readonly restart: RestartType;
  readonly backoff: ResolvedBackoff;
  readonly intensity: ResolvedIntensity;
  readonly shutdown: ResolvedShutdown;
  readonly output: ResolvedOutput;
  readonly startTimeout: number;
  readonly sampling: ResolvedSampling | false;
  readonly minUptime: number;
}

/** Keeps the `Probe` import used for docs of the mapping. */
export type UserProbe = Probe;

/** A listening socket of a process spec, with its default host and name filled. */
export interface ResolvedSocket {
  readonly port: number;
  readonly host: string;
  readonly name: string;
}
