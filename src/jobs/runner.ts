/**
 * The job runner behind `pm.run()`: validates a job, waits for one of `maxConcurrentJobs` slots
 * (FIFO, told by a `job-queued` event), runs attempts until one succeeds or the retries are spent,
 * and resolves with a JobResult in every case but invalid input. Cancellation (the caller's
 * AbortSignal or `close()`) stops the running attempt by its termination ladder and skips whatever
 * is left. Every unfinished job is visible in `list()`.
 */
import { ShutdownError, TimeoutError } from '../api/errors.js';
import { backoffDelay } from '../policy/backoff.js';
import type { ProcessWorker, WorkerHost } from '../process/worker.js';
import type { ChildDefaults } from '../spec/resolved.js';
import { checkWaitOptions, type ResolvedWait } from '../spec/arguments.js';
import type { JobResult, JobSnapshot, JobSpec, JobState, RunOptions } from '../api/types.js';
import { follow, sleepUnless } from '../util/abort.js';
import { runAttempt, type AttemptOutcome } from './attempt.js';
import { resolveJobSpec, type ResolvedJobSpec } from './resolve.js';
import { Slots } from './slots.js';

/** What a JobRunner is built from. */
export interface JobRunnerOptions {
  /** The manager's worker host: clock, event emitter, readiness runner, reaper tracking. */
  readonly host: WorkerHost;
  /** Child defaults of the manager, applied to every job spec. */
  readonly defaults: ChildDefaults;
  /** Jobs running at once; more wait in a FIFO queue. */
  readonly maxConcurrentJobs: number;
  /** Randomness for backoff jitter (tests pass a constant). */
  readonly random?: () => number;
}

/** Where one unfinished job is, for `list()`; updated in place as it moves on. */
interface JobTrack {
  readonly name: string;
  state: JobState;
  /** Attempts spawned or tried so far. */
  attempts: number;
  /** When it entered `state`, on the host's clock. */
  since: number;
  /** The worker of its current (or last) attempt. */
  worker: ProcessWorker | undefined;
}

/** Runs one-shot jobs with a concurrency limit. */
export class JobRunner {
  private readonly slots: Slots;
  private readonly host: WorkerHost;
  private readonly defaults: ChildDefaults;
  private readonly random: () => number;
  /** Set by `close()`: no job starts any more. */
  private closed = false;
  /**
   * One controller per job, aborted by `close()`. Not one shared signal with a listener per job:
   * eleven concurrent jobs would trip Node's MaxListenersExceededWarning.
   */
  private readonly cancels = new Set<AbortController>();
  private readonly live = new Set<Promise<JobResult>>();
  /** The processes of the attempts running now, for `kill()`. */
  private readonly workers = new Set<ProcessWorker>();
  /** Every job that has not finished, in the order `run()` was called. */
  private readonly tracks = new Set<JobTrack>();

  constructor(options: JobRunnerOptions) {
    this.host = options.host;
    this.defaults = options.defaults;
    this.random = options.random ?? Math.random;
    this.slots = new Slots(options.maxConcurrentJobs);
  }

  /** Jobs holding a slot (running an attempt or waiting between attempts). */
  get running(): number {
    return this.slots.active;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.slots.queued;
  }

  /**
   * Runs a job to its end. Rejects only for invalid input (InvalidSpecError, before anything
   * spawns) or a closed runner (ShutdownError); every way a job can end resolves with its result,
   * also emitted as a `job` event. With `ownLimit`, the caller limits concurrency itself (`runAll`'s
   * `maxConcurrent`) and the job takes none of the `maxConcurrentJobs` slots; it is still listed,
   * cancelled by a shutdown and killed by a kill, as every job.
   */
  async run(spec: JobSpec, options: RunOptions = {}, ownLimit = false): Promise<JobResult> {
    if (this.closed) throw new ShutdownError();
    const job = resolveJobSpec(spec, this.defaults);
    const limits = checkRunOptions(options, job.process.name);
    const running = this.execute(job, limits, ownLimit);
    this.live.add(running);
    try {
      return await running;
    } finally {
      this.live.delete(running);
    }
  }

  /**
   * Every job that has not finished yet, in the order `run()` was called: waiting for a slot
   * (`queued`), running an attempt (`running`, with its pid once spawned), or waiting to retry
   * (`backoff`). `since` is when it entered that state.
   */
  list(): JobSnapshot[] {
    return [...this.tracks].map((track) => ({
      name: track.name,
      state: track.state,
      attempts: track.attempts,
      pid: track.state === 'running' ? track.worker?.pid : undefined,
      since: track.since,
    }));
  }

  /** SIGKILLs the process tree of every running attempt at once (a shutdown that ran out of time). */
  kill(): void {
    for (const worker of this.workers) worker.kill();
  }

  /** Cancels every queued and running job and resolves once all have ended. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.cancels) cancel.abort(new ShutdownError());
    await Promise.allSettled([...this.live]);
  }

  private async execute(job: ResolvedJobSpec, limits: ResolvedWait, ownLimit: boolean): Promise<JobResult> {
    const cancel = new AbortController();
    this.cancels.add(cancel);
    const unlink = follow(cancel, limits.signal);
    const { clock } = this.host;
    // The run's own time limit: it cancels whatever the job is doing, and the result says why.
    let outOfTime = false;
    const limit =
      limits.timeout === Infinity
        ? undefined
        : clock.setTimeout(() => {
            outOfTime = true;
            cancel.abort(RUN_TIMED_OUT);
          }, limits.timeout);
    const name = job.process.name;
    const track: JobTrack = { name, state: 'running', attempts: 0, since: clock.now(), worker: undefined };
    this.tracks.add(track);
    let result: JobResult;
    let pid: number | undefined;
    try {
      const onQueued = (position: number): void => {
        enter(track, 'queued', clock.now());
        this.host.emit('job-queued', { name, time: track.since, path: [name], position, running: this.slots.active, limit: this.slots.limit });
      };
      if (ownLimit) {
        ({ result, pid } = await this.attempts(job, cancel.signal, track));
      } else if (!(await this.slots.acquire(cancel.signal, onQueued))) {
        result = { status: 'cancelled', exitCode: null, signal: null, attempts: 0, durationMs: 0, output: [] };
      } else {
        try {
          ({ result, pid } = await this.attempts(job, cancel.signal, track));
        } finally {
          this.slots.release();
        }
      }
    } finally {
      if (limit !== undefined) clock.clearTimeout(limit);
      unlink();
      this.cancels.delete(cancel);
      this.tracks.delete(track);
    }
    if (outOfTime && result.status === 'cancelled') {
      result = {
        ...result,
        status: 'timed-out',
        error: new TimeoutError(`Job \`${name}\` did not finish within ${limits.timeout} ms (the run's \`timeout\`), so it was stopped`),
      };
    }
    const event = { name: job.process.name, time: this.host.clock.now(), path: [job.process.name], ...result };
    this.host.emit('job', pid === undefined ? event : { ...event, pid });
    return result;
  }

  /** Attempt, back off, attempt again, until success, cancellation or no retries left. */
  private async attempts(job: ResolvedJobSpec, signal: AbortSignal, track: JobTrack): Promise<{ result: JobResult; pid: number | undefined }> {
    const { clock } = this.host;
    const startedAt = clock.now();
    let attempts = 0;
    let last: AttemptOutcome | undefined;
    let status: JobResult['status'] = 'cancelled';
    while (!signal.aborted) {
      attempts++;
      track.attempts = attempts;
      enter(track, 'running', clock.now());
      last = await runAttempt(job, attempts, signal, this.host, this.workers, (worker) => {
        track.worker = worker;
      });
      status = last.status;
      let retry = (status === 'failed' || status === 'timed-out') && attempts <= job.retries && !signal.aborted;
      // The delay before the exit event, so the event never promises a retry that cannot come.
      let delay = 0;
      let failure: Error | undefined;
      if (retry) {
        try {
          delay = backoffDelay(job.retryBackoff, attempts, this.random);
        } catch (error) {
          failure = error as Error;
          retry = false;
        }
      }
      if (last.exit) this.emitExit(job, last, retry);
      // A backoff function that throws or returns nonsense ends the retries, told as an error.
      if (failure) this.host.emit('error', { name: job.process.name, time: clock.now(), path: [job.process.name], error: failure });
      if (!retry) break;
      this.host.emit('restart', { name: job.process.name, time: clock.now(), path: [job.process.name], attempt: attempts, delay });
      enter(track, 'backoff', clock.now());
      if (!(await sleepUnless(clock, delay, signal))) status = 'cancelled';
    }
    const result: JobResult = {
      status,
      exitCode: last?.exitCode ?? null,
      signal: last?.signal ?? null,
      attempts,
      // A job cancelled before its first attempt never ran: no duration, whatever the clock read.
      durationMs: attempts === 0 ? 0 : Math.max(0, clock.now() - startedAt),
      output: last?.output ?? [],
      // Why, when the exit code cannot say it: a missing binary, a start that never got ready, a
      // timeout. Not for a retry wait cut short: that attempt's own end said all there was.
      ...(last?.error && status === last.status ? { error: last.error } : {}),
    };
    return { result, pid: last?.pid };
  }

  /** The `exit` event a supervised process would get: the job's own exits, not its stops. */
  private emitExit(job: ResolvedJobSpec, last: AttemptOutcome, willRestart: boolean): void {
    const exit = last.exit;
    if (!exit) return;
    const event = { name: job.process.name, time: exit.time, path: [job.process.name], exitCode: exit.exitCode, signal: exit.signal, class: exit.class, reason: exit.reason, willRestart };
    this.host.emit('exit', last.pid === undefined ? event : { ...event, pid: last.pid });
  }
}

/** Moves `track` into `state` (a new `since` only when the state changes). */
function enter(track: JobTrack, state: JobState, now: number): void {
  if (track.state === state) return;
  track.state = state;
  track.since = now;
}

function checkRunOptions(options: RunOptions, name: string): ResolvedWait {
  return checkWaitOptions({ label: `run options of job \`${name}\``, noun: 'the options', kind: 'argument' }, options);
}

/** The reason a run's own timeout cancels it with. */
const RUN_TIMED_OUT = Symbol('run timed out');
