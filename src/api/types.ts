/**
 * Public spec and option types of procvisor. Everything a user writes is typed here; procvisor
 * fills in the defaults (`DEFAULTS`) and parses durations and sizes itself.
 * @packageDocumentation
 */

import type { CgroupSpec, RlimitsSpec } from './kernel.js';

export type { CgroupSpec, RlimitsSpec } from './kernel.js';

/** The units a {@link Duration} string may end with: milliseconds, seconds, minutes, hours, days. */
export type DurationUnit = 'ms' | 's' | 'sec' | 'm' | 'min' | 'h' | 'd';

/**
 * A duration: milliseconds as a number, or a number followed by a unit, such as `'250ms'`, `'1.5s'`,
 * `'2m'`, `'1h'`. A malformed literal (`'ten seconds'`, `'5 secs'`) fails to compile; a string
 * built at run time is checked when the spec is validated.
 */
export type Duration = number | `${number}${DurationUnit}`;

/**
 * The units a {@link Size} string may end with: bytes, decimal (`kB` = 1000 B) and binary (`KiB` =
 * 1024 B) multiples, in either case.
 */
export type SizeUnit =
  | 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB'
  | 'b' | 'kb' | 'mb' | 'gb' | 'tb' | 'kB' | 'kib' | 'mib' | 'gib' | 'tib';

/** A size: bytes as a number, or a number followed by a unit, such as `'512MB'`, `'1.5GiB'`, `'64kb'`. */
export type Size = number | `${number}${SizeUnit}`;

/** A POSIX signal name such as `'SIGTERM'`. */
export type Signal = NodeJS.Signals;

/** How a child is restarted after it ends by itself (see https://github.com/procvisor/procvisor/blob/main/docs/semantics.md#restart-types). */
export type RestartType = 'permanent' | 'transient' | 'temporary' | 'never';

/** Supervision strategy of a supervisor. */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/** When a supervisor shuts itself down because its significant children ended. */
export type AutoShutdown = 'never' | 'any-significant' | 'all-significant';

/** Restart intensity: at most `maxRestarts` restarts within `period`. */
export interface IntensitySpec {
  /** Restarts allowed inside the window. Default 5. */
  maxRestarts: number;
  /** Window length. Default 10 s. */
  period: Duration;
}

/**
 * Restarts on a schedule (`ProcessSpec.schedule`). Each occurrence restarts a running process
 * gracefully (its stop ladder, then a start) and starts one that ended by itself and was not
 * restarted (`exited`); it never counts toward restart intensity.
 */
export interface ScheduleSpec {
  /**
   * A cron expression, read by [croner](https://croner.56k.guru) in the host's local time: five
   * fields (`'0 3 * * *'`: 03:00 every day), six with seconds first (`'0,30 * * * * *'`: every 30 s),
   * seven with a year last, or a nickname such as `'@daily'`.
   */
  restart: string;
}

/**
 * The circuit breaker of a top-level entry (`recover` on a top-level process or supervisor spec):
 * once the entry is `failed` because it gave up, it is started again after `after`, with a fresh
 * restart window; a start that fails, or a later give-up, waits another `after`.
 */
export interface RecoverSpec {
  /** Cool-down before each recovery attempt, counted from the moment the entry became `failed`. */
  after: Duration;
}

/**
 * A manager-wide limit on restarts decided by restart policies (`ManagerOptions.restartBudget`):
 * at most `max` such restarts, all entries together, within any `period`. Restarts beyond it wait,
 * first come first served, until the window allows them; they are delayed, never dropped.
 */
export interface RestartBudgetSpec {
  /** Restarts allowed within `period`, all entries together (at least 1). */
  max: number;
  /** The sliding window. */
  period: Duration;
}

/** Backoff between restarts of one child. */
export type BackoffSpec =
  | {
      type: 'exponential';
      /** First delay. Default 100 ms. */
      initial?: Duration;
      /** Growth factor per attempt. Default 2. */
      factor?: number;
      /** Upper bound. Default 30 s. */
      max?: Duration;
      /** Random spread as a fraction of the delay (0.1 = ±10 %). Default 0.1. */
      jitter?: number;
      /** Uptime after which the attempt counter resets. Default 30 s. */
      resetAfter?: Duration;
    }
  | {
      type: 'linear';
      /** First delay. Default 100 ms. */
      initial?: Duration;
      /** Added per attempt. Default equal to `initial`. */
      step?: Duration;
      /** Upper bound. Default 30 s. */
      max?: Duration;
      /** Random spread as a fraction of the delay. Default 0.1. */
      jitter?: number;
      /** Uptime after which the attempt counter resets. Default 30 s. */
      resetAfter?: Duration;
    }
  | {
      type: 'fixed';
      /** The delay before every restart. */
      delay: Duration;
      /** Uptime after which the attempt counter resets. Default 30 s. */
      resetAfter?: Duration;
    };

/**
 * Options of `backoff.exponential()`: an exponential {@link BackoffSpec} without its `type`.
 * Delays start at `initial` and grow by `factor` up to `max`, with `jitter`.
 */
export type ExponentialBackoffOptions = Omit<Extract<BackoffSpec, { type: 'exponential' }>, 'type'>;

/**
 * Options of `backoff.linear()`: a linear {@link BackoffSpec} without its `type`. Delays start at
 * `initial` and grow by `step` up to `max`, with `jitter`.
 */
export type LinearBackoffOptions = Omit<Extract<BackoffSpec, { type: 'linear' }>, 'type'>;

/**
 * Options of `backoff.fixed(delay, options)`: a fixed {@link BackoffSpec} without its `type` and
 * `delay` (the delay is the builder's first argument).
 */
export type FixedBackoffOptions = Omit<Extract<BackoffSpec, { type: 'fixed' }>, 'type' | 'delay'>;

/** A backoff function: given the 1-based attempt number, returns the delay in ms. */
export type BackoffFunction = (attempt: number) => number;

/** How a process is stopped: a signal then SIGKILL after `timeout`, or `'kill'` for SIGKILL at once. */
export type ShutdownSpec =
  | {
      /** First signal, sent to the process group. Default `'SIGTERM'`. */
      signal?: Signal;
      /** Wait before SIGKILL of the whole tree. Default 5 s; `Infinity` never escalates. */
      timeout?: Duration;
    }
  | 'kill';

/** Timing shared by every probe, with Kubernetes semantics. */
export interface ProbeTiming {
  /** Wait after spawn before the first check. Default 0. */
  initialDelay?: Duration;
  /** Time between the end of one check and the start of the next. Default 1 s (readiness: 250 ms). */
  interval?: Duration;
  /** How long one check may take. Default 1 s. */
  timeout?: Duration;
  /** Consecutive passes needed to count as passing. Default 1. */
  successThreshold?: number;
  /** Consecutive failures needed to count as failed. Default 3. */
  failureThreshold?: number;
}

/** What a custom probe function receives. */
export interface ProbeContext {
  /** Name of the process being probed. */
  name: string;
  /** PID of the current incarnation. */
  pid: number | undefined;
  /** Aborted when the check times out or the incarnation ends. */
  signal: AbortSignal;
}

/** Result of one probe check. */
export interface ProbeResult {
  /** Whether the check passed. */
  ok: boolean;
  /** Free text explaining the result. */
  message?: string;
  /** Data exposed as `readyData` when this is a readiness probe. */
  data?: unknown;
}

/** A health or readiness probe. */
export type Probe = ProbeTiming &
  (
    | {
        type: 'http';
        url: string;
        method?: string;
        status?: number | [min: number, max: number];
        body?: string | RegExp;
      }
    | { type: 'tcp'; port: number; host?: string }
    | { type: 'log'; pattern: string | RegExp; stream?: 'stdout' | 'stderr' | 'both' }
    | { type: 'exec'; command: string; args?: string[] }
    | { type: 'ipc' }
    | { type: 'custom'; check: (ctx: ProbeContext) => Promise<boolean | ProbeResult> }
  );

/** A listening TCP socket held by the manager for a process (`sockets`). */
export interface SocketSpec {
  /** TCP port, 1–65535. */
  port: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Its name in `LISTEN_FDNAMES` (letters, digits, `_`, `-`, `.`). Default `socket<N>`, N from 0. */
  name?: string;
}

/** Heartbeat watchdog. */
export interface HeartbeatSpec {
  /** Longest allowed silence between heartbeats. */
  timeout: Duration;
  /** `'timeout'` (fixed watchdog, default) or `'phi'` (phi-accrual, adapts to the rhythm). */
  detector?: 'timeout' | 'phi';
  /** Suspicion level at which the phi detector declares the child dead. Default 8. */
  threshold?: number;
}

/** Resource limits. */
export interface LimitsSpec {
  /** Memory ceiling (RSS). */
  memory?: Size;
  /** CPU ceiling in % of one core. */
  cpu?: number;
  /** How long a breach must hold before it counts: a duration, or `{ samples: N }`. */
  for?: Duration | { samples: number };
  /** What to do on a sustained breach. Default `'restart'`. */
  action?: 'restart' | 'stop' | 'warn';
  /** Measure the whole process tree or only the process. Default `'tree'`. */
  scope?: 'tree' | 'process';
  /** Levels below the limit that turn health to `warning`. */
  warning?: { memory?: Size; cpu?: number };
}

/** File watching. */
export interface WatchSpec {
  /** Paths or globs to watch. */
  paths: string | string[];
  /** Paths to ignore. */
  ignore?: string | RegExp | (string | RegExp)[];
  /** Quiet time before a restart. Default 200 ms. */
  debounce?: Duration;
  /**
   * What a change does: `'restart'` (default) or `'reload'` (`pm.reload()` of the process: a surge
   * copy gets ready first and serves meanwhile; with `sockets`, no connection is refused).
   */
  action?: 'restart' | 'reload';
}

/** Output handling. */
export interface OutputSpec {
  /** Lines kept in the ring buffer. Default 1000 (at most 1,000,000). */
  lines?: number;
  /**
   * Most output kept, over all kept lines, counted in characters of text (bytes for ASCII). The
   * oldest lines go first; the newest line is always kept. Default 4 MiB.
   */
  bytes?: Size;
  /** Secrets masked everywhere output appears. */
  mask?: (string | RegExp)[];
  /** Parse `::procvisor::` command lines. Default false. */
  commands?: boolean;
}

/** Sampling options. */
export interface SamplingSpec {
  /** Time between sampling rounds. */
  interval: Duration;
  /** Length of the kept history. Default 60 samples. */
  history?: number;
}

/** One OS process to supervise. */
export interface ProcessSpec {
  /** Unique name in the manager. */
  name: string;
  /** Program to run. */
  command: string;
  /** Arguments. Default `[]`. */
  args?: string[];
  /** Working directory. Default the host's. */
  cwd?: string;
  /** Environment, merged over `process.env` unless `extendEnv` is false; `undefined` removes a key. */
  env?: Record<string, string | undefined>;
  /** Merge `env` over the host environment. Default true. */
  extendEnv?: boolean;
  /** Run through a shell (true, or a shell path). Default false. */
  shell?: boolean | string;
  /** Restart type. Default `'permanent'`. */
  restart?: RestartType;
  /** Exit codes that count as normal. Default `[0]`. */
  successExitCodes?: number[];
  /** Backoff between restarts. */
  backoff?: BackoffSpec | BackoffFunction;
  /** Restart intensity; only for top-level entries. Default 5 in 10 s. */
  intensity?: IntensitySpec;
  /** How to stop the process. Default SIGTERM, 5 s, then SIGKILL of the tree. */
  shutdown?: ShutdownSpec;
  /** Readiness must pass within this, counted from the spawn; no effect without a readiness probe. Default 30 s. */
  startTimeout?: Duration;
  /**
   * PM2's `min_uptime`: an incarnation that ends by itself less than this after it became started
   * is an *unstable start*: its `exit` event says `unstable: true`, and its run never resets the
   * backoff attempt (whatever `backoff.resetAfter` says). Restart decisions and intensity are
   * unchanged. Default 0 (off), or the manager's `minUptime`.
   */
  minUptime?: Duration;
  /**
   * Restarts the process on a schedule (a cron expression): gracefully, through its stop ladder,
   * never counted toward intensity; a schedule-due event tells each one.
   */
  schedule?: ScheduleSpec;
  /**
   * Top-level entries only: once the entry is `failed` (it gave up), start it again after a
   * cool-down, for ever (a circuit breaker). Rejected below the top level.
   */
  recover?: RecoverSpec;
  /**
   * Listening sockets the manager opens once and hands to every incarnation (and every instance)
   * as fd 3, 4, …, with `LISTEN_FDS`, `LISTEN_FDNAMES` and `LISTEN_PID` (systemd's socket
   * activation): restarts never meet "address in use", and a reload's old and new incarnations
   * accept on the same socket. Node: `server.listen({ fd: 3 })`. POSIX only.
   */
  sockets?: SocketSpec[];
  /** When the process counts as started. */
  readiness?: Probe;
  /** Periodic liveness checks; failing ends the incarnation as abnormal. */
  liveness?: Probe | Probe[];
  /** Heartbeat watchdog. */
  heartbeat?: HeartbeatSpec;
  /** Resource limits. */
  limits?: LimitsSpec;
  /** Resource sampling override for this process. */
  sampling?: SamplingSpec | false;
  /** Restart on file change. */
  watch?: string | string[] | WatchSpec;
  /** Number of replicas, named `name#0` … `name#N-1`. */
  instances?: number;
  /** Output handling. */
  output?: OutputSpec;
  /** Open a Node IPC channel (for `procvisor/child`). Default false. */
  ipc?: boolean;
  /** Significant child for auto-shutdown. Default false. */
  significant?: boolean;
  /** Kernel resource limits (`setrlimit`), applied before the program runs. */
  rlimits?: RlimitsSpec;
  /** cgroup v2 limits, where the host has a delegated cgroup (`ManagerOptions.cgroups`). */
  cgroup?: CgroupSpec;
  /**
   * The child's stdin. `'ignore'` (default): `/dev/null`, so a read sees end of file at once.
   * `'pipe'`: a pipe the host writes to with `handle.write()` (or `handle.stdin`), one per
   * incarnation. `'inherit'`: the host's own stdin, shared with the host.
   */
  stdin?: StdinMode;
  /**
   * Colour in the child's output, through the `FORCE_COLOR` and `NO_COLOR` conventions. `true`:
   * `FORCE_COLOR=1`, `NO_COLOR` removed. `false`: `NO_COLOR=1`, `FORCE_COLOR` removed. `'auto'`: as
   * `true` when the host's stdout is a terminal and the host's `NO_COLOR` is unset or empty,
   * otherwise the environment is left as it is. Default (absent): left as it is. The spec's own
   * `env` wins over all of these.
   */
  color?: ColorMode;
}

/** Where a child's stdin comes from (`ProcessSpec.stdin`). */
export type StdinMode = 'ignore' | 'pipe' | 'inherit';

/** Whether a child is told to colour its output (`ProcessSpec.color`). */
export type ColorMode = 'auto' | boolean;

/** A supervisor of child processes and nested supervisors. */
export interface SupervisorSpec {
  /** Unique name in the manager. */
  name: string;
  /** Supervision strategy. */
  strategy: Strategy;
  /** Children, started in order. */
  children: ChildSpec[];
  /** Restart intensity. Default 5 in 10 s. */
  intensity?: IntensitySpec;
  /** Restart type of this supervisor inside its parent. Default `'permanent'`. */
  restart?: RestartType;
  /** Auto-shutdown rule. Default `'never'`. */
  autoShutdown?: AutoShutdown;
  /** Significant child for the parent's auto-shutdown. Default false. */
  significant?: boolean;
  /** How long the parent waits for this supervisor to stop. Default `Infinity`. */
  shutdown?: { timeout?: Duration };
  /**
   * Top-level trees only: once the tree is `failed` (it gave up or faulted), start it again after
   * a cool-down, for ever (a circuit breaker). Rejected below the top level.
   */
  recover?: RecoverSpec;
}

/** Anything a supervisor (or the manager) can hold. */
export type ChildSpec = ProcessSpec | SupervisorSpec;

/** Options of a ProcessManager; child defaults apply to every child that does not set them. */
export interface ManagerOptions {
  /** Default restart type. */
  restart?: RestartType;
  /** Default backoff. */
  backoff?: BackoffSpec | BackoffFunction;
  /** Default restart intensity of top-level entries. */
  intensity?: IntensitySpec;
  /** Default shutdown. */
  shutdown?: ShutdownSpec;
  /** Default output handling. */
  output?: OutputSpec;
  /** Default start timeout. */
  startTimeout?: Duration;
  /** Default `minUptime` of processes (see `ProcessSpec.minUptime`). Default 0: off. */
  minUptime?: Duration;
  /**
   * A limit on restarts decided by restart policies, all entries together: beyond `max` within
   * `period`, restarts wait their turn (first come, first served) and a `restart-delayed` event
   * says so. Each entry's own backoff and intensity still apply. Default `false`: no limit.
   */
  restartBudget?: RestartBudgetSpec | false;
  /** Resource sampling; off by default. */
  sampling?: SamplingSpec | false;
  /** Concurrent jobs run by `run()`. Default 4. */
  maxConcurrentJobs?: number;
  /** `'kill'` (default): children die with the host, even on SIGKILL. `'keep'`: they may outlive it. */
  orphans?: 'kill' | 'keep';
  /** Shut down and exit on SIGINT/SIGTERM to the host. Default false. */
  handleSignals?: boolean;
  /**
   * cgroup v2, where the host runs in a delegated, writable cgroup (elsewhere nothing happens):
   * `'auto'` (default) gives a process tree a cgroup of its own when its spec sets `cgroup` (even
   * `{}`): its limits, and `cgroup.kill` for a race-free tree kill; `'all'` does that for every
   * tree (about 1–2 ms more per spawn); `false` never does.
   */
  cgroups?: 'auto' | 'all' | false;
  /**
   * Whether the manager holds the host's event loop open. `true` (default): a supervised child, a
   * pending restart or a running timer keeps the host alive, as a server's sockets do. `false`:
   * nothing of the manager does (children, their pipes and IPC channels, its timers are unref'd),
   * so a host with nothing else to do exits, and its children die with it (`orphans: 'kill'`).
   * For test processes and tools that must end when their own work ends.
   */
  keepAlive?: boolean;
  /** Clock for timers and timestamps (tests). */
  clock?: Clock;
}

/** Options of `reload()`: Kubernetes' rolling-update knobs, and a bound on the whole reload. */
export interface ReloadOptions extends WaitOptions {
  /** Surge copies started ahead of their members at once. Default 1; 0 restarts in place. */
  maxSurge?: number;
  /** With `maxSurge: 0`: members restarted at once (out of service meanwhile). Default 0, which needs `maxSurge` ≥ 1. */
  maxUnavailable?: number;
}

/**
 * Options of every wait (`start`, `restart`, `waitFor`, `request`, `shutdown`): a time limit on the
 * manager's clock and an abort signal. Without them a wait has no limit of its own.
 */
export interface WaitOptions {
  /** Longest wait. Default none (a start is still bounded by the spec's `startTimeout`). */
  timeout?: Duration;
  /** Aborting ends the wait with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of `pm.add()`. */
export interface AddOptions {
  /** Add the child to this supervisor instead of at the top level. */
  parent?: string;
}

/**
 * Options of `pm.start()`. When `timeout` runs out or `signal` aborts before the child is started,
 * the start is abandoned: the child is stopped (it ends `stopped`) and `start()` rejects with a
 * TimeoutError or the signal's reason. To bound readiness itself, with the probe's last result in
 * the error, use the spec's `startTimeout`.
 */
export interface StartOptions extends AddOptions, WaitOptions {}

/**
 * Options of `pm.shutdown()`. When `timeout` runs out or `signal` aborts, whatever still runs is
 * SIGKILLed at once (every tree, jobs included); the shutdown then completes.
 */
export type ShutdownOptions = WaitOptions;

/**
 * Options of `pm.run()`. `timeout` bounds the whole run (waiting for a slot, every attempt and the
 * waits between them); when it runs out the job is stopped and ends `timed-out`. Aborting `signal`
 * stops it and it ends `cancelled`.
 */
export type RunOptions = WaitOptions;

/**
 * What `readyData` holds for a readiness probe: the `log` match (with its `groups`), the `http`
 * status, the `tcp` address, the `exec` exit, a `custom` probe's `data`, and for `ipc` whatever the
 * child passed to `ready()`.
 */
export type ProbeReadyData<P> = P extends { type: 'log' }
  ? RegExpExecArray
  : P extends { type: 'http' }
    ? { status: number }
    : P extends { type: 'tcp' }
      ? { host: string; port: number }
      : P extends { type: 'exec' }
        ? { exitCode: number | null; signal: Signal | null }
        : P extends { type: 'custom'; check: (ctx: ProbeContext) => Promise<infer R> }
          ? R extends { data?: infer D }
            ? D
            : undefined
          : unknown;

/**
 * What `readyData` holds for the child a spec describes: from its readiness probe; `undefined` for
 * a process without one and for a supervisor.
 */
export type ReadyDataOf<S> = 'readiness' extends keyof S
  ? S extends { readiness?: infer P }
    ? ProbeReadyData<Exclude<P, undefined>>
    : unknown
  : undefined;

/** A clock: `now()` in ms and timers. Injectable for tests. */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number;
  /** Schedule `fn` after `ms`. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Cancel a timer. */
  clearTimeout(timer: ClockTimer): void;
}

/** An opaque timer from a Clock. */
export type ClockTimer = unknown;

/** Process states. */
export type ProcessState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'exited' | 'backoff' | 'failed';

/** Supervisor states. */
export type SupervisorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Any state of a handle. */
export type State = ProcessState | SupervisorState;

/** How an incarnation ended (see https://github.com/procvisor/procvisor/blob/main/docs/semantics.md#exit-classes). */
export type ExitClass = 'normal' | 'shutdown' | 'abnormal';

/** The last exit of a child. */
export interface ExitInfo {
  /** Exit code, or null when killed by a signal. */
  exitCode: number | null;
  /** Signal that ended it, or null. */
  signal: Signal | null;
  /** Classification. */
  class: ExitClass;
  /** Why it ended when the supervisor caused it (liveness, heartbeat, limit) or `'exit'`. */
  reason: ExitReason;
  /** When it ended (ms since epoch). */
  time: number;
}

/** Why an incarnation ended. */
export type ExitReason =
  | 'exit'
  | 'stopped'
  | 'liveness'
  | 'heartbeat'
  | 'limit'
  | 'watch'
  | 'start-timeout'
  | 'start-failed'
  | 'give-up'
  | 'auto-shutdown'
  /** A supervisor failed in its own work (for example a backoff function threw): class `abnormal`. */
  | 'fault';

/** What a health verdict comes from: a probe, the heartbeat watchdog, or the resource limits. */
export type HealthSource = 'readiness' | 'liveness' | 'heartbeat' | 'limits';

/** Health levels. */
export type HealthStatus = 'unknown' | 'healthy' | 'warning' | 'critical' | 'failed';

/** One resource sample. Figures the platform cannot give are absent. */
export interface Usage {
  /** Sample time (ms since epoch). */
  time: number;
  /** CPU in % of one core. */
  cpu: number;
  /** CPU normalised by core count (0–100). */
  cpuNormalized?: number;
  /** CPU time (user + system) the process has used since it started, in ms (a counter). */
  cpuTime?: number;
  /** RSS in bytes. */
  memory: number;
  /** Open file descriptors. */
  fds?: number;
  /** Threads. */
  threads?: number;
  /** Disk bytes read/written since start. */
  io?: { read: number; write: number };
  /** Totals over the process and all its descendants. */
  tree: { pids: number; cpu: number; memory: number };
}

/** Average or peak figures over a window of samples. */
export interface UsageSummary {
  /** CPU in % of one core. */
  cpu: number;
  /** RSS in bytes. */
  memory: number;
  /** The same for the process tree. */
  tree: { cpu: number; memory: number };
}

/** The kept sample history of a process, with average and peak over a window. */
export interface UsageStats {
  /** Samples, oldest first. */
  samples: Usage[];
  /** Average over the window, or undefined without samples. */
  average: UsageSummary | undefined;
  /** Peak over the window, or undefined without samples. */
  peak: UsageSummary | undefined;
}

/** One line of output. */
export interface OutputLine {
  /** Which stream. */
  stream: 'stdout' | 'stderr';
  /** The line, without its end, masked. */
  line: string;
  /** When it was read (ms since epoch, on the manager's clock): lines read in one chunk share one time. */
  time: number;
  /**
   * Set on output that did not end its line within the flush interval (100 ms; a progress bar
   * redrawn with `\r`, a prompt): the text so far, as it is (a lone `\r` is not a line end and is
   * kept). The rest of that line, when it comes, is a line of its own (partial again if it too stays
   * unended); a line end that comes right after a flush ends the line and adds no empty line.
   */
  partial?: true;
}

/** A plain, serialisable view of one child. */
export interface Snapshot {
  /** Name. */
  name: string;
  /** `'process'` or `'supervisor'`. */
  kind: 'process' | 'supervisor';
  /** Current state. */
  state: State;
  /** Parent supervisor name, or undefined at top level. */
  parent: string | undefined;
  /** Supervisor path from the top, this child last. */
  path: string[];
  /** Depth in the tree (0 at top level). */
  depth: number;
  /** Position among its siblings in start order. */
  startOrder: number;
  /** PID of the current incarnation. */
  pid: number | undefined;
  /** Restarts so far. */
  restarts: number;
  /** When the current incarnation started (ms since epoch). */
  startedAt: number | undefined;
  /** The last exit. */
  lastExit: ExitInfo | undefined;
  /** Health. */
  health: HealthStatus;
  /** Last resource sample. */
  usage: Usage | undefined;
}

/** A one-shot job for `pm.run()`: a process spec without restarts, replicas or watching. */
export interface JobSpec extends Omit<ProcessSpec, 'restart' | 'instances' | 'watch' | 'minUptime' | 'schedule' | 'recover'> {
  /** Longest one attempt may run; then it is stopped by the ladder and counts as `timed-out`. Default none. */
  timeout?: Duration;
  /** Further attempts after a failed or timed-out one. Default 0. */
  retries?: number;
  /** Delay before each retry. Default the job's `backoff` (itself defaulting to the manager's). */
  retryBackoff?: BackoffSpec | BackoffFunction;
  /** Put `node_modules/.bin` of the job's `cwd` and every parent directory first on `PATH`, as npm scripts do. Default false. */
  preferLocal?: boolean;
}

/** How a job ended. */
export interface JobResult {
  /** `succeeded` (normal exit), `failed`, `timed-out` (the last attempt hit the spec's `timeout`, or the run its options' `timeout`) or `cancelled` (aborted). */
  status: 'succeeded' | 'failed' | 'timed-out' | 'cancelled';
  /** Exit code of the last attempt, or null (killed by a signal, never spawned). */
  exitCode: number | null;
  /** Signal that ended the last attempt, or null. */
  signal: Signal | null;
  /** Attempts spawned or tried (0 when cancelled before the first). */
  attempts: number;
  /** From the start of the first attempt to the end of the last, in ms (time queued not counted). */
  durationMs: number;
  /** The retained output tail of the last attempt, masked. */
  output: OutputLine[];
  /**
   * Why the last attempt failed to start or run, when it did not end by exiting: a
   * `SpawnFailedError` (missing binary, bad cwd), a `StartFailedError` (never ready), a timeout.
   */
  error?: Error;
}

/** Where a job run by `pm.run()` is: waiting for a slot, running an attempt, or waiting to retry. */
export type JobState = 'queued' | 'running' | 'backoff';

/** A plain view of one job that has not finished yet (`pm.jobs()`). */
export interface JobSnapshot {
  /** The job's name. */
  name: string;
  /** Where it is. */
  state: JobState;
  /** Attempts spawned so far. */
  attempts: number;
  /** PID of the running attempt. */
  pid: number | undefined;
  /** When it entered its current state (ms since epoch, on the manager's clock). */
  since: number;
}
