/**
 * `procvisor/child`: helpers for a Node program supervised by procvisor with `ipc: true`.
 *
 * Every function is a harmless no-op when the program is not supervised: run on its own, or forked
 * with an IPC channel by a parent that is not procvisor (procvisor marks its children with the
 * `PROCVISOR_IPC` environment variable; this module reads it once and removes it from `process.env`,
 * so programs this one forks do not mistake their parent for procvisor).
 *
 * Keeping alive: the IPC channel never keeps the program alive because of `onShutdown` (a shutdown
 * hook must not stop a finished program from exiting). `onMessage`, like `process.on('message')`,
 * does keep it alive while a handler is registered; call the function it returns to let go.
 *
 * This entry imports nothing but the tiny protocol module.
 * @packageDocumentation
 */
import {
  SUPERVISED_ENV,
  encodeChildMessage,
  envelope,
  isEnvelope,
  isMarked,
  toRemoteError,
  type Envelope,
  type HeartbeatEnvelope,
  type ReadyEnvelope,
  type ResponseEnvelope,
} from '../ipc/protocol.js';

/** Why a shutdown handler runs: the supervisor asked over IPC, or a signal arrived. */
export type ShutdownReason = 'ipc' | 'SIGTERM' | 'SIGINT';

/** A shutdown handler; the program exits with code 0 once it settles (1 if it throws). */
export type ShutdownHandler = (reason: ShutdownReason) => void | Promise<void>;

/** A message handler; for a request, its return value (or promise) is the response. */
export type MessageHandler = (message: unknown) => unknown;

const marked = process.env[SUPERVISED_ENV] !== undefined;
if (marked) delete process.env[SUPERVISED_ENV];

const shutdownHandlers = new Set<ShutdownHandler>();
let messageHandler: MessageHandler | undefined;
let listening = false;
let shuttingDown = false;

/** True when procvisor supervises this program over a connected IPC channel. */
export function isSupervised(): boolean {
  return marked && typeof process.send === 'function' && process.connected;
}

const ignore = (): void => {};

/** Sends one raw message; false when unsupervised or the channel is gone. Errors arrive later and are dropped. */
function post(message: unknown): boolean {
  if (!isSupervised() || process.send === undefined) return false;
  // Always with a callback: without one, a send on a closing channel emits an `error` event.
  process.send(message, ignore);
  return true;
}

/** Tells the supervisor this program is ready (`readiness: { type: 'ipc' }`); `data` becomes `readyData`. */
export function ready(data?: unknown): boolean {
  return post(envelope<ReadyEnvelope>(data === undefined ? { type: 'ready' } : { type: 'ready', data }));
}

/** Tells the supervisor this program is alive (the `heartbeat` watchdog). */
export function heartbeat(): boolean {
  return post(envelope<HeartbeatEnvelope>({ type: 'heartbeat' }));
}

/**
 * Sends a message to the supervisor (a `message` event there, even the string `'ready'`, which
 * only a bare `process.send` makes readiness). Returns false when unsupervised.
 */
export function send(message: unknown): boolean {
  return post(encodeChildMessage(message));
}

/** Keeps the channel referenced exactly while a message handler exists. */
function updateRef(): void {
  if (messageHandler === undefined) process.channel?.unref();
  else process.channel?.ref();
}

async function answer(id: number, payload: unknown): Promise<void> {
  let response: ResponseEnvelope;
  try {
    if (messageHandler === undefined) throw new Error('The child has no onMessage handler');
    response = envelope<ResponseEnvelope>({ type: 'response', id, payload: await messageHandler(payload) });
  } catch (error) {
    response = envelope<ResponseEnvelope>({ type: 'response', id, error: toRemoteError(error) });
  }
  post(response);
}

function dispatch(message: Envelope): void {
  switch (message.type) {
    case 'shutdown':
      void runShutdown('ipc');
      return;
    case 'request':
      void answer(message.id, message.payload);
      return;
    case 'message':
      messageHandler?.(message.payload);
      return;
    default:
      return; // child-to-host types
  }
}

function onHostMessage(raw: unknown): void {
  if (isEnvelope(raw)) dispatch(raw);
  else if (!isMarked(raw)) messageHandler?.(raw);
}

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('message', onHostMessage);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  void runShutdown(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
}

async function runShutdown(reason: ShutdownReason): Promise<void> {
  // Once only: a signal arriving while the handlers run changes nothing (the ladder's SIGKILL may).
  if (shuttingDown || shutdownHandlers.size === 0) return;
  shuttingDown = true;
  let code = 0;
  for (const handler of [...shutdownHandlers]) {
    try {
      await handler(reason);
    } catch (error) {
      console.error('procvisor/child: the shutdown handler failed:', error);
      code = 1;
    }
  }
  process.exit(code);
}

/**
 * Runs `handler` once when the supervisor asks for a graceful stop over IPC (the only graceful path
 * on Windows) or on SIGTERM/SIGINT, then exits with code 0 (1 if a handler threw) unless a handler
 * exited itself. Several handlers run in registration order. Returns a function that removes it.
 */
export function onShutdown(handler: ShutdownHandler): () => void {
  if (!isSupervised()) return ignore;
  shutdownHandlers.add(handler);
  listen();
  updateRef();
  return () => {
    shutdownHandlers.delete(handler);
  };
}

/**
 * Handles messages from the supervisor (`handle.send()`), and answers its requests
 * (`handle.request()`) with the handler's return value; a throw or rejection becomes the request's
 * error. One handler at a time: a new one replaces the previous. Returns a function that removes it.
 */
export function onMessage(handler: MessageHandler): () => void {
  if (!isSupervised()) return ignore;
  messageHandler = handler;
  listen();
  updateRef();
  return () => {
    if (messageHandler !== handler) return;
    messageHandler = undefined;
    updateRef();
  };
}
