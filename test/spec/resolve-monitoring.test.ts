/**
 * Probes, heartbeat, limits and watch as resolved inside a process spec.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/api/defaults.js';
import { resolveChildSpec, resolveManagerOptions } from '../../src/spec/resolve.js';
import type { ResolvedProbe, ResolvedProcessSpec } from '../../src/spec/resolved.js';

const plain = resolveManagerOptions(undefined).defaults;
const sampled = resolveManagerOptions({ sampling: { interval: '1s' } }).defaults;

function proc(extra: Record<string, unknown>, d = plain): ResolvedProcessSpec {
  const r = resolveChildSpec({ name: 'api', command: 'node', ...extra }, d);
  if (r.kind !== 'process') throw new Error('expected a process');
  return r;
}

function readiness(probe: Record<string, unknown>, extra: Record<string, unknown> = {}): ResolvedProbe {
  const r = proc({ readiness: probe, ...extra }).readiness;
  if (r === undefined) throw new Error('no readiness');
  return r;
}

describe('probes', () => {
  it('get Kubernetes timing defaults, with a faster interval for readiness', () => {
    const timing = { initialDelay: 0, timeout: 1_000, successThreshold: 1, failureThreshold: 3 };
    expect(readiness({ type: 'tcp', port: 80 })).toMatchObject({ ...timing, interval: DEFAULTS.probe.readinessInterval });
    expect(proc({ liveness: { type: 'tcp', port: 80 } }).liveness[0]).toMatchObject({ ...timing, interval: DEFAULTS.probe.interval });
  });

  it('parse timing durations', () => {
    const probe = { type: 'tcp', port: 80, initialDelay: '2s', interval: '500ms', timeout: '1.5s', successThreshold: 2, failureThreshold: 5 };
    expect(readiness(probe)).toMatchObject({ initialDelay: 2_000, interval: 500, timeout: 1_500, successThreshold: 2, failureThreshold: 5 });
  });

  it('http: method GET, status 200–399 by default; a single status becomes a range', () => {
    const base = { type: 'http', url: 'https://127.0.0.1:8443/health' };
    expect(readiness(base)).toMatchObject({ url: base.url, method: 'GET', status: [200, 399], body: undefined });
    expect(readiness({ ...base, method: 'head', status: [200, 204], body: /ok/ })).toMatchObject({ method: 'HEAD', status: [200, 204], body: /ok/ });
    expect(readiness({ ...base, status: 418 })).toMatchObject({ status: [418, 418] });
  });

  it('tcp: host 127.0.0.1 by default', () => {
    expect(readiness({ type: 'tcp', port: 5432 })).toMatchObject({ port: 5432, host: '127.0.0.1' });
    expect(readiness({ type: 'tcp', port: 1, host: 'localhost' })).toMatchObject({ host: 'localhost' });
  });

  it('log: a string pattern is a plain substring, not a regular expression', () => {
    const probe = readiness({ type: 'log', pattern: 'listening on [::]:80 (pid *)' });
    if (probe.type !== 'log') throw new Error('expected a log probe');
    expect(probe.stream).toBe('both');
    expect(probe.pattern.test('server listening on [::]:80 (pid *) now')).toBe(true);
    expect(probe.pattern.test('listening on :80 (pid 1)')).toBe(false);
  });

  it('log: a RegExp is copied without g/y, so repeated tests do not depend on lastIndex', () => {
    const user = /ready (\d+)/gi;
    const probe = readiness({ type: 'log', pattern: user, stream: 'stderr' });
    if (probe.type !== 'log') throw new Error('expected a log probe');
    expect(probe.pattern).not.toBe(user);
    expect(probe.pattern.flags).toBe('i');
    expect([1, 2, 3].map(() => probe.pattern.test('READY 42'))).toEqual([true, true, true]);
    expect(probe.stream).toBe('stderr');
    expect(user.lastIndex).toBe(0);
  });

  it('exec: args default to []', () => {
    expect(readiness({ type: 'exec', command: 'pg_isready' })).toMatchObject({ command: 'pg_isready', args: [] });
    expect(readiness({ type: 'exec', command: 'curl', args: ['-f', 'x'] })).toMatchObject({ args: ['-f', 'x'] });
  });

  it('ipc: accepted when the child has a channel to announce itself on (IPC or output commands)', () => {
    expect(readiness({ type: 'ipc' }, { ipc: true })).toMatchObject({ type: 'ipc' });
    expect(readiness({ type: 'ipc' }, { output: { commands: true } })).toMatchObject({ type: 'ipc' });
    const viaManager = resolveManagerOptions({ output: { commands: true } }).defaults;
    expect(proc({ readiness: { type: 'ipc' } }, viaManager).readiness?.type).toBe('ipc');
  });

  it('custom: keeps the user’s function as is', () => {
    const check = async (): Promise<boolean> => true;
    expect(readiness({ type: 'custom', check })).toMatchObject({ type: 'custom', check });
  });

  it('liveness takes one probe or a list, each resolved', () => {
    const r = proc({ liveness: [{ type: 'tcp', port: 80 }, { type: 'exec', command: 'true' }] });
    expect(r.liveness.map((p) => p.type)).toEqual(['tcp', 'exec']);
    expect(proc({ liveness: [] }).liveness).toEqual([]);
  });
});

describe('heartbeat', () => {
  it('defaults to the timeout detector with threshold 8', () => {
    expect(proc({ heartbeat: { timeout: '2s' } }).heartbeat).toEqual({ timeout: 2_000, detector: 'timeout', threshold: 8 });
    expect(proc({ heartbeat: { timeout: 500, detector: 'phi', threshold: 3.5 } }).heartbeat).toEqual({ timeout: 500, detector: 'phi', threshold: 3.5 });
  });
});

describe('limits', () => {
  it('default to restart, tree scope and 3 consecutive samples', () => {
    expect(proc({ limits: { memory: '1GiB' } }, sampled).limits).toEqual({
      memory: 2 ** 30,
      cpu: undefined,
      forMs: undefined,
      forSamples: DEFAULTS.limits.samples,
      action: 'restart',
      scope: 'tree',
      warning: { memory: undefined, cpu: undefined },
    });
  });

  it('keep a `for` duration as ms (equal to the interval is fine) and a sample count as samples', () => {
    expect(proc({ limits: { cpu: 90, for: '2500ms' } }, sampled).limits).toMatchObject({ forMs: 2_500, forSamples: undefined });
    expect(proc({ limits: { cpu: 90, for: '1s' } }, sampled).limits).toMatchObject({ forMs: 1_000 });
    expect(proc({ limits: { cpu: 90, for: { samples: 4 } } }, sampled).limits).toMatchObject({ forMs: undefined, forSamples: 4 });
  });

  it('check `for` against the spec’s own sampling over the manager’s, and work with the manager’s off', () => {
    const own = { sampling: { interval: '5s' } };
    expect(proc({ ...own, limits: { cpu: 90, for: '5s' } }, sampled).limits).toMatchObject({ forMs: 5_000 });
    expect(proc({ ...own, limits: { cpu: 90 } }, plain).limits).toMatchObject({ forSamples: 3 });
  });

  it('accept warning levels alone or below the limits', () => {
    expect(proc({ limits: { warning: { cpu: 50 } } }, sampled).limits?.warning).toEqual({ memory: undefined, cpu: 50 });
    expect(proc({ limits: { memory: '1GB', warning: { memory: '900MB' } } }, sampled).limits?.warning.memory).toBe(900_000_000);
  });
});

describe('watch', () => {
  it('accepts a path, a list of paths or the object form', () => {
    expect(proc({ watch: 'src' }).watch).toEqual({ paths: ['src'], ignore: [], debounce: DEFAULTS.watch.debounce, action: 'restart' });
    expect(proc({ watch: ['a', 'b'] }).watch).toEqual({ paths: ['a', 'b'], ignore: [], debounce: 200, action: 'restart' });
    expect(proc({ watch: { paths: 'src', ignore: 'node_modules', debounce: 0, action: 'reload' } }).watch).toEqual({
      paths: ['src'],
      ignore: ['node_modules'],
      debounce: 0,
      action: 'reload',
    });
    expect(() => proc({ watch: { paths: 'src', action: 'redeploy' } })).toThrow(/watch\.action/);
  });
});
