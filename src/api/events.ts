/**
 * The typed events of a ProcessManager. One rule names them: lowercase words joined by hyphens,
 * the thing first and what happened to it second (`start-failed`, `heartbeat-missed`, `give-up`);
 * a bare word where the event is the process's own (`spawn`, `exit`); events of a supervisor
 * itself are prefixed `supervisor:`. The same fact has the same field name in every payload.
 */
import type { ExitClass, ExitInfo, HealthSource, HealthStatus, JobResult, Probe, ProbeResult, Signal, Strategy, Usage } from './types.js';

/** Fields every event payload carries. */
export interface EventBase {
  /** Name of the process or supervisor the event is about. */
  name: string;
  /** When it happened (ms since epoch, from the manager's clock). */
  time: number;
  /** Supervisor path from the top level down to this child (this child last). */
  path: readonly string[];
  /** PID of the incarnation, where one exists. */
  pid?: number;
  /**
   * `true` on every event about a job run by `pm.run()` (its spawn, output, exit, retries, its
   * `job` result); absent on events about supervised processes and supervisors.
   */
  job?: true;
}

/** A process was spawned. */
export interface SpawnEvent extends EventBase {
  pid: number;
  /** 0 for the first incarnation, then the restart count. */
  restarts: number;
}
/** A process or supervisor became started (ready). */
export interface ReadyEvent extends EventBase {
  /** The readiness result, e.g. the log match or data passed to `ready()`. */
  data: unknown;
}
/** One line of output. */
export interface OutputEvent extends EventBase {
  pid: number;
  stream: 'stdout' | 'stderr';
  line: string;
  /** Output that did not end its line within the flush interval: the text so far (see `OutputLine.partial`). */
  partial?: true;
}
/** An incarnation ended by itself (not stopped by the supervisor). */
export interface ExitEvent extends EventBase {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: Signal | null;
  class: ExitClass;
  reason: ExitInfo['reason'];
  /** Whether the restart policy will start it again. */
  willRestart: boolean;
  /**
   * `true` when the run was shorter than the process's `minUptime` (an unstable start: it gives no
   * backoff reset); absent otherwise, and always absent when `minUptime` is off.
   */
  unstable?: true;
}
/** A restart was decided; the start follows after `delay`. */
export interface RestartEvent extends EventBase {
  /** 1-based attempt since the last stable run. */
  attempt: number;
  /** Backoff delay in ms. */
  delay: number;
}
/** A child was stopped by the supervisor (stop, restart, shutdown). */
export interface StopEvent extends EventBase {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: Signal | null;
}
/** A stop escalated to SIGKILL of the whole tree. */
export interface KillEvent extends EventBase {
  /** PIDs that received SIGKILL. */
  pids: number[];
}
/** A top-level entry exceeded its restart intensity and is now `failed`. */
export interface GiveUpEvent extends EventBase {
  /** The intensity exceeded: more than `maxRestarts` restarts within `period` ms. */
  maxRestarts: number;
  /** The intensity's window in ms. */
  period: number;
}
/** A start attempt failed (spawn error, exited while starting, not ready in time). */
export interface StartFailedEvent extends EventBase {
  error: Error;
}
/** Health status changed. */
export interface HealthEvent extends EventBase {
  status: HealthStatus;
  previous: HealthStatus;
  /** Which check produced it. */
  source: HealthSource;
  result?: ProbeResult;
}
/**
 * One check of a polled probe (http, tcp, exec, custom, and `ipc` liveness) finished: every check,
 * passed or not, of a readiness probe while the process starts and of each liveness probe while it
 * runs. `health` tells the changes of the verdict; this tells each check and how long it took.
 */
export interface ProbeCheckedEvent extends EventBase {
  pid: number;
  /** Which probe: the readiness probe, or one of the liveness probes. */
  role: 'readiness' | 'liveness';
  /** The probe's `type`, as written in the spec. */
  type: Probe['type'];
  /** Whether the check passed. */
  ok: boolean;
  /** How long the check took, in ms (real time: the latency of the check's own I/O). */
  duration: number;
  /** The check's explanation (`HTTP 503 …`, `ECONNREFUSED …`, a custom probe's `message`), when it gave one. */
  message?: string;
}
/** A resource sample. */
export interface UsageEvent extends EventBase {
  usage: Usage;
}
/** A resource limit or warning level was crossed for long enough. */
export interface LimitEvent extends EventBase {
  resource: 'memory' | 'cpu';
  level: 'warning' | 'limit';
  value: number;
  limit: number;
  action: 'restart' | 'stop' | 'warn';
}
/** Watched files changed. */
export interface WatchEvent extends EventBase {
  paths: string[];
}
/** An IPC message from a child. */
export interface MessageEvent extends EventBase {
  message: unknown;
}
/** No heartbeat arrived in time. */
export interface HeartbeatMissedEvent extends EventBase {
  /** Time since the last heartbeat in ms. */
  silence: number;
  /** Phi value for the phi detector. */
  phi?: number;
}
/** A status text from an output command. */
export interface StatusEvent extends EventBase {
  status: string;
}
/** A custom metric from an output command. */
export interface MetricEvent extends EventBase {
  metric: string;
  value: number;
}
/** Something odd but harmless (malformed output command, ...). */
export interface WarningEvent extends EventBase {
  message: string;
}
/** A supervisor restarted children by its strategy. */
export interface SupervisorRestartEvent extends EventBase {
  strategy: Strategy;
  /** The child whose exit caused it. */
  child: string;
  /** Children restarted, in start order. */
  children: string[];
}
/** A supervisor exceeded its restart intensity. */
export interface SupervisorGiveUpEvent extends EventBase {
  /** The child whose restart exceeded it. */
  child: string;
  /** The intensity exceeded: more than `maxRestarts` restarts within `period` ms. */
  maxRestarts: number;
  /** The intensity's window in ms. */
  period: number;
}
/** A supervisor shut itself down because of its significant children. */
export interface SupervisorAutoShutdownEvent extends EventBase {
  /** The significant child whose end triggered it. */
  child: string;
}
/** A process did not report its exit after SIGKILL; the stop went on without it. */
export interface UnstoppedEvent extends EventBase {
  pids: number[];
}
/** A job run by `pm.run()` finished (whatever its status); the payload is its result. `pid` is the last attempt's. */
export interface JobEvent extends EventBase, JobResult {}
/**
 * A job run by `pm.run()` waits for a slot: `maxConcurrentJobs` jobs already run. It starts, in
 * order, as running ones finish.
 */
export interface JobQueuedEvent extends EventBase {
  /** Its place in the queue, 1 for the next to start. */
  position: number;
  /** Jobs running now. */
  running: number;
  /** The limit (`maxConcurrentJobs`). */
  limit: number;
}
/**
 * The process's `schedule.restart` came due and the process is restarted: a running one by its
 * stop ladder (a `stop` event follows), then a start; one that had `exited`, by a start. It never
 * counts toward restart intensity. Occurrences that find the process in any other state (stopped,
 * failed, waiting for a restart) are skipped without an event.
 */
export interface ScheduleDueEvent extends EventBase {
  /** The cron expression that came due. */
  schedule: string;
}
/**
 * A restart whose backoff delay is over waits for the manager's `restartBudget`: more restarts than
 * `max` were granted within `period`. Waiting restarts are granted in the order they asked.
 */
export interface RestartDelayedEvent extends EventBase {
  /** Longest wait expected from now, in ms (shorter if restarts ahead of it are cancelled). */
  delay: number;
  /** Its place among the restarts waiting, 1 for the next to be granted. */
  position: number;
  /** Why it waits: the manager's `restartBudget` is spent. */
  reason: 'budget';
}
/** A `failed` top-level entry with `recover` will be started again after a cool-down. */
export interface RecoverScheduledEvent extends EventBase {
  /** The cool-down in ms (`recover.after`). */
  after: number;
}
/**
 * A recovery attempt of a `failed` top-level entry begins (a fresh start with a fresh restart
 * window). The usual `spawn` and `ready` follow, or `start-failed` and another `recover-scheduled`.
 */
export interface RecoverEvent extends EventBase {
  /** 1 for the first attempt since the entry last failed after running, then 2, 3, … */
  attempt: number;
}
/** A process of a `reload()` runs its new incarnation, ready (its surge copy, if any, is gone). */
export interface ReloadEvent extends EventBase {
  /** Whether a surge copy served while it restarted (`maxSurge` ≥ 1). */
  surge: boolean;
}
/**
 * A `reload()` stopped at this process: its surge copy did not get ready (the old incarnation
 * keeps serving: rolled back), or the process itself did not start again.
 */
export interface ReloadFailedEvent extends EventBase {
  error: Error;
  /** True when the old incarnation was left running (the surge failed before it was touched). */
  rolledBack: boolean;
}
/** An instance group was resized by `scale()`. */
export interface ScaleEvent extends EventBase {
  from: number;
  to: number;
}
/** A fault of procvisor itself. */
export interface ErrorEvent extends EventBase {
  error: Error;
}

/** The typed event map of a ProcessManager. Every listener receives one payload object. */
export interface ProcvisorEvents {
  spawn: (event: SpawnEvent) => void;
  ready: (event: ReadyEvent) => void;
  output: (event: OutputEvent) => void;
  exit: (event: ExitEvent) => void;
  restart: (event: RestartEvent) => void;
  stop: (event: StopEvent) => void;
  kill: (event: KillEvent) => void;
  'give-up': (event: GiveUpEvent) => void;
  'start-failed': (event: StartFailedEvent) => void;
  health: (event: HealthEvent) => void;
  'probe-checked': (event: ProbeCheckedEvent) => void;
  usage: (event: UsageEvent) => void;
  limit: (event: LimitEvent) => void;
  watch: (event: WatchEvent) => void;
  message: (event: MessageEvent) => void;
  'heartbeat-missed': (event: HeartbeatMissedEvent) => void;
  status: (event: StatusEvent) => void;
  metric: (event: MetricEvent) => void;
  warning: (event: WarningEvent) => void;
  'supervisor:restart': (event: SupervisorRestartEvent) => void;
  'supervisor:give-up': (event: SupervisorGiveUpEvent) => void;
  'supervisor:auto-shutdown': (event: SupervisorAutoShutdownEvent) => void;
  unstopped: (event: UnstoppedEvent) => void;
  job: (event: JobEvent) => void;
  'job-queued': (event: JobQueuedEvent) => void;
  'schedule-due': (event: ScheduleDueEvent) => void;
  'restart-delayed': (event: RestartDelayedEvent) => void;
  'recover-scheduled': (event: RecoverScheduledEvent) => void;
  recover: (event: RecoverEvent) => void;
  reload: (event: ReloadEvent) => void;
  'reload-failed': (event: ReloadFailedEvent) => void;
  scale: (event: ScaleEvent) => void;
  error: (event: ErrorEvent) => void;
}

/** Names of all events. */
export type EventName = keyof ProcvisorEvents;

/** Payload type of one event. */
export type EventPayload<E extends EventName> = Parameters<ProcvisorEvents[E]>[0];

/** Every event name, for iteration and docs. */
export const EVENTS = [
  'spawn',
  'ready',
  'output',
  'exit',
  'restart',
  'stop',
  'kill',
  'give-up',
  'start-failed',
  'health',
  'probe-checked',
  'usage',
  'limit',
  'watch',
  'message',
  'heartbeat-missed',
  'status',
  'metric',
  'warning',
  'supervisor:restart',
  'supervisor:give-up',
  'supervisor:auto-shutdown',
  'unstopped',
  'job',
  'job-queued',
  'schedule-due',
  'restart-delayed',
  'recover-scheduled',
  'recover',
  'reload',
  'reload-failed',
  'scale',
  'error',
] as const satisfies readonly EventName[];
