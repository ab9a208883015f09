/**
 * Host side of the IPC channel to one incarnation spawned with an `'ipc'` stdio slot. Decodes the
 * child's control messages into callbacks, sends user messages, and correlates requests with
 * responses by id. It never throws on a closed channel: sends reject with `IPC_UNAVAILABLE`, and
 * every pending request is rejected the moment the channel closes.
 */
import type { ChildProcess } from 'node:child_process';
import { InvalidMessageError, IpcRemoteError, IpcUnavailableError, TimeoutError } from '../api/errors.js';
import type { Clock, ClockTimer } from '../api/types.js';
import { systemClock } from '../util/clock.js';
import {
  encodeMessage,
  fromRemoteError,
  envelope,
  isBareReady,
  isEnvelope,
  isMarked,
  type Envelope,
  type RequestEnvelope,
  type ShutdownEnvelope,
} from './protocol.js';

/** Callbacks for what the child sends. */
export interface IpcChannelHandlers {
  /** The child called `ready(data)`, or sent the bare string `'ready'` (PM2 style; `data` undefined). */
  onReady?(data: unknown): void;
  /** The child called `heartbeat()`. */
  onHeartbeat?(): void;
  /** A user message (`send()` from procvisor/child, or any non-procvisor `process.send`). */
  onMessage?(payload: unknown): void;
  /** The channel closed (the child exited or disconnected); called once. */
  onClose?(): void;
}

/** Options of an {@link IpcChannel}. */
export interface IpcChannelOptions {
  /** Clock for request timeouts (default the system clock). */
  readonly clock?: Clock;
}

/** Options of {@link IpcChannel.request}. */
export interface RequestOptions {
  /** Milliseconds to wait for the response before rejecting with a TimeoutError; `Infinity` waits for ever. */
  timeout: number;
  /** Abandons the request (rejects with the signal's reason). */
  signal?: AbortSignal;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: ClockTimer | undefined;
  cleanup(): void;
}

/**
 * Throws `INVALID_MESSAGE` for what Node's IPC (JSON serialisation) cannot carry, instead of
 * dropping it or throwing a plain TypeError: `undefined`, a symbol, a function, a BigInt, a
 * cyclic structure.
 */
function checkSendable(message: unknown): void {
  let why: string | undefined;
  try {
    if (JSON.stringify(message) === undefined) why = `a ${typeof message} cannot be sent`;
  } catch (error) {
    why = error instanceof Error ? error.message : String(error);
  }
  if (why !== undefined) {
    throw new InvalidMessageError(`Cannot send this IPC message: ${why}. Messages are JSON-serialised: send plain data (objects, arrays, strings, numbers, booleans, null).`);
  }
}

function unavailable(detail: string, cause?: unknown): IpcUnavailableError {
  return new IpcUnavailableError(`The IPC channel is not available: ${detail}`, { cause });
}

/** The host end of one child's IPC channel. */
export class IpcChannel {
  readonly #child: ChildProcess;
  readonly #handlers: IpcChannelHandlers;
  readonly #clock: Clock;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  constructor(child: ChildProcess, handlers: IpcChannelHandlers = {}, options: IpcChannelOptions = {}) {
    this.#child = child;
    this.#handlers = handlers;
    this.#clock = options.clock ?? systemClock;
    if (typeof child.send !== 'function' || !child.connected) {
      this.#closed = true;
      return;
    }
    child.on('message', this.#onMessage);
    // Not `exit`: messages the child sent just before exiting are still delivered after it, and a
    // last `response` must not be dropped. `disconnect` comes once the channel is drained.
    child.once('disconnect', this.#onGone);
    child.once('close', this.#onGone);
  }

  /** True while messages can be sent. */
  get connected(): boolean {
    return !this.#closed && this.#child.connected;
  }

  /**
   * Sends a user message; resolves once handed to the OS, rejects with `IPC_UNAVAILABLE` otherwise.
   * @throws ProcvisorError `INVALID_MESSAGE` at once for a message IPC cannot carry.
   */
  send(message: unknown): Promise<void> {
    checkSendable(message);
    return this.#send(encodeMessage(message));
  }

  /**
   * Sends `message` as a request and resolves with the value the child's `onMessage` handler
   * returned. Rejects with a TimeoutError (`TIMEOUT`) after `timeout` ms on the channel's clock,
   * with `IPC_UNAVAILABLE` at once when the channel is closed or closes while waiting, and with an
   * IpcRemoteError when the handler threw (or the child has none).
   */
  request(message: unknown, options: RequestOptions): Promise<unknown> {
    try {
      checkSendable(message);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.connected) return Promise.reject(unavailable('the channel is closed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    const clock = this.#clock;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => settle(() => reject(signal?.reason));
      const settle = (how: () => void): void => {
        if (!this.#pending.delete(id)) return;
        entry.cleanup();
        how();
      };
      const entry: Pending = {
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
        timer:
          options.timeout === Infinity
            ? undefined
            : clock.setTimeout(() => settle(() => reject(new TimeoutError(`No response to IPC request ${id} within ${options.timeout} ms`))), options.timeout),
        cleanup: () => {
          if (entry.timer !== undefined) clock.clearTimeout(entry.timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      this.#pending.set(id, entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#send(envelope<RequestEnvelope>({ type: 'request', id, payload: message })).catch(entry.reject);
    });
  }

  /** Asks the child to shut down (its `onShutdown` handler). Resolves false when it could not be sent. */
  requestShutdown(): Promise<boolean> {
    return this.#send(envelope<ShutdownEnvelope>({ type: 'shutdown' })).then(
      () => true,
      () => false,
    );
  }

  /** Stops listening and rejects pending requests with `IPC_UNAVAILABLE`; does not disconnect the child. */
  close(): void {
    this.#shut('the channel was closed');
  }

  #send(message: unknown): Promise<void> {
    if (!this.connected) return Promise.reject(unavailable('the channel is closed'));
    return new Promise((resolve, reject) => {
      try {
        // Always with a callback: without one, a send on a closing channel emits an `error` event.
        this.#child.send(message as Parameters<ChildProcess['send']>[0], (error) => {
          if (error) reject(unavailable(error.message, error));
          else resolve();
        });
      } catch (error) {
        // Serialisation failures (a BigInt with JSON serialisation, ...) are the caller's to see.
        reject(error);
      }
    });
  }

  readonly #onMessage = (raw: unknown): void => {
    if (isBareReady(raw)) {
      this.#handlers.onReady?.(undefined);
      return;
    }
    if (!isEnvelope(raw)) {
      if (!isMarked(raw)) this.#handlers.onMessage?.(raw);
      return;
    }
    this.#dispatch(raw);
  };

  #dispatch(message: Envelope): void {
    switch (message.type) {
      case 'ready':
        this.#handlers.onReady?.(message.data);
        return;
      case 'heartbeat':
        this.#handlers.onHeartbeat?.();
        return;
      case 'message':
        this.#handlers.onMessage?.(message.payload);
        return;
      case 'response': {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return; // late answer to a request that timed out
        // `error: null` (or any other odd value a child sends) is still a failed request, never a crash.
        if (message.error !== undefined) pending.reject(new IpcRemoteError(fromRemoteError(message.error)));
        else pending.resolve(message.payload);
        return;
      }
      case 'request':
      case 'shutdown':
        return; // host-to-child types: a child has no business sending them
    }
  }

  readonly #onGone = (): void => {
    this.#shut('the child disconnected');
  };

  #shut(reason: string): void {
    if (this.#closed && this.#pending.size === 0) return;
    const wasOpen = !this.#closed;
    this.#closed = true;
    this.#child.off('message', this.#onMessage);
    this.#child.off('disconnect', this.#onGone);
    this.#child.off('close', this.#onGone);
    for (const pending of [...this.#pending.values()]) pending.reject(unavailable(reason));
    if (wasOpen) this.#handlers.onClose?.();
  }
}
