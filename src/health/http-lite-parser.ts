/**
 * Incremental parser of ONE HTTP/1.x response, for the lean probe client (http-lite.ts). It is fed
 * the socket's reads as they come, whatever their size, so every state survives a split anywhere:
 * inside the status line, a header, a chunk size or the CRLF after a chunk. It knows only what a
 * probe needs (the status, the body framing, whether the connection may be reused) and is strict
 * where leniency could desynchronise a reused connection: obs-fold, malformed or conflicting
 * `Content-Length`, bad chunk sizes and oversized heads are errors ({@link HttpParseError}).
 */

/** Largest response head (status line and headers), and largest trailer section; as in Node. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** A response the parser cannot accept; its message says why, for the failed check. */
export class HttpParseError extends Error {
  override name = 'HttpParseError';
}

// RFC 9110 token characters; field values and reason phrases refuse controls (see hasControl).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([0-9]{3})(?:[ \t](.*))?$/;
const OWS = /^[ \t]+|[ \t]+$/g;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/;

type State = 'status' | 'headers' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

/** True when `text` holds a control character other than HTAB (a bare CR, NUL, DEL...). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 32 && code !== 9) || code === 127) return true;
  }
  return false;
}

/** Quotes a line for an error message, cut short. */
function quote(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line);
}

/**
 * Parses one response to a request. Feed it with {@link push} and, on EOF, {@link eof}. Interim 1xx
 * responses (100-continue, 103 Early Hints) are skipped; the reported `status` is the final one.
 */
export class ResponseParser {
  /** Status code of the status line read last (an interim one is reset once skipped); 0 before. */
  status = 0;
  /** True once the final response's head is in (its status and framing are known). */
  headDone = false;
  /** True once the response is complete. */
  done = false;
  /** Whether the connection may carry another request once this response is done. */
  reusable = false;
  /** Body bytes seen so far (kept or not). */
  bodyBytes = 0;
  /** The first `keep` body bytes. */
  readonly kept: Buffer[] = [];

  #state: State = 'status';
  #partial = '';
  #budget = MAX_HEAD_BYTES;
  #remaining = 0;
  #keptBytes = 0;
  #version = 1;
  #length: number | undefined;
  #chunked = false;
  #codings = false;
  #close = false;
  #keepAlive = false;

  /**
   * @param noBody The request was HEAD: the response has no body whatever its headers say.
   * @param keep How many body bytes to keep in {@link kept}; the rest is only counted.
   */
  constructor(
    private readonly noBody: boolean,
    private readonly keep: number,
  ) {}

  /**
   * Parses `chunk`. Returns the number of bytes left over after the end of the response (0 while it
   * is not done): left-over bytes mean the server sent more than one response, so the caller must
   * not reuse the connection. Throws {@link HttpParseError} on a malformed response.
   */
  push(chunk: Buffer): number {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.#state) {
        case 'length': {
          const take = Math.min(this.#remaining, chunk.length - pos);
          this.#body(chunk, pos, pos + take);
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.#remaining, chunk.length - pos);
          this.#body(chunk, pos, pos + take);
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'chunk-end';
          break;
        }
        case 'close':
          this.#body(chunk, pos, chunk.length);
          pos = chunk.length;
          break;
        case 'done':
          return chunk.length - pos;
        default: {
          const next = this.#line(chunk, pos);
          if (next === -1) return 0;
          pos = next;
        }
      }
    }
    return 0;
  }

  /** The server closed the connection: completes a close-delimited body, throws otherwise. */
  eof(): void {
    if (this.#state === 'close') this.#finish();
    if (this.done) return;
    if (this.#state === 'status' && this.#partial === '' && this.#budget === MAX_HEAD_BYTES) {
      throw new HttpParseError('The server closed the connection without a response');
    }
    throw new HttpParseError(
      this.headDone ? 'the connection closed before the body was complete' : 'The connection closed in the middle of the response headers',
    );
  }

  /** Reads one line (LF or CRLF ended) from `pos`; returns the position after it, or -1 if incomplete. */
  #line(chunk: Buffer, pos: number): number {
    const newline = chunk.indexOf(10, pos);
    const end = newline === -1 ? chunk.length : newline;
    const size = end - pos + (newline === -1 ? 0 : 1);
    this.#budget -= size;
    if (this.#budget < 0) {
      throw new HttpParseError(
        this.#state === 'trailers'
          ? `The response trailers exceed ${MAX_HEAD_BYTES} bytes`
          : this.#state === 'chunk-size' || this.#state === 'chunk-end'
            ? 'A chunk size line of the response is too long'
            : `The response headers exceed ${MAX_HEAD_BYTES} bytes`,
      );
    }
    const text = chunk.toString('latin1', pos, end);
    if (newline === -1) {
      this.#partial += text;
      return -1;
    }
    let line = this.#partial === '' ? text : this.#partial + text;
    this.#partial = '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.#onLine(line);
    return newline + 1;
  }

  #onLine(line: string): void {
    switch (this.#state) {
      case 'status':
        return this.#statusLine(line);
      case 'headers':
        return line === '' ? this.#endOfHead() : this.#header(line);
      case 'chunk-size': {
        const match = CHUNK_SIZE.exec(line);
        if (match === null) throw new HttpParseError(`Invalid chunk size line ${quote(line)} in the response`);
        this.#remaining = Number.parseInt(match[1] as string, 16);
        this.#budget = MAX_HEAD_BYTES;
        if (this.#remaining === 0) this.#state = 'trailers';
        else this.#state = 'chunk-data';
        return;
      }
      case 'chunk-end':
        if (line !== '') throw new HttpParseError('Missing CRLF after a chunk of the response body');
        this.#state = 'chunk-size';
        this.#budget = MAX_HEAD_BYTES;
        return;
      case 'trailers':
        if (line === '') return this.#finish();
        if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpParseError('Obsolete line folding in the response trailers');
        if (line.indexOf(':') < 1) throw new HttpParseError(`Invalid trailer line ${quote(line)} in the response`);
        return;
      default:
        throw new HttpParseError(`Internal parser state ${this.#state}`);
    }
  }

  #statusLine(line: string): void {
    const match = STATUS_LINE.exec(line);
    if (match === null || hasControl(match[3] ?? '')) {
      throw new HttpParseError(
        line.startsWith('HTTP/') && !line.startsWith('HTTP/1.')
          ? `Unsupported HTTP version in the status line ${quote(line)}`
          : `Invalid status line ${quote(line)}`,
      );
    }
    this.#version = Number(match[1]);
    this.status = Number(match[2]);
    if (this.status < 100) throw new HttpParseError(`Invalid status code ${this.status}`);
    this.#state = 'headers';
  }

  #header(line: string): void {
    if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpParseError('Obsolete line folding in the response headers');
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpParseError(`Invalid header line ${quote(line)} in the response`);
    const raw = line.slice(colon + 1);
    if (hasControl(raw)) throw new HttpParseError(`Invalid character in the response header ${name}`);
    const value = raw.replace(OWS, '');
    // Only three headers matter to framing and reuse; compare by length first, it is the hot path.
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      for (const token of value.toLowerCase().split(',')) {
        const option = token.trim();
        if (option === 'close') this.#close = true;
        else if (option === 'keep-alive') this.#keepAlive = true;
      }
    } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
      for (const item of value.split(',')) {
        const text = item.trim();
        if (!/^[0-9]{1,15}$/.test(text)) throw new HttpParseError(`Invalid Content-Length ${quote(value)} in the response`);
        const length = Number(text);
        if (this.#length !== undefined && this.#length !== length) throw new HttpParseError('Conflicting Content-Length headers in the response');
        this.#length = length;
      }
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      // Only the last coding decides: chunked ends the body, anything else runs to the close.
      const codings = value.toLowerCase().split(',');
      this.#codings = true;
      this.#chunked = codings[codings.length - 1]?.trim() === 'chunked';
    }
  }

  #endOfHead(): void {
    const status = this.status;
    if (status < 200) {
      if (status === 101) throw new HttpParseError('Unexpected 101 Switching Protocols: the probe did not ask to upgrade');
      this.#reset(); // an interim response: the final one follows on the same connection
      return;
    }
    this.headDone = true;
    this.reusable = this.#version === 1 ? !this.#close : this.#keepAlive && !this.#close;
    this.#budget = MAX_HEAD_BYTES;
    if (this.noBody || status === 204 || status === 304) return this.#finish();
    if (this.#codings) {
      // With both headers the length cannot be trusted for the next response (RFC 9112 6.3).
      if (this.#length !== undefined) this.reusable = false;
      this.#state = this.#chunked ? 'chunk-size' : 'close';
    } else if (this.#length !== undefined) {
      this.#remaining = this.#length;
      this.#state = 'length';
      if (this.#length === 0) this.#finish();
    } else {
      this.#state = 'close';
    }
    if (this.#state === 'close') this.reusable = false;
  }

  #reset(): void {
    this.status = 0;
    this.#state = 'status';
    this.#budget = MAX_HEAD_BYTES;
    this.#length = undefined;
    this.#chunked = false;
    this.#codings = false;
    this.#close = false;
    this.#keepAlive = false;
  }

  #body(chunk: Buffer, start: number, end: number): void {
    if (end === start) return;
    this.bodyBytes += end - start;
    if (this.#keptBytes < this.keep) {
      const stop = Math.min(end, start + this.keep - this.#keptBytes);
      this.kept.push(chunk.subarray(start, stop));
      this.#keptBytes += stop - start;
    }
  }

  #finish(): void {
    this.#state = 'done';
    this.done = true;
  }
}
