/**
 * procvisor — supervise operating-system processes from Node.js.
 * @packageDocumentation
 */
export { ProcessManager } from './manager.js';
export { Handle } from './handle.js';
export { DEFAULTS } from './api/defaults.js';
export {
  ProcvisorError,
  ValidationError,
  SpawnError,
  StartError,
  NotFoundError,
  AlreadyExistsError,
  StateError,
  ShutdownError,
  TimeoutError,
  type ErrorCode,
} from './api/errors.js';
export { EVENTS } from './api/events.js';
export { IpcRemoteError } from './ipc/channel.js';
export type * from './api/events.js';
export type * from './api/types.js';
export { backoff } from './policy/helpers.js';
