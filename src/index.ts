/**
 * procvisor — supervise operating-system processes from Node.js.
 * @packageDocumentation
 */
export { ProcessManager } from './manager.js';
export { Handle } from './handle.js';
export { DEFAULTS } from './defaults.js';
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
} from './errors.js';
export { EVENTS } from './events.js';
export { IpcRemoteError } from './ipc/channel.js';
export type * from './events.js';
export type * from './types.js';
export { backoff } from './policy/helpers.js';
