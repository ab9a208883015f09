/**
 * `http` probe. Plain `http:` URLs go through the lean keep-alive client of http-lite.ts: measured at
 * 200 checks/s against one local server (bench/probes.ts), `node:http` with keep-alive spent most of
 * a check's CPU in its own request and response streams. `https:` (and any request the lean client
 * cannot write as it is) keeps `node:http`/`node:https`, with a keep-alive agent per incarnation:
 * - sockets are reused from one check to the next of the same incarnation;
 * - an idle socket is closed after {@link IDLE_SOCKET_MS}, below Node's 5 s server keep-alive, so we
 *   rarely reuse a socket the server is closing (and a reset on a reused socket is retried once);
 * - the agent and all its sockets are destroyed the moment the incarnation's signal aborts.
 * Both paths give the same results: `{ ok, message, data: { status } }` judged by {@link judge}.
 */
import * as http from 'node:http';
import type * as https from 'node:https';
import type { ProbeResult } from '../api/types.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import type { Ending } from '../util/ending.js';
import { whenAborted } from './check-end.js';
import { describeNetworkError } from './errno.js';
import { BODY_LIMIT, IDLE_SOCKET_MS, liteRequest, prepareRequest, type LiteOutcome, type LiteRequest } from './http-lite.js';

export { BODY_LIMIT, IDLE_SOCKET_MS };

type HttpProbe = Extract<ResolvedProbe, { readonly type: 'http' }>;

const HEADERS = { 'user-agent': 'procvisor-probe', accept: '*/*' } as const;

interface Target {
  readonly secure: boolean;
  readonly options: http.RequestOptions;
  /** The request for http-lite; absent for `https:` and requests it cannot write. */
  readonly lite: LiteRequest | undefined;
}

const targets = new WeakMap<HttpProbe, Target | Error>();
const agents = { http: new WeakMap<AbortSignal, http.Agent>(), https: new WeakMap<AbortSignal, http.Agent>() };
let httpsModule: Promise<typeof https> | undefined;

/** Parses the probe's URL once per resolved probe. */
function targetOf(probe: HttpProbe): Target | Error {
  let target = targets.get(probe);
  if (target === undefined) {
    try {
      const url = new URL(probe.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Unsupported protocol ${url.protocol}`);
      const lite = prepareRequest(url, probe.method, HEADERS);
      target = {
        secure: url.protocol === 'https:',
        lite: lite instanceof Error ? undefined : lite,
        options: {
          hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port === '' ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: probe.method,
          headers: HEADERS,
          ...(url.username === '' ? {} : { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }),
        },
      };
    } catch (error) {
      target = error instanceof Error ? error : new Error(String(error));
    }
    targets.set(probe, target);
  }
  return target;
}

function makeAgent(owner: AbortSignal, pool: WeakMap<AbortSignal, http.Agent>, Agent: typeof http.Agent): http.Agent {
  const agent = new Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, maxFreeSockets: 4 });
  pool.set(owner, agent);
  whenAborted(owner, () => agent.destroy());
  return agent;
}

/** The keep-alive agent of one incarnation, destroyed with all its sockets when `owner` aborts. */
function httpAgent(owner: AbortSignal): http.Agent {
  return agents.http.get(owner) ?? makeAgent(owner, agents.http, http.Agent);
}

async function httpsAgent(owner: AbortSignal): Promise<{ agent: http.Agent; mod: typeof https }> {
  const mod = await (httpsModule ??= import('node:https'));
  return { agent: agents.https.get(owner) ?? makeAgent(owner, agents.https, mod.Agent), mod };
}

function judge(probe: HttpProbe, status: number, body: string): ProbeResult {
  const [min, max] = probe.status;
  const data = { status };
  if (status < min || status > max) {
    return { ok: false, message: `HTTP ${status}, expected ${min === max ? min : `${min}-${max}`}`, data };
  }
  if (probe.body !== undefined) {
    // `search` ignores `lastIndex` and the `g` flag, so a global RegExp gives the same answer every time.
    const matched = typeof probe.body === 'string' ? body.includes(probe.body) : body.search(probe.body) !== -1;
    if (!matched) return { ok: false, message: `HTTP ${status}, but the body did not match ${String(probe.body)}`, data };
  }
  return { ok: true, message: `HTTP ${status}`, data };
}

/** The result of a lean exchange: judged like node:http's, failures with the status when known. */
function judgeLite(probe: HttpProbe, outcome: LiteOutcome): ProbeResult {
  if (outcome.ok) return judge(probe, outcome.status, outcome.body);
  return outcome.status === undefined
    ? { ok: false, message: outcome.message }
    : { ok: false, message: outcome.message, data: { status: outcome.status } };
}

function exchange(
  probe: HttpProbe,
  target: Target,
  agent: http.Agent,
  mod: typeof http | typeof https,
  end: Ending,
  retried: boolean,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    // No `signal` option on the request: an aborted signal would destroy the request and its pooled
    // socket even after a successful exchange. The check's end cuts it, only while pending.
    const req = mod.request({ ...target.options, agent });
    let done = false;
    const finish = (result: ProbeResult | 'retry'): void => {
      if (done) return;
      done = true;
      if (result === 'retry') resolve(exchange(probe, target, agent, mod, end, true));
      else resolve(result);
    };
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close an idle keep-alive socket just as we reuse it: retry once on a fresh one.
      if (!retried && req.reusedSocket && error.code === 'ECONNRESET') finish('retry');
      else finish({ ok: false, message: describeNetworkError(error) });
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const keepBody = probe.body !== undefined;
      let body = '';
      let bytes = 0;
      if (keepBody) res.setEncoding('utf8');
      res.on('data', (chunk: string | Buffer) => {
        bytes += chunk.length;
        if (keepBody && body.length < BODY_LIMIT) body += String(chunk);
        if (bytes > BODY_LIMIT) {
          res.destroy();
          finish(judge(probe, status, body.slice(0, BODY_LIMIT)));
        }
      });
      res.on('end', () => finish(judge(probe, status, body)));
      res.on('error', (error) => finish({ ok: false, message: `The response broke off: ${error.message}`, data: { status } }));
    });
    end.on(() => {
      if (done) return;
      req.destroy();
      finish({ ok: false, message: 'aborted' });
    });
    req.end();
  });
}

/**
 * One HTTP request; passes when the status is inside `probe.status` and, if set, the body (its first
 * {@link BODY_LIMIT} bytes) contains the string or matches the RegExp. The response must end within
 * the check's timeout. `end` ends this check; `owner` (the incarnation's signal) owns the agent.
 * Result data: `{ status }`.
 */
export function checkHttp(probe: HttpProbe, end: Ending, owner: AbortSignal): Promise<ProbeResult> {
  const target = targetOf(probe);
  if (target instanceof Error) return Promise.resolve({ ok: false, message: `Bad probe URL ${probe.url}: ${target.message}` });
  if (end.ended || owner.aborted) return Promise.resolve({ ok: false, message: 'aborted' });
  if (target.lite !== undefined) {
    return liteRequest(target.lite, owner, end, probe.body !== undefined).then((outcome) => judgeLite(probe, outcome));
  }
  if (!target.secure) return exchange(probe, target, httpAgent(owner), http, end, false);
  return httpsAgent(owner).then(({ agent, mod }) =>
    end.ended || owner.aborted ? { ok: false, message: 'aborted' } : exchange(probe, target, agent, mod, end, false),
  );
}
