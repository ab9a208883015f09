import type { OutputLine, Signal } from './types.js';

/** Stable error codes. */
export type ErrorCode =
  | 'INVALID_SPEC'
  | 'SPAWN_FAILED'
  | 'START_FAILED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'SHUTDOWN'
  | 'TIMEOUT'
  | 'IPC_UNAVAILABLE'
  | 'INVALID_MESSAGE';

/** Base of every error procvisor throws; `code` is stable, `cause` is kept. */
export class ProcvisorError extends Error {
  /** Stable code to branch on. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
ProcvisorError.prototype.name = 'ProcvisorError';

/** A spec or option failed validation. `path` names the field, e.g. `shutdown.timeout`. */
export class ValidationError extends ProcvisorError {
  /** Field path of the first problem. */
  readonly path: string;
  /** The bad value. */
  readonly value: unknown;
  constructor(path: string, value: unknown, message: string) {
    super('INVALID_SPEC', message);
    this.path = path;
    this.value = value;
  }
}
ValidationError.prototype.name = 'ValidationError';

/** The OS could not spawn the process (missing binary, bad cwd, no permission). */
export class SpawnError extends ProcvisorError {
  /** Process name. */
  readonly processName: string;
  /** The OS error code, e.g. `ENOENT`. */
  readonly errno: string | undefined;
  constructor(processName: string, message: string, options: { cause?: unknown; errno?: string | undefined }) {
    super('SPAWN_FAILED', message, options);
    this.processName = processName;
    this.errno = options.errno;
  }
}
SpawnError.prototype.name = 'SpawnError';

/** The process spawned but did not become started: it exited or was not ready in time. */
export class StartError extends ProcvisorError {
  /** Name of the child that failed (the innermost one for trees). */
  readonly processName: string;
  /** Exit code when it exited while starting. */
  readonly exitCode: number | null;
  /** Signal when it was killed while starting. */
  readonly signal: Signal | null;
  /** True when `startTimeout` ran out. */
  readonly timedOut: boolean;
  /** The last output lines, masked. */
  readonly lastOutput: readonly OutputLine[];
  constructor(
    processName: string,
    message: string,
    facts: {
      exitCode?: number | null;
      signal?: Signal | null;
      timedOut?: boolean;
      lastOutput?: readonly OutputLine[];
      cause?: unknown;
    } = {},
  ) {
    super('START_FAILED', message, { cause: facts.cause });
    this.processName = processName;
    this.exitCode = facts.exitCode ?? null;
    this.signal = facts.signal ?? null;
    this.timedOut = facts.timedOut ?? false;
    this.lastOutput = facts.lastOutput ?? [];
  }
}
StartError.prototype.name = 'StartError';

/** No child with that name. */
export class NotFoundError extends ProcvisorError {
  constructor(name: string, message = `No process or supervisor named \`${name}\``) {
    super('NOT_FOUND', message);
  }
}
NotFoundError.prototype.name = 'NotFoundError';

/** A child with that name exists already. */
export class AlreadyExistsError extends ProcvisorError {
  constructor(name: string, detail = 'already present') {
    super('ALREADY_EXISTS', `\`${name}\` is ${detail}`);
  }
}
AlreadyExistsError.prototype.name = 'AlreadyExistsError';

/** The operation is not valid in the current state. */
export class StateError extends ProcvisorError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}
StateError.prototype.name = 'StateError';

/** The manager is shutting down or shut down. */
export class ShutdownError extends ProcvisorError {
  constructor(message = 'The process manager is shut down') {
    super('SHUTDOWN', message);
  }
}
ShutdownError.prototype.name = 'ShutdownError';

/** A wait or request ran out of time. */
export class TimeoutError extends ProcvisorError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}
TimeoutError.prototype.name = 'TimeoutError';
