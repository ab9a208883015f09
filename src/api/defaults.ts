/**
 * Every user-facing default of procvisor, in one place: what an option is when it is not given.
 * Only user-facing defaults are here; the docs quote these values.
 */
export const DEFAULTS = Object.freeze({
  restart: 'permanent' as const,
  successExitCodes: Object.freeze([0]) as readonly number[],
  extendEnv: true,
  backoff: Object.freeze({
    type: 'exponential' as const,
    initial: 100,
    factor: 2,
    max: 30_000,
    jitter: 0.1,
    resetAfter: 30_000,
  }),
  intensity: Object.freeze({ maxRestarts: 5, period: 10_000 }),
  /** `minUptime` of processes: 0, off (no run is an unstable start; OTP's rules alone). */
  minUptime: 0,
  /** No manager-wide limit on restarts: each entry's own backoff and intensity alone pace them. */
  restartBudget: false as const,
  shutdown: Object.freeze({ signal: 'SIGTERM' as NodeJS.Signals, timeout: 5_000 }),
  /** Supervisors stop their own children by their own specs, so their parent waits for ever. */
  supervisorShutdownTimeout: Infinity,
  startTimeout: 30_000,
  /** `bytes`: the retained output is bounded by size as well as by lines (4 MiB of text). */
  output: Object.freeze({ lines: 1000, bytes: 4 * 1024 * 1024, commands: false }),
  probe: Object.freeze({
    initialDelay: 0,
    interval: 1_000,
    readinessInterval: 250,
    timeout: 1_000,
    successThreshold: 1,
    failureThreshold: 3,
  }),
  heartbeat: Object.freeze({ detector: 'timeout' as const, threshold: 8 }),
  limits: Object.freeze({ action: 'restart' as const, scope: 'tree' as const, samples: 3 }),
  sampling: Object.freeze({ history: 60 }),
  watch: Object.freeze({ debounce: 200 }),
  maxConcurrentJobs: 4,
  /** Jobs run by `pm.run()`: no time limit and no retries unless the job says so. */
  job: Object.freeze({ timeout: Infinity, retries: 0 }),
  orphans: 'kill' as const,
  handleSignals: false,
  /** A manager's children, timers and pipes hold the host's event loop open. */
  keepAlive: true,
  /** A tree whose spec sets `cgroup` gets a cgroup of its own where the host has a delegated cgroup v2. */
  cgroups: 'auto' as const,
  autoShutdown: 'never' as const,
  /** How long `handle.request()` waits for the child's answer unless told otherwise. */
  ipcRequestTimeout: 30_000,
  /** A child's stdin is `/dev/null` unless its spec says `'pipe'` or `'inherit'`. */
  stdin: 'ignore' as const,
  /** Variables set for children unless the spec sets them, so their output arrives line by line. */
  unbufferedEnv: Object.freeze({ PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' }) as Readonly<Record<string, string>>,
});
