/**
 * `runAll()`: commands side by side as jobs of one manager, with concurrently's rules: kill the
 * others on an outcome, a success rule over the commands that ran, a limit of commands at once,
 * restarts of failed commands. Each command is one `pm.run()` (retries are the job's own), behind
 * a slot of the group's own limit, so the group's order and limit hold whatever else the manager
 * runs. Every command has its own AbortController; the group aborts them one by one (kill-others,
 * the caller's signal, the group's timeout, a shutdown), and the first cause wins.
 */
import { ShutdownError, TimeoutError } from '../api/errors.js';
import type { RunAllCommandResult, RunAllResult } from '../api/runner.js';
import type { Clock, JobResult, JobSpec, RunOptions } from '../api/types.js';
import { Slots } from '../jobs/slots.js';
import { checkSpecs, resolveRunAllOptions, type ResolvedRunAll } from './run-all-options.js';
import { exitCodeOf, judge, type Ended } from './success.js';

/** What `runAll()` needs of the manager. */
export interface RunAllHost {
  /** `pm.run()`. */
  run(job: JobSpec, options: RunOptions): Promise<JobResult>;
  /** Validates a job spec as `pm.run()` would (InvalidSpecError), without running it. */
  validate(job: JobSpec): void;
  /** The manager's clock, for the group's timeout. */
  readonly clock: Clock;
}

/** Why the group stopped its commands; the first one wins. */
type Cause = 'kill-others' | 'signal' | 'timeout' | 'shutdown';

/** One command while the group runs. */
interface Command {
  readonly index: number;
  readonly spec: JobSpec;
  readonly job: JobSpec;
  readonly cancel: AbortController;
  result: JobResult | undefined;
  /** Why the job did not run, when `run()` rejected (a shutdown). */
  error: Error | undefined;
}

/**
 * Runs `specs` side by side until every one has ended; see `ProcessManager.runAll()` for the rules.
 * @throws InvalidSpecError, InvalidArgumentError before anything spawns.
 */
export async function runAll(host: RunAllHost, specs: unknown, options?: unknown): Promise<RunAllResult> {
  const given = checkSpecs(specs);
  for (const spec of given) host.validate(spec);
  const opts = resolveRunAllOptions(given, options);
  const commands: Command[] = given.map((spec, index) => ({ index, spec, job: withRestarts(spec, opts), cancel: new AbortController(), result: undefined, error: undefined }));
  return new Group(host, commands, opts).run();
}

/** The spec as run: `restartTries` and `restartDelay` fill the spec's `retries` and `retryBackoff` when it has none. */
function withRestarts(spec: JobSpec, opts: ResolvedRunAll): JobSpec {
  return {
    ...spec,
    retries: spec.retries ?? opts.restartTries,
    retryBackoff: spec.retryBackoff ?? { type: 'fixed', delay: opts.restartDelay },
  };
}

/** One call of `runAll()`. */
class Group {
  private readonly slots: Slots;
  private cause: Cause | undefined;
  /** The commands that started, in the order they ended: what the success rule judges. */
  private readonly ended: Ended[] = [];

  constructor(
    private readonly host: RunAllHost,
    private readonly commands: readonly Command[],
    private readonly opts: ResolvedRunAll,
  ) {
    this.slots = new Slots(opts.maxConcurrent);
  }

  async run(): Promise<RunAllResult> {
    const { clock } = this.host;
    const { signal, timeout } = this.opts;
    const onAbort = (): void => this.stopAll('signal');
    const timer = timeout === Infinity ? undefined : clock.setTimeout(() => this.stopAll('timeout'), timeout);
    if (signal?.aborted) this.stopAll('signal');
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(this.commands.map((command) => this.runOne(command)));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clock.clearTimeout(timer);
    }
    const verdict = judge(this.opts.success, this.ended);
    // Cut short from outside: not ok, whatever the rule says of what did end.
    const cutShort = this.cause !== undefined && this.cause !== 'kill-others';
    const exitCode = cutShort && verdict.ok ? 1 : exitCodeOf(verdict);
    return { ok: exitCode === 0, exitCode, results: this.commands.map((command) => this.resultOf(command)) };
  }

  /** Waits for a slot of the group, runs the command as a job, and applies kill-others to its end. */
  private async runOne(command: Command): Promise<void> {
    const { signal } = command.cancel;
    if (!(await this.slots.acquire(signal))) return;
    try {
      command.result = await this.host.run(command.job, { signal });
    } catch (error) {
      // `run()` rejects only for a closed manager here (the specs were validated): end the rest.
      command.error = error as Error;
      this.stopAll('shutdown');
      return;
    } finally {
      this.slots.release();
    }
    const { result } = command;
    // Cancelled though the group never asked: the manager is shutting down and cancels every job.
    if (result.status === 'cancelled' && !signal.aborted) this.stopAll('shutdown');
    if (result.attempts === 0) return;
    const success = this.succeeded(command, result);
    this.ended.push({ name: command.spec.name, index: command.index, success, exitCode: result.exitCode });
    // Only a command that ended by itself triggers kill-others, and only while nothing stops the group yet.
    if (this.cause === undefined && this.opts.killOthersOn.has(success ? 'success' : 'failure')) this.stopAll('kill-others');
  }

  /**
   * A job that ended `succeeded` succeeded. One the group stopped counts by its exit code, as in
   * concurrently: a process that exits 0 (or another of its `successExitCodes`) on SIGTERM
   * succeeded, one ended by the signal failed.
   */
  private succeeded(command: Command, result: JobResult): boolean {
    if (result.status === 'succeeded') return true;
    if (result.status !== 'cancelled' || !command.cancel.signal.aborted || result.exitCode === null) return false;
    return (command.spec.successExitCodes ?? [0]).includes(result.exitCode);
  }

  /** Stops every command that has not ended and cancels those not started; the first cause wins. */
  private stopAll(cause: Cause): void {
    this.cause ??= cause;
    for (const command of this.commands) {
      if (command.result === undefined && command.error === undefined) command.cancel.abort();
    }
  }

  private resultOf(command: Command): RunAllCommandResult {
    const { result, spec, index } = command;
    const stopped = command.cancel.signal.aborted && (result === undefined || result.status === 'cancelled');
    const cutBy = stopped ? this.cause : undefined;
    const started = (result?.attempts ?? 0) > 0;
    let status: JobResult['status'] = result?.status ?? 'cancelled';
    let error = command.error ?? result?.error;
    if (cutBy === 'timeout') {
      status = 'timed-out';
      error = this.timedOut(spec.name, started);
    } else if (this.cause === 'shutdown' && status === 'cancelled') {
      error ??= new ShutdownError();
    }
    return {
      name: spec.name,
      index,
      status,
      exitCode: result?.exitCode ?? null,
      signal: result?.signal ?? null,
      killed: cutBy === 'kill-others',
      started,
      restarts: Math.max(0, (result?.attempts ?? 0) - 1),
      durationMs: result?.durationMs ?? 0,
      ...(error ? { error } : {}),
    };
  }

  private timedOut(name: string, started: boolean): TimeoutError {
    const what = started ? 'was stopped' : 'was not started';
    return new TimeoutError(`runAll() did not finish within ${this.opts.timeout} ms (its \`timeout\`), so \`${name}\` ${what}`);
  }
}
