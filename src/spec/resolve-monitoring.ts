/**
 * Resolvers for what watches a running process: probes, heartbeat, resource limits and file
 * watching. Each takes the user's value (known to be defined) and returns a fresh resolved one.
 */
import { DEFAULTS } from '../api/defaults.js';
import type { ProbeContext, ProbeResult } from '../api/types.js';
import type { ResolvedHeartbeat, ResolvedLimits, ResolvedProbe, ResolvedProbeTiming, ResolvedSampling, ResolvedWatch } from './resolved.js';
import * as v from './validate.js';
import type { Subject } from './validate.js';

/**
 * Probe field defaults that `DEFAULTS` does not carry yet. Kubernetes counts 200–399 as an HTTP
 * pass; probes talk to the local host unless told otherwise.
 */
const PROBE_FIELDS = Object.freeze({
  httpMethod: 'GET',
  httpStatus: Object.freeze([200, 399]) as readonly [number, number],
  tcpHost: '127.0.0.1',
  logStream: 'both' as const,
});

const TIMING_KEYS = ['initialDelay', 'interval', 'timeout', 'successThreshold', 'failureThreshold'] as const;
const PROBE_TYPES = ['http', 'tcp', 'log', 'exec', 'ipc', 'custom'] as const;
const LIVENESS_TYPES = PROBE_TYPES.filter((t) => t !== 'log');
/** The option each probe type cannot do without, favoured when a key is misspelt. */
const PROBE_REQUIRED: Readonly<Record<(typeof PROBE_TYPES)[number], readonly string[]>> = {
  http: ['url'],
  tcp: ['port'],
  log: ['pattern'],
  exec: ['command'],
  ipc: [],
  custom: ['check'],
};
const PROBE_KEYS: Readonly<Record<(typeof PROBE_TYPES)[number], readonly string[]>> = {
  http: ['type', 'url', 'method', 'status', 'body', ...TIMING_KEYS],
  tcp: ['type', 'port', 'host', ...TIMING_KEYS],
  log: ['type', 'pattern', 'stream', ...TIMING_KEYS],
  exec: ['type', 'command', 'args', ...TIMING_KEYS],
  ipc: ['type', ...TIMING_KEYS],
  custom: ['type', 'check', ...TIMING_KEYS],
};

/** Whether a probe decides readiness (checked until it passes once) or liveness (checked for ever). */
export type ProbeRole = 'readiness' | 'liveness';

function resolveTiming(s: Subject, path: string, raw: Readonly<Record<string, unknown>>, role: ProbeRole): ResolvedProbeTiming {
  const at = (key: string): string => v.join(path, key);
  const d = DEFAULTS.probe;
  return {
    initialDelay: raw.initialDelay === undefined ? d.initialDelay : v.duration(s, at('initialDelay'), raw.initialDelay, { timer: true }),
    interval:
      raw.interval === undefined
        ? role === 'readiness'
          ? d.readinessInterval
          : d.interval
        : v.duration(s, at('interval'), raw.interval, { positive: true, timer: true }),
    timeout: raw.timeout === undefined ? d.timeout : v.duration(s, at('timeout'), raw.timeout, { positive: true, timer: true }),
    successThreshold: raw.successThreshold === undefined ? d.successThreshold : v.integer(s, at('successThreshold'), raw.successThreshold, 1),
    failureThreshold: raw.failureThreshold === undefined ? d.failureThreshold : v.integer(s, at('failureThreshold'), raw.failureThreshold, 1),
  };
}

function resolveStatus(s: Subject, path: string, value: unknown): readonly [number, number] {
  if (typeof value === 'number') {
    const code = v.integer(s, path, value, 100, 599);
    return [code, code];
  }
  const range = v.array(s, path, value);
  if (range.length !== 2) throw v.invalid(s, path, value, 'a status code or a `[min, max]` pair');
  const min = v.integer(s, v.index(path, 0), range[0], 100, 599);
  const max = v.integer(s, v.index(path, 1), range[1], min, 599);
  return [min, max];
}

function resolveUrl(s: Subject, path: string, value: unknown): string {
  const text = v.string(s, path, value);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw v.invalid(s, path, value, 'an http:// or https:// URL');
  }
  return text;
}

/**
 * Pieces of regular-expression syntax that program output practically never contains: an escape
 * class (`\d`, `\w`, `\s`, `\b` and their negations) that no word character follows (`\d+`,
 * `\s*`, `\b` at the end, but not the `\data` of a Windows path), `.*` / `.+`, and a leading `^`
 * before a word (`^ready`: an anchor; a line starting with `^` and two letters is no program's
 * output, while `^C` is a terminal's echo and stays text). A string holding one was meant as a
 * RegExp; as a string it would match only those exact characters, and the start would wait for
 * its timeout. Other syntax (`$`, `.`, `[...]`) is left alone: `ready.`, `[ok]` or `5$` are
 * plausible text.
 */
const REGEXP_SYNTAX = /\\[dwsbDWSB](?!\w)|\.[*+]|^\^\w{2}/;

/** A string pattern is a plain substring; a RegExp is copied without `g`/`y` so `test()` is stateless. */
function resolvePattern(s: Subject, path: string, value: unknown): RegExp {
  const pattern = v.stringOrRegExp(s, path, value);
  if (typeof pattern === 'string' && REGEXP_SYNTAX.test(pattern)) {
    throw v.invalid(
      s,
      path,
      value,
      'a RegExp when it is written like one',
      `a string matches literally, so this one would match only the exact characters \`${pattern}\`: pass a RegExp (\`/${pattern.replace(/\//g, '\\/')}/\`) instead`,
    );
  }
  if (typeof pattern === 'string') return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

/** Resolves one probe. `log` probes watch startup output, so they are readiness-only. */
export function resolveProbe(s: Subject, path: string, value: unknown, role: ProbeRole): ResolvedProbe {
  const at = (key: string): string => v.join(path, key);
  const raw = v.object(s, path, value, 'a probe object (`{ type: ... }`)');
  const type =
    role === 'liveness'
      ? v.oneOf(s, at('type'), raw.type, LIVENESS_TYPES, raw.type === 'log' ? 'a `log` probe can only be a readiness probe' : undefined)
      : v.oneOf(s, at('type'), raw.type, PROBE_TYPES);
  v.knownKeys(s, path, raw, PROBE_KEYS[type], PROBE_REQUIRED[type]);
  const timing = resolveTiming(s, path, raw, role);
  switch (type) {
    case 'http':
      return {
        ...timing,
        type,
        url: resolveUrl(s, at('url'), raw.url),
        method: raw.method === undefined ? PROBE_FIELDS.httpMethod : v.string(s, at('method'), raw.method).toUpperCase(),
        status: raw.status === undefined ? PROBE_FIELDS.httpStatus : resolveStatus(s, at('status'), raw.status),
        body: raw.body === undefined ? undefined : v.stringOrRegExp(s, at('body'), raw.body),
      };
    case 'tcp':
      return {
        ...timing,
        type,
        port: v.integer(s, at('port'), raw.port, 1, 65_535),
        host: raw.host === undefined ? PROBE_FIELDS.tcpHost : v.string(s, at('host'), raw.host),
      };
    case 'log':
      return {
        ...timing,
        type,
        pattern: resolvePattern(s, at('pattern'), raw.pattern),
        stream: raw.stream === undefined ? PROBE_FIELDS.logStream : v.oneOf(s, at('stream'), raw.stream, ['stdout', 'stderr', 'both']),
      };
    case 'exec':
      return {
        ...timing,
        type,
        command: v.string(s, at('command'), raw.command),
        args: raw.args === undefined ? [] : v.stringArray(s, at('args'), raw.args),
      };
    case 'ipc':
      return { ...timing, type };
    case 'custom':
      return { ...timing, type, check: v.func<(ctx: ProbeContext) => Promise<boolean | ProbeResult>>(s, at('check'), raw.check) };
  }
}

/** Resolves `{ timeout, detector, threshold }`. */
export function resolveHeartbeat(s: Subject, path: string, value: unknown): ResolvedHeartbeat {
  const raw = v.options(s, path, value, ['timeout', 'detector', 'threshold'], undefined, ['timeout']);
  const at = (key: string): string => v.join(path, key);
  return {
    timeout: v.duration(s, at('timeout'), raw.timeout, { positive: true, timer: true }),
    detector: raw.detector === undefined ? DEFAULTS.heartbeat.detector : v.oneOf(s, at('detector'), raw.detector, ['timeout', 'phi']),
    threshold: raw.threshold === undefined ? DEFAULTS.heartbeat.threshold : v.number(s, at('threshold'), raw.threshold, { above: 0 }),
  };
}

/**
 * Resolves resource limits against the sampling that will feed them: a `for` duration must be at
 * least one sampling interval, or the breach could never be seen to hold that long.
 */
export function resolveLimits(s: Subject, path: string, value: unknown, sampling: ResolvedSampling | false): ResolvedLimits {
  const at = (key: string): string => v.join(path, key);
  const raw = v.options(s, path, value, ['memory', 'cpu', 'for', 'action', 'scope', 'warning']);
  if (sampling === false) {
    throw v.invalid(s, path, value, 'absent while resource sampling is off', 'enable `sampling` in the manager options or in this spec');
  }
  const memory = raw.memory === undefined ? undefined : v.size(s, at('memory'), raw.memory);
  const cpu = raw.cpu === undefined ? undefined : v.number(s, at('cpu'), raw.cpu, { above: 0 });
  const warnRaw = raw.warning === undefined ? {} : v.options(s, at('warning'), raw.warning, ['memory', 'cpu']);
  const warnAt = (key: string): string => v.join(at('warning'), key);
  const warnMemory = warnRaw.memory === undefined ? undefined : v.size(s, warnAt('memory'), warnRaw.memory);
  if (warnMemory !== undefined && memory !== undefined && warnMemory >= memory) {
    throw v.invalid(s, warnAt('memory'), warnRaw.memory, `a size below \`${at('memory')}\` (${memory} bytes)`);
  }
  const warnCpu = warnRaw.cpu === undefined ? undefined : v.number(s, warnAt('cpu'), warnRaw.cpu, { above: 0 });
  if (warnCpu !== undefined && cpu !== undefined && warnCpu >= cpu) {
    throw v.invalid(s, warnAt('cpu'), warnRaw.cpu, `a number below \`${at('cpu')}\` (${cpu})`);
  }
  if (memory === undefined && cpu === undefined && warnMemory === undefined && warnCpu === undefined) {
    throw v.invalid(s, path, value, 'an object setting `memory`, `cpu` or `warning`');
  }
  // Exactly one of the two is set: a duration holds for that long, a count for that many samples.
  let forMs: number | undefined;
  let forSamples: number | undefined;
  if (raw.for === undefined) {
    forSamples = DEFAULTS.limits.samples;
  } else if (v.isPlainObject(raw.for)) {
    const samples = v.options(s, at('for'), raw.for, ['samples']);
    forSamples = v.integer(s, v.join(at('for'), 'samples'), samples.samples, 1);
  } else {
    forMs = v.duration(s, at('for'), raw.for, { atLeast: { ms: sampling.interval, what: 'the sampling interval' } });
  }
  return {
    memory,
    cpu,
    forMs,
    forSamples,
    action: raw.action === undefined ? DEFAULTS.limits.action : v.oneOf(s, at('action'), raw.action, ['restart', 'stop', 'warn']),
    scope: raw.scope === undefined ? DEFAULTS.limits.scope : v.oneOf(s, at('scope'), raw.scope, ['tree', 'process']),
    warning: { memory: warnMemory, cpu: warnCpu },
  };
}

function stringOrRegExpList(s: Subject, path: string, value: unknown): (string | RegExp)[] {
  if (!Array.isArray(value)) return [v.stringOrRegExp(s, path, value)];
  return value.map((item, i) => v.stringOrRegExp(s, v.index(path, i), item));
}

/** Resolves `'path'`, `['a', 'b']` or `{ paths, ignore, debounce }`. */
export function resolveWatch(s: Subject, path: string, value: unknown): ResolvedWatch {
  const paths = (p: string, x: unknown): string[] => {
    if (typeof x === 'string' && x !== '') return [x];
    if (!Array.isArray(x) || x.length === 0) throw v.invalid(s, p, x, 'a path or a non-empty array of paths');
    return x.map((item, i) => v.string(s, v.index(p, i), item));
  };
  if (typeof value === 'string' || Array.isArray(value)) {
    return { paths: paths(path, value), ignore: [], debounce: DEFAULTS.watch.debounce, action: 'restart' };
  }
  const raw = v.options(s, path, value, ['paths', 'ignore', 'debounce', 'action'], 'a path, an array of paths or `{ paths, ignore?, debounce?, action? }`');
  return {
    paths: paths(v.join(path, 'paths'), raw.paths),
    ignore: raw.ignore === undefined ? [] : stringOrRegExpList(s, v.join(path, 'ignore'), raw.ignore),
    debounce: raw.debounce === undefined ? DEFAULTS.watch.debounce : v.duration(s, v.join(path, 'debounce'), raw.debounce, { timer: true }),
    action: raw.action === undefined ? 'restart' : v.oneOf(s, v.join(path, 'action'), raw.action, ['restart', 'reload']),
  };
}
