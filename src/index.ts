/**
 * procvisor — supervise operating-system processes from Node.js.
 * @packageDocumentation
 */
export { ProcessManager } from './manager.js';
export { DEFAULTS } from './api/defaults.js';
export {
  ProcvisorError,
  isProcvisorError,
  InvalidSpecError,
  InvalidArgumentError,
  SpawnFailedError,
  StartFailedError,
  NotFoundError,
  AlreadyExistsError,
  InvalidStateError,
  ShutdownError,
  TimeoutError,
  IpcUnavailableError,
  InvalidMessageError,
  IpcRemoteError,
  FixtureLeakError,
  PortUnavailableError,
  type LeakedProcess,
  type ErrorCode,
  type StartFailure,
  type ProbeReport,
} from './api/errors.js';
export { EVENTS } from './api/events.js';
export type * from './api/events.js';
export type * from './api/types.js';
export type * from './api/handle.js';
export type * from './api/runner.js';
export { backoff } from './policy/helpers.js';
export { defineConfig } from './config/define.js';
export type { ProcvisorConfig } from './config/types.js';
