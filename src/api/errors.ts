/**
 * Every error procvisor gives a user. One rule names them: a class's `code` is its name without
 * the `Error` suffix, in upper snake case (`InvalidSpecError` ↔ `INVALID_SPEC`). Each says what
 * went wrong and what to do, and carries the facts as fields.
 */
import type { OutputLine, Signal } from './types.js';

/** Stable error codes, one per error class. */
export type ErrorCode =
  | 'INVALID_SPEC'
  | 'INVALID_ARGUMENT'
  | 'SPAWN_FAILED'
  | 'START_FAILED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'SHUTDOWN'
  | 'TIMEOUT'
  | 'IPC_UNAVAILABLE'
  | 'INVALID_MESSAGE'
  | 'IPC_REMOTE'
  | 'FIXTURE_LEAK'
  | 'PORT_UNAVAILABLE';

/**
 * The brand {@link isProcvisorError} looks for. A registered symbol, so an error made by another
 * copy of procvisor (two versions in one dependency tree) is still recognised.
 */
const BRAND = Symbol.for('procvisor.error');

/** Base of every error procvisor throws or rejects with; `code` is stable, `cause` is kept. */
export abstract class ProcvisorError extends Error {
  /** Stable code to branch on. */
  abstract readonly code: ErrorCode;
}
ProcvisorError.prototype.name = 'ProcvisorError';
Object.defineProperty(ProcvisorError.prototype, BRAND, { value: true });

/**
 * True for any error procvisor made, including one from another copy of the package (where
 * `instanceof ProcvisorError` is false).
 */
export function isProcvisorError(value: unknown): value is ProcvisorError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A process, supervisor or job spec failed validation. `path` names the field, e.g. `shutdown.timeout`. */
export class InvalidSpecError extends ProcvisorError {
  readonly code = 'INVALID_SPEC';
  /** Field path of the first problem. */
  readonly path: string;
  /** The bad value. */
  readonly value: unknown;
  constructor(path: string, value: unknown, message: string) {
    super(message);
    this.path = path;
    this.value = value;
  }
}
InvalidSpecError.prototype.name = 'InvalidSpecError';

/**
 * An argument of a method, or a manager option, failed validation (a malformed timeout, an
 * unknown state, an empty name). `path` names the field.
 */
export class InvalidArgumentError extends ProcvisorError {
  readonly code = 'INVALID_ARGUMENT';
  /** Field path of the first problem, e.g. `timeout`. */
  readonly path: string;
  /** The bad value. */
  readonly value: unknown;
  constructor(path: string, value: unknown, message: string) {
    super(message);
    this.path = path;
    this.value = value;
  }
}
InvalidArgumentError.prototype.name = 'InvalidArgumentError';

/** The OS could not spawn the process (missing binary, bad cwd, no permission). */
export class SpawnFailedError extends ProcvisorError {
  readonly code = 'SPAWN_FAILED';
  /** Process name. */
  readonly processName: string;
  /** The OS error code, e.g. `ENOENT`. */
  readonly errno: string | undefined;
  constructor(processName: string, message: string, options: { cause?: unknown; errno?: string | undefined }) {
    super(message, { cause: options.cause });
    this.processName = processName;
    this.errno = options.errno;
  }
}
SpawnFailedError.prototype.name = 'SpawnFailedError';

/**
 * Why a start failed: the process exited, readiness did not come in time, a stop cut it short, or
 * (for a supervisor's start) a child could not be spawned at all — its SpawnFailedError is the `cause`.
 */
export type StartFailure = 'exited' | 'timeout' | 'stopped' | 'spawn-failed';

/** What a readiness probe saw last, kept for the error of a start that was never ready. */
export interface ProbeReport {
  /** The probe's type: `http`, `tcp`, `log`, `exec`, `ipc` or `custom`. */
  type: string;
  /** What it saw, e.g. `ECONNREFUSED 127.0.0.1:3000`, `HTTP 404`, the custom probe's message. */
  message: string;
  /** Checks made before the start gave up. */
  checks: number;
}

/** The process spawned but did not become started: it exited, was not ready in time, or was stopped. */
export class StartFailedError extends ProcvisorError {
  readonly code = 'START_FAILED';
  /** Name of the child that failed (the innermost one for trees). */
  readonly processName: string;
  /** Why the start failed. */
  readonly reason: StartFailure;
  /** Exit code when it exited while starting. */
  readonly exitCode: number | null;
  /** Signal when it was killed while starting. */
  readonly signal: Signal | null;
  /** The readiness probe's last result, when there is a probe and it ran. */
  readonly lastProbe: ProbeReport | undefined;
  /** The last output lines, masked. */
  readonly lastOutput: readonly OutputLine[];
  constructor(
    processName: string,
    message: string,
    facts: {
      reason: StartFailure;
      exitCode?: number | null;
      signal?: Signal | null;
      lastProbe?: ProbeReport | undefined;
      lastOutput?: readonly OutputLine[];
      cause?: unknown;
    },
  ) {
    super(message, { cause: facts.cause });
    this.processName = processName;
    this.reason = facts.reason;
    this.exitCode = facts.exitCode ?? null;
    this.signal = facts.signal ?? null;
    this.lastProbe = facts.lastProbe;
    this.lastOutput = facts.lastOutput ?? [];
  }
}
StartFailedError.prototype.name = 'StartFailedError';

/** No child with that name. */
export class NotFoundError extends ProcvisorError {
  readonly code = 'NOT_FOUND';
  constructor(name: string, message = `No process or supervisor named \`${name}\``) {
    super(message);
  }
}
NotFoundError.prototype.name = 'NotFoundError';

/** A child with that name exists already. */
export class AlreadyExistsError extends ProcvisorError {
  readonly code = 'ALREADY_EXISTS';
  constructor(name: string, detail = 'already present') {
    super(`\`${name}\` is ${detail}`);
  }
}
AlreadyExistsError.prototype.name = 'AlreadyExistsError';

/** The operation is not valid in the child's current state. */
export class InvalidStateError extends ProcvisorError {
  readonly code = 'INVALID_STATE';
}
InvalidStateError.prototype.name = 'InvalidStateError';

/** The manager is shutting down or shut down. */
export class ShutdownError extends ProcvisorError {
  readonly code = 'SHUTDOWN';
  constructor(message = 'The process manager is shut down') {
    super(message);
  }
}
ShutdownError.prototype.name = 'ShutdownError';

/** A wait or request ran out of time. */
export class TimeoutError extends ProcvisorError {
  readonly code = 'TIMEOUT';
}
TimeoutError.prototype.name = 'TimeoutError';

/** A process has no IPC channel open (spec `ipc` is off, or it is not running). */
export class IpcUnavailableError extends ProcvisorError {
  readonly code = 'IPC_UNAVAILABLE';
}
IpcUnavailableError.prototype.name = 'IpcUnavailableError';

/** A message cannot go over IPC: it does not survive JSON serialisation. */
export class InvalidMessageError extends ProcvisorError {
  readonly code = 'INVALID_MESSAGE';
}
InvalidMessageError.prototype.name = 'InvalidMessageError';

/**
 * The child's `onMessage` handler threw while answering a request. The child's error is described
 * by `remoteName`, `message` and `remoteCode`; `name` and `code` stay this class's own.
 */
export class IpcRemoteError extends ProcvisorError {
  readonly code = 'IPC_REMOTE';
  /** The `name` of the child's error, e.g. `TypeError`. */
  readonly remoteName: string;
  /** The `code` of the child's error, when it had a string one. */
  readonly remoteCode: string | undefined;
  /** @internal */
  constructor(data: { name: string; message: string; code?: string | undefined }) {
    super(data.message);
    this.remoteName = data.name;
    this.remoteCode = data.code;
  }
}
IpcRemoteError.prototype.name = 'IpcRemoteError';

/** A process started through `procvisor/testing`, found alive by `assertNoLeaks()`. */
export interface LeakedProcess {
  /** The fixture it belongs to. */
  readonly fixture: string;
  readonly pid: number;
  /** Its command line, as the OS shows it (empty when it could not be read). */
  readonly command: string;
  /** `fixture`: the fixture's own process; `descendant`: one it started, at any depth. */
  readonly kind: 'fixture' | 'descendant';
}

/**
 * `assertNoLeaks()` found processes started through `procvisor/testing` still alive; `leaks` names
 * each. They were killed (with their trees) before this was thrown.
 */
export class FixtureLeakError extends ProcvisorError {
  readonly code = 'FIXTURE_LEAK';
  /** Every process found alive. */
  readonly leaks: readonly LeakedProcess[];
  constructor(leaks: readonly LeakedProcess[], message: string) {
    super(message);
    this.leaks = leaks;
  }
}
FixtureLeakError.prototype.name = 'FixtureLeakError';

/**
 * A fixture's port could not be had: `port: 'auto'` found no free port that no other test process
 * claimed (or the claim directory is not writable: see `cause`), or a fixed `port` is in use.
 */
export class PortUnavailableError extends ProcvisorError {
  readonly code = 'PORT_UNAVAILABLE';
  /** The fixed port that is in use; undefined for `'auto'`. */
  readonly port: number | undefined;
  constructor(port: number | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.port = port;
  }
}
PortUnavailableError.prototype.name = 'PortUnavailableError';
