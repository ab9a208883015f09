/**
 * The IPC protocol between procvisor and a child using `procvisor/child`, shared by both sides.
 * Kept free of imports: the child entry bundles it.
 *
 * Control messages travel in envelopes marked `{ procvisor: 1 }`. User messages travel bare, so a
 * plain Node child using `process.on('message')` sees exactly what the host sent, and a child's own
 * `process.send(x)` arrives as a message; only a user message that itself looks like an envelope is
 * wrapped in a `message` envelope, so it cannot be mistaken for a control message.
 *
 * Directions: child → host `ready`, `heartbeat`, `message`, `response`; host → child `message`,
 * `request`, `shutdown`.
 *
 * One bare message is a control message too: the string `'ready'` from a child is readiness, the
 * way PM2 apps announce it (`process.send('ready')`), so such an app needs no change to be
 * supervised with `readiness: { type: 'ipc' }`. procvisor/child's `send('ready')` wraps it, so it
 * stays a user message.
 */

/** Protocol version carried in the `procvisor` key of every envelope. */
export const PROTOCOL_VERSION = 1;

/**
 * Environment variable procvisor sets for a child spawned with `ipc: true` (value: the host's pid).
 * The child helpers talk over IPC only when it is present, so a Node program forked by some other
 * parent (a cluster primary, a test runner) never receives procvisor envelopes it does not expect.
 */
export const SUPERVISED_ENV = 'PROCVISOR_IPC';

/** An error sent back in a `response` (Errors do not survive IPC serialisation as such). */
export interface RemoteErrorData {
  name: string;
  message: string;
  code?: string;
}

interface Base {
  procvisor: typeof PROTOCOL_VERSION;
}
/** The child is ready; `data` becomes the handle's `readyData`. */
export interface ReadyEnvelope extends Base {
  type: 'ready';
  data?: unknown;
}
/** The child is alive. */
export interface HeartbeatEnvelope extends Base {
  type: 'heartbeat';
}
/** A user message that would otherwise look like an envelope. */
export interface MessageEnvelope extends Base {
  type: 'message';
  payload: unknown;
}
/** A request from the host; the child answers with a `response` carrying the same `id`. */
export interface RequestEnvelope extends Base {
  type: 'request';
  id: number;
  payload: unknown;
}
/** The answer to a request: `payload` on success, `error` on failure. */
export interface ResponseEnvelope extends Base {
  type: 'response';
  id: number;
  payload?: unknown;
  error?: RemoteErrorData;
}
/** The host asks the child to shut down gracefully. */
export interface ShutdownEnvelope extends Base {
  type: 'shutdown';
}

/** Any control message. */
export type Envelope = ReadyEnvelope | HeartbeatEnvelope | MessageEnvelope | RequestEnvelope | ResponseEnvelope | ShutdownEnvelope;

const TYPES: ReadonlySet<string> = new Set(['ready', 'heartbeat', 'message', 'request', 'response', 'shutdown']);

/** True for a procvisor control message of a known type. */
export function isEnvelope(value: unknown): value is Envelope {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { procvisor?: unknown; type?: unknown };
  return candidate.procvisor === PROTOCOL_VERSION && typeof candidate.type === 'string' && TYPES.has(candidate.type);
}

/**
 * True for anything carrying the `procvisor` marker, known type or not. A user message like that is
 * never sent bare, and a receiver drops marked messages it does not understand (a newer protocol).
 */
export function isMarked(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'procvisor' in value;
}

/** The bare message a PM2-style child sends when it is ready (`process.send('ready')`). */
export const BARE_READY = 'ready';

/** True for a child's bare readiness announcement, {@link BARE_READY}. */
export function isBareReady(value: unknown): boolean {
  return value === BARE_READY;
}

/** Makes a control message. */
export function envelope<T extends Envelope>(fields: Omit<T, 'procvisor'>): T {
  return { procvisor: PROTOCOL_VERSION, ...fields } as T;
}

/** What to hand to `send()` for a user message: the message itself, or wrapped when ambiguous. */
export function encodeMessage(payload: unknown): unknown {
  return isMarked(payload) ? envelope<MessageEnvelope>({ type: 'message', payload }) : payload;
}

/**
 * {@link encodeMessage} for a message from the child: the bare `'ready'` is wrapped too, since the
 * host would read it as readiness.
 */
export function encodeChildMessage(payload: unknown): unknown {
  return isBareReady(payload) ? envelope<MessageEnvelope>({ type: 'message', payload }) : encodeMessage(payload);
}

/**
 * The error data of a `response` as the host trusts it: whatever a child sent (`null`, a string, an
 * object with odd fields), a name and a message come out. Nothing a child sends may crash the host.
 */
export function fromRemoteError(raw: unknown): RemoteErrorData {
  if (typeof raw !== 'object' || raw === null) return { name: 'Error', message: `The child answered with an error that is not an object: ${String(raw)}` };
  const fields = raw as Record<string, unknown>;
  const data: RemoteErrorData = {
    name: typeof fields.name === 'string' && fields.name !== '' ? fields.name : 'Error',
    message: typeof fields.message === 'string' ? fields.message : String(fields.message ?? ''),
  };
  if (typeof fields.code === 'string') data.code = fields.code;
  return data;
}

/** Error data for a `response`, from anything thrown. */
export function toRemoteError(error: unknown): RemoteErrorData {
  if (error instanceof Error) {
    const data: RemoteErrorData = { name: error.name, message: error.message };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') data.code = code;
    return data;
  }
  return { name: 'Error', message: String(error) };
}
