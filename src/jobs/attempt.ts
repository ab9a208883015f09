/**
 * One attempt of a job: one ProcessWorker run to its end. The worker brings process groups,
 * whole-tree kill, the orphan reaper, masking and the ring buffer; this module adds the job's
 * `timeout` and cancellation (both stop the worker by its termination ladder) and reduces the
 * end to an outcome. It never rejects: a spawn failure is a `failed` outcome like any other.
 */
import { StartFailedError, TimeoutError } from '../api/errors.js';
import { classifyExit } from '../policy/classify.js';
import { ProcessWorker, type WorkerHost } from '../process/worker.js';
import type { ChildListener } from '../supervisor/child.js';
import type { ExitInfo, JobResult, OutputLine, Signal } from '../api/types.js';
import { deferred } from '../util/deferred.js';
import type { ResolvedJobSpec } from './resolve.js';

/** How one attempt ended. */
export interface AttemptOutcome {
  readonly status: JobResult['status'];
  readonly exitCode: number | null;
  readonly signal: Signal | null;
  /** PID of the attempt's process, when it spawned. */
  readonly pid: number | undefined;
  /** Its own exit (not a stop), for the `exit` event; absent when it was stopped or never ran. */
  readonly exit: ExitInfo | undefined;
  /**
   * Why it failed when it did not end by exiting: the SpawnFailedError or StartFailedError that
   * kept it from starting, or a TimeoutError when it ran past the job's `timeout`.
   */
  readonly error: Error | undefined;
  readonly output: OutputLine[];
}

/** Why the job stopped the attempt itself. */
type StopReason = 'timed-out' | 'cancelled';

/**
 * Runs attempt number `attempt` (1-based) of `job` until it ends, listed in `live` meanwhile. `signal`
 * cancels it; the
 * caller checks `signal.aborted` before calling, since an abort that already happened fires no event.
 * `onWorker` is told the attempt's worker before it starts (the runner's `list()` reads its pid).
 */
export async function runAttempt(
  job: ResolvedJobSpec,
  attempt: number,
  signal: AbortSignal,
  host: WorkerHost,
  live: Set<ProcessWorker>,
  onWorker?: (worker: ProcessWorker) => void,
): Promise<AttemptOutcome> {
  // The same host as supervised processes: the same attachments (IPC, probes, sampling, limits).
  const worker = new ProcessWorker(job.process, [job.process.name], host);
  live.add(worker);
  onWorker?.(worker);
  const exited = deferred<ExitInfo>();
  const listener: ChildListener = {
    exited: (info) => exited.resolve(info),
    ending: () => {},
    // A limit with action `stop` ends the attempt: a job has no one to keep it stopped.
    stopRequested: () => void worker.terminate('limit'),
  };

  let stopReason: StopReason | undefined;
  const stopped = deferred<undefined>();
  const stopFor = (reason: StopReason): void => {
    if (stopReason) return;
    stopReason = reason;
    const done = (): void => stopped.resolve(undefined);
    worker.stop().then(done, done);
  };
  const onAbort = (): void => stopFor('cancelled');
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = job.timeout === Infinity ? undefined : host.clock.setTimeout(() => stopFor('timed-out'), job.timeout);

  const outcome = (status: JobResult['status'], facts: Partial<Pick<AttemptOutcome, 'exitCode' | 'signal' | 'exit' | 'error'>> = {}): AttemptOutcome => ({
    status,
    exitCode: facts.exitCode ?? null,
    signal: facts.signal ?? null,
    pid: worker.lastPid,
    exit: facts.exit,
    error: facts.error,
    output: worker.logs(),
  });
  const stoppedOutcome = async (reason: StopReason): Promise<AttemptOutcome> => {
    await stopped.promise;
    const os = worker.lastOsExit;
    const error = reason === 'timed-out' ? timedOut(job) : undefined;
    return outcome(reason, { exitCode: os?.code ?? null, signal: os?.signal ?? null, error });
  };

  try {
    try {
      await worker.start(listener, { restarts: attempt - 1 });
    } catch (error) {
      if (stopReason) return await stoppedOutcome(stopReason);
      return fromStartError(error as Error, job, outcome);
    }
    // Started: the attempt ends by itself (exited) or by our stop, whichever comes first. A stop
    // that comes after the process ended is a no-op, and then the exit has already been reported.
    const ended = await Promise.race([exited.promise, stopped.promise]);
    if (ended) return outcome(ended.class === 'normal' ? 'succeeded' : 'failed', { exitCode: ended.exitCode, signal: ended.signal, exit: ended });
    return await stoppedOutcome(stopReason ?? 'cancelled');
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (timer !== undefined) host.clock.clearTimeout(timer);
    // Whatever happened above, nothing of this attempt may outlive it.
    await worker.stop();
    live.delete(worker);
  }
}

/** The error of an attempt stopped because it ran past the job's `timeout`. */
function timedOut(job: ResolvedJobSpec): TimeoutError {
  const { name } = job.process;
  return new TimeoutError(`Job \`${name}\` ran longer than its timeout of ${job.timeout} ms and was stopped`);
}

/**
 * An attempt that did not start. A job that exited while its readiness probe was still waiting is
 * judged by its exit like any other (readiness only delays "started"), and its exit says why; a
 * spawn failure or a start timeout is a failure with no exit code, and its error says why.
 */
function fromStartError(
  error: Error,
  job: ResolvedJobSpec,
  outcome: (status: JobResult['status'], facts: Partial<Pick<AttemptOutcome, 'exitCode' | 'signal' | 'exit' | 'error'>>) => AttemptOutcome,
): AttemptOutcome {
  if (error instanceof StartFailedError && error.reason === 'exited' && (error.exitCode !== null || error.signal !== null)) {
    const cls = classifyExit(error.exitCode, error.signal, job.process.successExitCodes);
    return outcome(cls === 'normal' ? 'succeeded' : 'failed', { exitCode: error.exitCode, signal: error.signal });
  }
  return outcome('failed', { error });
}
