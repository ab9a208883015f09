/**
 * The error a supervisor's start rejects with when a child fails to start (SEMANTICS: start and stop
 * order): it names the supervisor, the child, and the cause, and carries the innermost process's
 * facts so `processName`, `exitCode` and `lastOutput` point at what actually failed.
 */
import { SpawnFailedError, StartFailedError } from '../api/errors.js';

/** Wraps the failure of `child` while `supervisor` started its children. */
export function childStartError(supervisor: string, child: string, cause: unknown): StartFailedError {
  const innermost = cause instanceof StartFailedError || cause instanceof SpawnFailedError ? cause.processName : child;
  const why = cause instanceof Error ? cause.message : String(cause);
  const facts =
    cause instanceof StartFailedError
      ? { reason: cause.reason, exitCode: cause.exitCode, signal: cause.signal, lastProbe: cause.lastProbe, lastOutput: cause.lastOutput }
      : { reason: cause instanceof SpawnFailedError ? ('spawn-failed' as const) : ('exited' as const) };
  return new StartFailedError(innermost, `Supervisor \`${supervisor}\` could not start \`${child}\`: ${why}`, { cause, ...facts });
}

