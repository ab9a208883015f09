/**
 * Public types of the runner methods: `pm.pipeOutput()` (every process's output to one stream,
 * prefixed) and `pm.runAll()` (commands side by side with concurrently's rules). The behaviour is
 * described on the methods' TSDoc; the guide is
 * https://github.com/procvisor/procvisor/blob/main/docs/runners.md.
 * @packageDocumentation
 */
import type { Duration, JobResult, Signal } from './types.js';

/** Options of `pm.pipeOutput()`. */
export interface PipeOutputOptions {
  /**
   * The prefix of each line: a template with `{name}`, `{pid}`, `{index}` (the order in which names
   * were first seen, from 0; names given in `names` come first, in their order) and `{time}`
   * (`HH:MM:SS.mmm`, local time). Default `'[{name}]'`. `''` writes the output raw: no prefix, no
   * padding, no stderr marker, no colour. Any other `{word}` is an `InvalidArgumentError`.
   */
  prefix?: string;
  /**
   * Colour the prefix, one colour per process from a fixed palette (and the stderr marker red).
   * `'auto'` (default): colour when `FORCE_COLOR` is set to anything but `'0'` or `'false'`, or
   * else when `NO_COLOR` is unset or empty and the stream is a terminal (`isTTY`).
   */
  color?: 'auto' | boolean;
  /** Write the line's time, `HH:MM:SS.mmm` local time, before the prefix. Default false. */
  timestamps?: boolean;
  /**
   * Write the output of these processes only (and know their prefixes from the start, so the first
   * lines already align). A name that is not registered yet is fine: it may be added later.
   * Default: every process and job.
   */
  names?: readonly string[];
}

/** The outcomes on which `runAll()` stops the other commands (`killOthersOn`). */
export type KillOthersOn = 'failure' | 'success';

/**
 * Which commands must succeed for `runAll()` to succeed, as concurrently's `--success`: `'all'`,
 * `'first'` (the first to end), `'last'` (the last to end), `'command-NAME'` or `'command-INDEX'`
 * (those commands), `'!command-NAME'` or `'!command-INDEX'` (all but those).
 */
export type SuccessCondition = 'all' | 'first' | 'last' | `command-${string}` | `!command-${string}`;

/**
 * Options of `pm.runAll()`; see its TSDoc and
 * https://github.com/procvisor/procvisor/blob/main/docs/runners.md#the-rules-exactly for the exact rules.
 */
export interface RunAllOptions {
  /**
   * When a command ends with one of these outcomes, stop every other running command (by its
   * termination ladder) and cancel those not started yet. concurrently's `--kill-others` is
   * `['success', 'failure']`, `--kill-others-on-fail` is `['failure']`. Default `[]`.
   */
  killOthersOn?: readonly KillOthersOn[];
  /** Which commands must succeed. Default `'all'`. */
  success?: SuccessCondition;
  /**
   * Commands running at once (an integer >= 1, or `Infinity`); the others wait and start in order.
   * Default `Infinity`. The manager's `maxConcurrentJobs` applies as well: see `runAll()`.
   */
  maxConcurrent?: number;
  /**
   * Times a failed command is run again (an integer >= 0) before its failure counts. Default 0. A
   * default for commands whose spec has no `retries`.
   */
  restartTries?: number;
  /**
   * Delay before each restart. Default 0. A default for commands whose spec has no
   * `retryBackoff` (it becomes `{ type: 'fixed', delay }`).
   */
  restartDelay?: Duration;
  /** Aborting it stops every command and cancels those not started; the run is not `ok`. */
  signal?: AbortSignal;
  /**
   * Longest the whole group may run, from the call; then every command still running is stopped,
   * those not started are cancelled, and they end `timed-out`. Default none.
   */
  timeout?: Duration;
}

/** How one command of `runAll()` ended. */
export interface RunAllCommandResult {
  /** The spec's `name`. */
  name: string;
  /** Its position in the specs given, from 0. */
  index: number;
  /**
   * The job's status: `succeeded`, `failed`, `timed-out` (its own `timeout`, or the group's) or
   * `cancelled` (kill-others, the `signal`, or a shutdown of the manager).
   */
  status: JobResult['status'];
  /** Exit code of its last attempt, or null (ended by a signal, never started). */
  exitCode: number | null;
  /** Signal that ended its last attempt, or null. */
  signal: Signal | null;
  /**
   * Stopped by kill-others: stopped while it ran (or waited to restart), or cancelled before it
   * started.
   */
  killed: boolean;
  /** Whether it spawned at all; a command never started is left out of the success rule. */
  started: boolean;
  /** Times it was run again after a failure (attempts − 1; 0 when never started). */
  restarts: number;
  /** From the start of its first attempt to the end of its last, in ms (0 when never started). */
  durationMs: number;
  /**
   * Why, when the exit code cannot say it: the job's own error (a `SpawnFailedError`, a
   * `StartFailedError`, a `TimeoutError`), the group's `TimeoutError`, or the manager's
   * `ShutdownError`.
   */
  error?: Error;
}

/** How `runAll()` ended. */
export interface RunAllResult {
  /** Whether the success rule holds (and the run was not cut short by `signal`, `timeout` or a shutdown). */
  ok: boolean;
  /**
   * 0 when `ok`; otherwise the exit code of the command the success rule blames, or 1 when it has
   * none (ended by a signal, never started, cut short). Ready for `process.exitCode`.
   */
  exitCode: number;
  /** One result per spec, in the order of the specs. */
  results: RunAllCommandResult[];
}
