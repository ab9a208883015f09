/**
 * A lean HTTP/1.1 client for plain `http:` probes. At 200 checks per second most of a probe's CPU
 * went into `node:http` itself (ClientRequest and IncomingMessage streams, agent bookkeeping, header
 * objects), so a check here is one write of request bytes prepared once per probe, one parser fed by
 * the socket's reads, and one promise (bench/probes.ts):
 * - each probe loop's signal (`owner`) owns a small pool of keep-alive sockets per origin, destroyed
 *   with everything in flight the moment it aborts; idle sockets are unref'd and closed after
 *   {@link IDLE_SOCKET_MS}, below Node's 5 s server keep-alive, or as soon as the server closes them;
 * - a reused socket that the server closed under us (reset or EOF before any byte of the response)
 *   is retried once on a fresh socket, like `node:http`'s agent;
 * - the check's end (timeout, abort) destroys the socket of a pending request.
 */
import { connect, type Socket } from 'node:net';
import type { Ending } from '../util/ending.js';
import { whenAborted } from './check-end.js';
import { describeNetworkError } from './errno.js';
import { HttpParseError, ResponseParser } from './http-lite-parser.js';

/** Largest body read for a `body` match; a longer body is cut there and its socket dropped. */
export const BODY_LIMIT = 64 * 1024;
/** How long a pooled socket may idle before it is closed. */
export const IDLE_SOCKET_MS = 4_000;
/** Body bytes read past {@link BODY_LIMIT} to keep a socket reusable; beyond, it is dropped. */
const DRAIN_LIMIT = 1024 * 1024;
/** Idle sockets kept per origin and owner (several probes of one incarnation may hit one origin). */
const MAX_IDLE = 4;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^[\x21-\x7e]+$/;
/** Methods whose requests carry no body by convention; the others get `Content-Length: 0`. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** One probe's request, prepared once: where to connect and the exact bytes to send. */
export interface LiteRequest {
  readonly host: string;
  readonly port: number;
  /** Pool key: sockets are shared by requests to the same origin only. */
  readonly origin: string;
  /** The whole request: request line, headers and the blank line. */
  readonly bytes: Buffer;
  /** HEAD: the response has no body. */
  readonly head: boolean;
}

/** What a request came to: a complete response, or a failure with a message (and the status if known). */
export type LiteOutcome =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly message: string; readonly status?: number };

/**
 * Prepares `method url` with `headers` (plus Host, Authorization from the URL's credentials,
 * `Connection: keep-alive`). Returns an Error when the URL is not `http:` or the method or path
 * cannot be written on a request line as they are.
 */
export function prepareRequest(url: URL, method: string, headers: Readonly<Record<string, string>>): LiteRequest | Error {
  if (url.protocol !== 'http:') return new Error(`http-lite speaks http: only, not ${url.protocol}`);
  const path = `${url.pathname}${url.search}`;
  if (!TOKEN.test(method)) return new Error(`Invalid HTTP method ${JSON.stringify(method)}`);
  if (!TARGET.test(path)) return new Error(`Invalid request target ${JSON.stringify(path)}`);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (url.username !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    lines.push(`Authorization: Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  lines.push('Connection: keep-alive');
  if (!BODILESS.has(method)) lines.push('Content-Length: 0');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 80 : Number(url.port);
  return {
    host,
    port,
    origin: `${host}:${port}`,
    bytes: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'),
    head: method === 'HEAD',
  };
}

/** One socket and the exchange it serves, if any; the socket's listeners are attached once. */
class Connection {
  readonly socket: Socket;
  /** Responses completed on this socket: a failure on a reused socket may be retried. */
  served = 0;
  exchange: Exchange | undefined;

  constructor(
    readonly pool: Pool,
    readonly origin: string,
    request: LiteRequest,
  ) {
    const socket = connect({ host: request.host, port: request.port, noDelay: true });
    this.socket = socket;
    // Refreshed by Node on every read and write, so it only fires after IDLE_SOCKET_MS of silence.
    socket.setTimeout(IDLE_SOCKET_MS);
    // Bytes, an EOF or an error while idle mean the server is done with this socket.
    socket.on('data', (chunk: Buffer) => (this.exchange ? this.exchange.data(chunk) : this.destroy()));
    socket.on('end', () => (this.exchange ? this.exchange.eof() : this.destroy()));
    socket.on('error', (error: NodeJS.ErrnoException) => (this.exchange ? this.exchange.fail(error) : this.destroy()));
    socket.on('timeout', () => {
      if (this.exchange === undefined) this.destroy();
    });
    socket.on('close', () => {
      this.exchange?.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      pool.forget(this);
    });
  }

  destroy(): void {
    this.exchange = undefined;
    this.socket.destroy();
    this.pool.forget(this);
  }
}

/** The sockets of one owner signal: all of them (to destroy on abort) and the idle ones by origin. */
class Pool {
  readonly all = new Set<Connection>();
  readonly idle = new Map<string, Connection[]>();
  closed = false;

  /** An idle socket to `origin` that still looks usable, or a new one. */
  connection(request: LiteRequest, fresh: boolean): Connection {
    const idle = fresh ? undefined : this.idle.get(request.origin);
    for (let conn = idle?.pop(); conn !== undefined; conn = idle?.pop()) {
      if (!conn.socket.destroyed && conn.socket.writable && conn.socket.readable) {
        conn.socket.ref();
        return conn;
      }
      conn.destroy();
    }
    const conn = new Connection(this, request.origin, request);
    this.all.add(conn);
    return conn;
  }

  release(conn: Connection): void {
    let idle = this.idle.get(conn.origin);
    if (idle === undefined) this.idle.set(conn.origin, (idle = []));
    if (this.closed || idle.length >= MAX_IDLE) {
      conn.destroy();
      return;
    }
    // Like node:http's agent: an idle socket must not keep the host process alive.
    conn.socket.unref();
    idle.push(conn);
  }

  forget(conn: Connection): void {
    this.all.delete(conn);
    const idle = this.idle.get(conn.origin);
    const at = idle?.indexOf(conn) ?? -1;
    if (at !== -1) idle?.splice(at, 1);
  }

  close(): void {
    this.closed = true;
    for (const conn of [...this.all]) {
      conn.exchange?.cancel();
      conn.destroy();
    }
    this.idle.clear();
  }
}

const pools = new WeakMap<AbortSignal, Pool>();

function poolOf(owner: AbortSignal): Pool {
  let pool = pools.get(owner);
  if (pool === undefined) {
    const created = new Pool();
    pool = created;
    pools.set(owner, created);
    whenAborted(owner, () => created.close());
  }
  return pool;
}

/** One request and its response, on one socket, or on a second one after a retry. */
class Exchange {
  #conn!: Connection;
  #parser!: ResponseParser;
  #received = false;
  #retried = false;
  #settled = false;

  constructor(
    private readonly request: LiteRequest,
    private readonly pool: Pool,
    private readonly keepBody: boolean,
    private readonly resolve: (outcome: LiteOutcome) => void,
  ) {}

  start(fresh: boolean): void {
    const conn = this.pool.connection(this.request, fresh);
    this.#conn = conn;
    this.#parser = new ResponseParser(this.request.head, this.keepBody ? BODY_LIMIT : 0);
    this.#received = false;
    conn.exchange = this;
    conn.socket.write(this.request.bytes);
  }

  data(chunk: Buffer): void {
    this.#received = true;
    const parser = this.#parser;
    let leftover: number;
    try {
      leftover = parser.push(chunk);
    } catch (error) {
      this.#settle(this.#failure(error), false);
      return;
    }
    if (parser.done) this.#settle(this.#response(), parser.reusable && leftover === 0);
    // Past the limit, keep reading only a bounded body we can reuse the socket after.
    else if (parser.bodyBytes > BODY_LIMIT && (!parser.reusable || parser.bodyBytes > DRAIN_LIMIT)) {
      this.#settle(this.#response(), false);
    }
  }

  eof(): void {
    if (this.#retry()) return;
    try {
      this.#parser.eof();
      this.#settle(this.#response(), false);
    } catch (error) {
      this.#settle(this.#failure(error), false);
    }
  }

  fail(error: NodeJS.ErrnoException): void {
    if ((error.code === 'ECONNRESET' || error.code === 'EPIPE') && this.#retry()) return;
    this.#settle(this.#failure(error), false);
  }

  /** The check ended first (timeout, abort): drop the socket, whatever it was doing. */
  cancel(): void {
    this.#settle({ ok: false, message: 'aborted' }, false);
  }

  /** Retries once on a fresh socket when a reused one died before any byte of the response. */
  #retry(): boolean {
    if (this.#settled || this.#retried || this.#received || this.#conn.served === 0 || this.pool.closed) return false;
    this.#retried = true;
    this.#conn.destroy();
    this.start(true);
    return true;
  }

  #response(): LiteOutcome {
    const parser = this.#parser;
    const body = this.keepBody ? Buffer.concat(parser.kept).toString('utf8') : '';
    return { ok: true, status: parser.status, body };
  }

  /** The failure's message, worded as node:http's path words the common ones (check-http.ts). */
  #failure(error: unknown): LiteOutcome {
    const parser = this.#parser;
    const { message } = error as NodeJS.ErrnoException;
    if (parser.headDone) return { ok: false, message: `The response broke off: ${message}`, status: parser.status };
    if (!(error instanceof HttpParseError)) return { ok: false, message: describeNetworkError(error as NodeJS.ErrnoException) };
    return { ok: false, message: this.#received ? message : 'ECONNRESET: socket hang up' };
  }

  #settle(outcome: LiteOutcome, reuse: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    const conn = this.#conn;
    conn.exchange = undefined;
    if (reuse) {
      conn.served += 1;
      this.pool.release(conn);
    } else {
      conn.destroy();
    }
    this.resolve(outcome);
  }
}

/**
 * Sends `request` on a keep-alive socket of `owner`'s pool and reads the response. Resolves with
 * the status and (when `keepBody`) the first {@link BODY_LIMIT} bytes of the body as UTF-8, or
 * with a failure: network error, malformed response, or `aborted` when `end` fires first. Never
 * rejects; resolves `aborted` at once when `end` has fired or `owner` has aborted.
 */
export function liteRequest(request: LiteRequest, owner: AbortSignal, end: Ending, keepBody: boolean): Promise<LiteOutcome> {
  return new Promise((resolve) => {
    // An aborted owner never fires again: a pool made for it now would never be closed.
    if (end.ended || owner.aborted) {
      resolve({ ok: false, message: 'aborted' });
      return;
    }
    const exchange = new Exchange(request, poolOf(owner), keepBody, resolve);
    exchange.start(false);
    end.on(() => exchange.cancel());
  });
}
