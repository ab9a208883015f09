import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Ending } from '../../src/util/ending.js';
import { BODY_LIMIT, liteRequest, prepareRequest, type LiteOutcome } from '../../src/health/http-lite.js';
import { MAX_HEAD_BYTES, ResponseParser } from '../../src/health/http-lite-parser.js';
import { checkOnce } from '../../src/health/probes.js';
import type { ResolvedProbe, ResolvedProbeTiming } from '../../src/spec/resolved.js';
import type { Clock, ProbeResult } from '../../src/api/types.js';
import { FakeClock } from '../clock.js';
import { until } from '../helpers.js';
import { startFixture, type FixtureProcess } from './fixture-process.js';

const timing: ResolvedProbeTiming = { initialDelay: 0, interval: 100, timeout: 5000, successThreshold: 1, failureThreshold: 3 };
type HttpProbe = Extract<ResolvedProbe, { type: 'http' }>;

function http(url: string, extra: Partial<HttpProbe> = {}): ResolvedProbe {
  return { ...timing, type: 'http', url, method: 'GET', status: [200, 399], body: undefined, ...extra };
}
function check(probe: ResolvedProbe, owner: AbortSignal, clock?: Clock): ReturnType<typeof checkOnce> {
  return checkOnce(probe, { name: 'probed', pid: undefined, signal: owner, ...(clock ? { clock } : {}) });
}
/** One request through http-lite itself, body kept, bounded by `timeout`. */
async function fetchLite(url: string, owner: AbortSignal, method = 'GET', timeout = 5000): Promise<LiteOutcome> {
  const request = prepareRequest(new URL(url), method, {});
  if (request instanceof Error) throw request;
  const end = new Ending();
  const timer = setTimeout(() => end.fire(), timeout);
  try {
    return await liteRequest(request, owner, end, true);
  } finally {
    clearTimeout(timer);
    end.fire();
  }
}
/** Ref'd client sockets of this process: busy probe sockets (idle pooled ones are unref'd). */
function sockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
}

const started: FixtureProcess[] = [];
async function start(name: string, args: string[] = []): Promise<{ proc: FixtureProcess; base: string }> {
  const proc = startFixture(name, args);
  started.push(proc);
  return { proc, base: `http://127.0.0.1:${await proc.line()}` };
}
afterAll(async () => {
  await Promise.all(started.map((proc) => proc.stop()));
});
/** One hl-raw.mjs server for the whole file: its answers depend on the request only. */
let raw: Promise<string> | undefined;
const rawServer = (): Promise<string> => (raw ??= start('hl-raw.mjs').then(({ base }) => base));

/** Connections the hl-http fixture saw opened and not yet closed. */
function openConnections(proc: FixtureProcess): Set<string> {
  const open = new Set<string>();
  for (const line of proc.lines) {
    const [what, id = ''] = line.split(' ');
    if (what === 'open') open.add(id);
    if (what === 'closed') open.delete(id);
  }
  return open;
}
const opened = (proc: FixtureProcess): number => proc.lines.filter((line) => line.startsWith('open ')).length;

/** Path asking hl-raw.mjs to write `parts` one write each, `gap` ms apart, and maybe close. */
function script(parts: (string | Buffer)[], options: { close?: boolean; gap?: number } = {}): string {
  const encoded = parts.map((part) => Buffer.from(part).toString('base64'));
  return `/${Buffer.from(JSON.stringify({ parts: encoded, ...options })).toString('base64url')}`;
}

describe('prepareRequest', () => {
  it('writes the request line, Host, the given headers and keep-alive, with no body', () => {
    const request = prepareRequest(new URL('http://127.0.0.1:8080/health?deep=1'), 'GET', { accept: '*/*' });
    if (request instanceof Error) throw request;
    expect(request).toMatchObject({ host: '127.0.0.1', port: 8080, head: false });
    expect(request.bytes.toString()).toBe(
      'GET /health?deep=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\naccept: */*\r\nConnection: keep-alive\r\n\r\n',
    );
  });

  it('adds credentials, Content-Length: 0 where a body is expected, and knows HEAD', () => {
    const post = prepareRequest(new URL('http://us%20er:p%40ss@[::1]/'), 'POST', {});
    if (post instanceof Error) throw post;
    expect(post).toMatchObject({ host: '::1', port: 80, head: false });
    const auth = Buffer.from('us er:p@ss').toString('base64');
    expect(post.bytes.toString()).toBe(`POST / HTTP/1.1\r\nHost: [::1]\r\nAuthorization: Basic ${auth}\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n`);
    const head = prepareRequest(new URL('http://localhost/'), 'HEAD', {});
    expect(head instanceof Error ? head : head.head).toBe(true);
  });

  it('refuses what it cannot write as it is', () => {
    expect(prepareRequest(new URL('https://127.0.0.1/'), 'GET', {})).toBeInstanceOf(Error);
    expect(prepareRequest(new URL('http://127.0.0.1/'), 'GE T', {})).toBeInstanceOf(Error);
    expect(prepareRequest(new URL('http://127.0.0.1/'), 'GET\r\nX: y', {})).toBeInstanceOf(Error);
  });
});

// Each test has its own server (connection ids count from 1) and looks at it alone: they may overlap.
describe.concurrent('http-lite against node:http', () => {
  it('reads Content-Length, chunked and close-delimited bodies', async () => {
    const { proc, base } = await start('hl-http.mjs');
    const owner = new AbortController();
    try {
      expect(await fetchLite(`${base}/id`, owner.signal)).toEqual({ ok: true, status: 200, body: 'conn=1' });
      expect(await fetchLite(`${base}/chunked`, owner.signal)).toEqual({ ok: true, status: 200, body: 'conn=1' });
      expect(await fetchLite(`${base}/close`, owner.signal)).toEqual({ ok: true, status: 200, body: 'conn=1' });
      // The close-delimited body ended the connection: the next request opens another.
      expect(await fetchLite(`${base}/id`, owner.signal)).toEqual({ ok: true, status: 200, body: 'conn=2' });
      expect(proc.lines).toContain('closed 1');
    } finally {
      owner.abort();
    }
  });

  it('keeps one socket across many checks and closes it when the owner aborts', async () => {
    const { proc, base } = await start('hl-http.mjs');
    const owner = new AbortController();
    for (let i = 0; i < 50; i++) {
      expect(await check(http(`${base}/id`, { body: 'conn=1' }), owner.signal)).toEqual({ ok: true, message: 'HTTP 200', data: { status: 200 } });
    }
    expect(opened(proc)).toBe(1);
    owner.abort();
    await until(() => openConnections(proc).size === 0, 3000, 'the server to see the socket closed');
  });

  it('opens a new socket when the server closed the idle one, without a failed check', async () => {
    const { proc, base } = await start('hl-http.mjs', ['50']);
    const owner = new AbortController();
    try {
      expect(await fetchLite(`${base}/id`, owner.signal)).toMatchObject({ ok: true, body: 'conn=1' });
      await until(() => proc.lines.includes('closed 1'), 3000, 'the server to close the idle socket');
      expect(await fetchLite(`${base}/id`, owner.signal)).toMatchObject({ ok: true, body: 'conn=2' });
    } finally {
      owner.abort();
    }
  });

  it('reads no body after HEAD, 204 and 304, and reuses the socket after each', async () => {
    const { proc, base } = await start('hl-http.mjs');
    const owner = new AbortController();
    try {
      // node:http answers HEAD with neither a length nor chunks: waiting for a body would hang.
      expect(await check(http(`${base}/id`, { method: 'HEAD', timeout: 2000 }), owner.signal)).toMatchObject({ ok: true, data: { status: 200 } });
      expect(await check(http(`${base}/status/204`), owner.signal)).toMatchObject({ ok: true, data: { status: 204 } });
      expect(await check(http(`${base}/status/304`), owner.signal)).toMatchObject({ ok: true, data: { status: 304 } });
      expect(await fetchLite(`${base}/id`, owner.signal)).toMatchObject({ ok: true, body: 'conn=1' });
      expect(opened(proc)).toBe(1);
    } finally {
      owner.abort();
    }
  });

  it('skips 100 Continue, 102 and 103 interim responses', async () => {
    const { base } = await start('hl-http.mjs');
    const owner = new AbortController();
    try {
      expect(await fetchLite(`${base}/interim`, owner.signal)).toEqual({ ok: true, status: 200, body: 'conn=1' });
      expect(await fetchLite(`${base}/id`, owner.signal)).toEqual({ ok: true, status: 200, body: 'conn=1' });
    } finally {
      owner.abort();
    }
  });

  it('fails a check on headers over 16 KiB, and accepts large ones below', async () => {
    const { base } = await start('hl-http.mjs');
    const owner = new AbortController();
    try {
      expect((await check(http(`${base}/huge/8000`), owner.signal)).ok).toBe(true);
      const huge = await check(http(`${base}/huge/${MAX_HEAD_BYTES + 100}`), owner.signal);
      expect(huge).toEqual({ ok: false, message: `The response headers exceed ${MAX_HEAD_BYTES} bytes` });
    } finally {
      owner.abort();
    }
  });

  it.each(['length', 'chunked'])('matches only the first 64 KiB of a %s body, then drains it to reuse the socket', async (framing) => {
    const { proc, base } = await start('hl-http.mjs');
    const owner = new AbortController();
    const url = `${base}/big/${BODY_LIMIT + 400_000}${framing === 'chunked' ? '/chunked' : ''}`;
    try {
      const tail = await check(http(url, { body: 'TAIL' }), owner.signal);
      expect(tail).toMatchObject({ ok: false, data: { status: 200 } });
      expect(tail.message).toMatch(/body did not match TAIL/);
      expect(await check(http(url, { body: /^A{60000}/ }), owner.signal)).toMatchObject({ ok: true });
      expect(await fetchLite(`${base}/id`, owner.signal)).toMatchObject({ ok: true, body: 'conn=1' });
      expect(opened(proc)).toBe(1);
    } finally {
      owner.abort();
    }
  });
});

describe('http-lite against a raw server', () => {
  it('reads a response written one byte per write', async () => {
    const base = await rawServer();
    const owner = new AbortController();
    const chunked =
      'HTTP/1.1 200 OK\r\ncOnTeNt-TyPe: text/plain\r\nTRANSFER-ENCODING: chunked\r\n\r\n' +
      '5;name="v"\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: yes\r\n\r\n';
    const length = 'HTTP/1.0 201 Created\nConnection: keep-alive\nContent-Length: 3\n\nabc';
    try {
      expect(await fetchLite(`${base}${script([...chunked])}`, owner.signal)).toEqual({ ok: true, status: 200, body: 'hello, world!!!' });
      expect(await fetchLite(`${base}${script([...length])}`, owner.signal)).toEqual({ ok: true, status: 201, body: 'abc' });
    } finally {
      owner.abort();
    }
  });

  it('judges the first 64 KiB of a body that runs until a close that never comes', async () => {
    const base = await rawServer();
    const owner = new AbortController();
    try {
      const endless = script(['HTTP/1.1 200 OK\r\n\r\n', 'A'.repeat(BODY_LIMIT), 'A'.repeat(10_000)]);
      expect(await check(http(`${base}${endless}`, { body: /^A+$/, timeout: 3000 }), owner.signal)).toEqual({
        ok: true,
        message: 'HTTP 200',
        data: { status: 200 },
      });
    } finally {
      owner.abort();
    }
  });

  it('never reuses a socket that carried more than the response', async () => {
    const base = await rawServer();
    const owner = new AbortController();
    const response = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    try {
      // The rest of the stray response comes after the next request would have been sent.
      const stray = script([`${response('a')}HTTP/1.1 200 OK\r\nContent-`, 'Length: 5\r\n\r\nstale'], { gap: 200 });
      expect(await fetchLite(`${base}${stray}`, owner.signal)).toMatchObject({ body: 'a' });
      expect(await fetchLite(`${base}${script([response('fresh')])}`, owner.signal)).toMatchObject({ body: 'fresh' });
    } finally {
      owner.abort();
    }
  });

  it('times out on headers that never end, and destroys the socket without the owner aborting', async () => {
    const base = await rawServer();
    const owner = new AbortController();
    const clock = new FakeClock();
    const before = sockets();
    let result: ProbeResult | undefined;
    void check(http(`${base}${script(['HTTP/1.1 200 OK\r\n', 'Content-'])}`, { timeout: 300 }), owner.signal, clock).then((r) => (result = r));
    await until(() => sockets() > before, 2000, 'the request socket');
    await clock.advance(299);
    expect(result).toBeUndefined();
    await clock.advance(1);
    await until(() => result !== undefined, 2000, 'the result');
    expect(result).toEqual({ ok: false, message: 'timed out after 300 ms' });
    await until(() => sockets() <= before, 2000, 'the probe socket to close');
    expect(owner.signal.aborted).toBe(false);
  });

  it('ends a pending request when its owner aborts, and opens nothing for an aborted owner or an ended check', async () => {
    const base = await rawServer();
    const request = prepareRequest(new URL(`${base}${script(['HTTP/1.1 200 OK\r\n'])}`), 'GET', {});
    if (request instanceof Error) throw request;
    const before = sockets();
    const owner = new AbortController();
    const pending = liteRequest(request, owner.signal, new Ending(), false);
    await until(() => sockets() > before, 2000, 'the request socket');
    owner.abort();
    expect(await pending).toEqual({ ok: false, message: 'aborted' });
    await until(() => sockets() <= before, 2000, 'the request socket to close');
    expect(await liteRequest(request, owner.signal, new Ending(), false)).toEqual({ ok: false, message: 'aborted' });
    const ended = new Ending();
    ended.fire();
    expect(await liteRequest(request, new AbortController().signal, ended, false)).toEqual({ ok: false, message: 'aborted' });
    expect(sockets()).toBeLessThanOrEqual(before);
  });

  it.each([
    ['HTTP/2 200\r\n\r\n', /^Unsupported HTTP version in the status line "HTTP\/2 200"$/],
    ['SSH-2.0-OpenSSH\r\n\r\n', /^Invalid status line "SSH-2.0-OpenSSH"$/],
    ['HTTP/1.1 099 Low\r\n\r\n', /^Invalid status code 99$/],
    ['HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\n\r\n', /^Obsolete line folding in the response headers$/],
    ['HTTP/1.1 200 OK\r\nBad Header: 1\r\n\r\n', /^Invalid header line "Bad Header: 1" in the response$/],
    ['HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n', /^Invalid character in the response header X-A$/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n', /^Invalid Content-Length "12x" in the response$/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab', /^Conflicting Content-Length headers/],
    ['HTTP/1.1 101 Switching Protocols\r\n\r\n', /^Unexpected 101 Switching Protocols/],
  ])('fails the check on a malformed head: %j', async (response, message) => {
    const base = await rawServer();
    const owner = new AbortController();
    try {
      const result = await check(http(`${base}${script([response])}`), owner.signal);
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(message);
      expect(result.data).toBeUndefined();
    } finally {
      owner.abort();
    }
  });

  it.each([
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /^The response broke off: Invalid chunk size line "zz"/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n', /^The response broke off: Missing CRLF after a chunk/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffff\r\n', /^The response broke off: Invalid chunk size line/],
    ['HTTP/1.1 503 Busy\r\nContent-Length: 10\r\n\r\nabc', /^The response broke off: the connection closed before the body was complete$/],
  ])('fails the check on a broken body, with its status: %j', async (response, message) => {
    const base = await rawServer();
    const owner = new AbortController();
    try {
      const result = await check(http(`${base}${script([response], { close: true })}`), owner.signal);
      expect(result).toMatchObject({ ok: false, data: { status: Number(response.slice(9, 12)) } });
      expect(result.message).toMatch(message);
    } finally {
      owner.abort();
    }
  });

  it.each(['', '/rst'])('retries once on a fresh socket when a reused one was closed%s', async (how) => {
    const base = await rawServer();
    const owner = new AbortController();
    try {
      for (let i = 0; i < 3; i++) {
        expect(await fetchLite(`${base}/drop-reused${how}`, owner.signal)).toEqual({ ok: true, status: 200, body: 'first' });
      }
    } finally {
      owner.abort();
    }
  });

  it('does not retry on a fresh socket', async () => {
    const base = await rawServer();
    const owner = new AbortController();
    try {
      expect(await check(http(`${base}/drop`), owner.signal)).toEqual({ ok: false, message: 'ECONNRESET: socket hang up' });
      const headless = await check(http(`${base}${script(['HTTP/1.1 200 OK\r\nContent-'], { close: true })}`), owner.signal);
      expect(headless).toEqual({ ok: false, message: 'The connection closed in the middle of the response headers' });
    } finally {
      owner.abort();
    }
  });
});

// ---- Property tests: generated responses, parsed whole and split anywhere --------------------------

interface Generated {
  readonly bytes: Buffer;
  readonly head: boolean;
  readonly status: number;
  readonly body: string;
  readonly reusable: boolean;
  readonly closeDelimited: boolean;
}

const FRAMING_NAMES = ['connection', 'content-length', 'transfer-encoding', 'keep-alive'];
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,11}$/).filter((name) => !FRAMING_NAMES.includes(name.toLowerCase()));
const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
const ows = fc.constantFrom('', ' ', '\t', ' \t ');
const casing = (name: string): fc.Arbitrary<string> => fc.constantFrom(name, name.toUpperCase(), name.toLowerCase());

const responses: fc.Arbitrary<Generated> = fc
  .record({
    head: fc.boolean(),
    version: fc.constantFrom('1.1', '1.1', '1.0'),
    status: fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constantFrom(204, 304)),
    reason: fc.constantFrom('', ' ', ' OK', ' Not Found', ' odd  reason '),
    interim: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 2 }),
    framing: fc.constantFrom('length', 'chunked', 'close'),
    body: fc.string({ unit: 'grapheme', maxLength: 80 }),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
    extension: fc.constantFrom('', ';a=1', ';name="quoted"', ' ;x'),
    hexUpper: fc.boolean(),
    zeroPad: fc.boolean(),
    trailers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 2 }),
    headers: fc.array(fc.tuple(headerName, ows, headerValue, ows), { maxLength: 4 }),
    connection: fc.constantFrom(undefined, 'close', 'keep-alive', 'Keep-Alive', 'upgrade, close'),
    names: fc.tuple(casing('Content-Length'), casing('Transfer-Encoding'), casing('Connection')),
    eol: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n'),
  })
  .map((r): Generated => {
    const { eol } = r;
    const [lengthName, teName, connectionName] = r.names;
    const framing = r.version === '1.0' && r.framing === 'chunked' ? 'length' : r.framing;
    const payload = Buffer.from(r.body);
    const noBody = r.head || r.status === 204 || r.status === 304;
    let text = '';
    for (const code of r.version === '1.1' ? r.interim : []) text += `HTTP/1.1 ${code} Interim${eol}${code === 103 ? `Link: </a>${eol}` : ''}${eol}`;
    text += `HTTP/${r.version} ${r.status}${r.reason}${eol}`;
    for (const [name, before, value, after] of r.headers) text += `${name}:${before}${value}${after}${eol}`;
    if (r.connection !== undefined) text += `${connectionName}: ${r.connection}${eol}`;
    if (framing === 'length') text += `${lengthName}: ${payload.length}${eol}`;
    if (framing === 'chunked') text += `${teName}: chunked${eol}`;
    text += eol;
    const parts = [Buffer.from(text, 'latin1')];
    if (!noBody && framing === 'chunked') {
      const hex = (n: number): string => `${r.zeroPad ? '00' : ''}${r.hexUpper ? n.toString(16).toUpperCase() : n.toString(16)}`;
      for (let at = 0, i = 0; at < payload.length; i++) {
        const size = Math.min(r.chunkSizes[i % r.chunkSizes.length] as number, payload.length - at);
        parts.push(Buffer.from(`${hex(size)}${r.extension}${eol}`), payload.subarray(at, at + size), Buffer.from(eol));
        at += size;
      }
      parts.push(Buffer.from(`${hex(0)}${r.extension}${eol}${r.trailers.map(([n, v]) => `${n}: ${v}${eol}`).join('')}${eol}`));
    } else if (!noBody) {
      parts.push(payload);
    }
    const keepAlive = r.connection?.includes('close') ? false : r.version === '1.1' || /keep-alive/i.test(r.connection ?? '');
    return {
      bytes: Buffer.concat(parts),
      head: r.head,
      status: r.status,
      body: noBody ? '' : r.body,
      reusable: keepAlive && (noBody || framing !== 'close'),
      closeDelimited: !noBody && framing === 'close',
    };
  });

/** `bytes` cut into pieces of the given sizes (cycled). */
function split(bytes: Buffer, sizes: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length] as number;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}
const pieceSizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });

describe('response parsing (property)', () => {
  it('parses any generated response the same, however its bytes are split', () => {
    fc.assert(
      fc.property(responses, pieceSizes, (response, sizes) => {
        const parser = new ResponseParser(response.head, BODY_LIMIT);
        let leftover = 0;
        for (const piece of split(response.bytes, sizes)) leftover += parser.push(piece);
        if (response.closeDelimited) {
          expect(parser.done).toBe(false);
          parser.eof();
        }
        expect(parser.done).toBe(true);
        expect(leftover).toBe(0);
        expect(parser.status).toBe(response.status);
        expect(Buffer.concat(parser.kept).toString()).toBe(response.body);
        expect(parser.reusable).toBe(response.reusable);
      }),
      { numRuns: 1000 },
    );
  });

  it('gets the same from a raw server writing the pieces separately, over kept-alive sockets', async () => {
    const base = await rawServer();
    const owner = new AbortController();
    try {
      await fc.assert(
        fc.asyncProperty(responses, pieceSizes, async (response, sizes) => {
          const path = script(split(response.bytes, sizes), { close: !response.reusable, gap: 0 });
          const outcome = await fetchLite(`${base}${path}`, owner.signal, response.head ? 'HEAD' : 'GET');
          expect(outcome).toEqual({ ok: true, status: response.status, body: response.body });
        }),
        { numRuns: 80 },
      );
    } finally {
      owner.abort();
    }
  });
});
