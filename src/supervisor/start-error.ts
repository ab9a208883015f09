/**
 * The error a supervisor's start rejects with when a child fails to start (SEMANTICS: start and stop
 * order): it names the supervisor, the child, and the cause, and carries the innermost process's
 * facts so `processName`, `exitCode` and `lastOutput` point at what actually failed.
 */
import { SpawnError, StartError } from '../api/errors.js';

/** Wraps the failure of `child` while `supervisor` started its children. */
export function childStartError(supervisor: string, child: string, cause: unknown): StartError {
  const innermost = cause instanceof StartError || cause instanceof SpawnError ? cause.processName : child;
  const why = cause instanceof Error ? cause.message : String(cause);
  const facts =
    cause instanceof StartError
      ? { exitCode: cause.exitCode, signal: cause.signal, timedOut: cause.timedOut, lastOutput: cause.lastOutput }
      : {};
  return new StartError(innermost, `Supervisor \`${supervisor}\` could not start \`${child}\`: ${why}`, { cause, ...facts });
}

