/**
 * What `resolveChildSpec` makes of valid specs: defaults filled, units parsed, trees resolved,
 * the caller's objects untouched and the result frozen.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/api/defaults.js';
import { InvalidSpecError } from '../../src/api/errors.js';
import {
  isSupervisorSpec,
  resolveChildSpec,
  resolveManagerOptions,
  resolveProcessSpec,
  resolveSupervisorSpec,
} from '../../src/spec/resolve.js';
import type { ResolvedProcessSpec, ResolvedSupervisorSpec } from '../../src/spec/resolved.js';
import type { ChildSpec } from '../../src/api/types.js';

const defaults = resolveManagerOptions(undefined).defaults;

function proc(spec: unknown, d = defaults): ResolvedProcessSpec {
  const resolved = resolveChildSpec(spec, d);
  if (resolved.kind !== 'process') throw new Error('expected a process');
  return resolved;
}

function tree(spec: unknown, d = defaults): ResolvedSupervisorSpec {
  const resolved = resolveChildSpec(spec, d);
  if (resolved.kind !== 'supervisor') throw new Error('expected a supervisor');
  return resolved;
}

/** Freezes every plain object and array reachable from `value`, so any write by the resolver throws. */
function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof RegExp)) {
    for (const item of Object.values(value)) freezeDeep(item);
    Object.freeze(value);
  }
  return value;
}

/** Every plain object and array reachable from `value` that is not frozen, by path. */
function unfrozen(value: unknown, path = '$'): string[] {
  if (value === null || typeof value !== 'object' || value instanceof RegExp) return [];
  const own = Object.isFrozen(value) ? [] : [path];
  return [...own, ...Object.entries(value).flatMap(([k, item]) => unfrozen(item, `${path}.${k}`))];
}

describe('a minimal process spec', () => {
  it('gets every default', () => {
    expect(proc({ name: 'api', command: 'node' })).toEqual({
      kind: 'process',
      name: 'api',
      command: 'node',
      args: [],
      cwd: undefined,
      env: {},
      extendEnv: true,
      shell: false,
      restart: 'permanent',
      successExitCodes: [0],
      backoff: { type: 'exponential', initial: 100, factor: 2, max: 30_000, jitter: 0.1, resetAfter: 30_000 },
      intensity: { maxRestarts: 5, period: 10_000 },
      shutdown: { signal: 'SIGTERM', timeout: 5_000 },
      startTimeout: 30_000,
      readiness: undefined,
      liveness: [],
      heartbeat: undefined,
      limits: undefined,
      sampling: undefined,
      watch: undefined,
      instances: undefined,
      output: { lines: 1_000, bytes: 4 * 1024 * 1024, mask: [], commands: false },
      ipc: false,
      significant: false,
      stdin: 'ignore',
      rlimits: undefined,
      cgroup: undefined,
      minUptime: 0,
      schedule: undefined,
      recover: undefined,
      sockets: [],
    });
  });

  it('is deep-frozen', () => {
    const resolved = proc({ name: 'api', command: 'node', args: ['a'], env: { A: '1' }, readiness: { type: 'tcp', port: 80 } });
    expect(unfrozen(resolved)).toEqual([]);
  });
});

describe('a full process spec', () => {
  const full = {
    name: 'api',
    command: 'node',
    args: ['server.js', '--port', '8080'],
    cwd: 'srv',
    env: { PORT: '8080', DEBUG: undefined },
    extendEnv: false,
    shell: '/bin/sh',
    restart: 'transient',
    successExitCodes: [0, 3],
    backoff: { type: 'linear', initial: '200ms', max: '2s' },
    intensity: { maxRestarts: 2, period: '1m' },
    shutdown: { signal: 'SIGINT', timeout: '10s' },
    startTimeout: '1m',
    readiness: { type: 'http', url: 'http://127.0.0.1:8080/health', status: 204 },
    liveness: { type: 'tcp', port: 8080, interval: '5s', failureThreshold: 2 },
    heartbeat: { timeout: '3s', detector: 'phi' },
    sampling: { interval: '2s', history: 30 },
    limits: { memory: '512MB', cpu: 150, for: '10s', action: 'warn', scope: 'process', warning: { memory: '400MiB', cpu: 100 } },
    watch: { paths: ['src', 'config'], ignore: [/\.log$/, 'tmp'], debounce: '1s' },
    instances: 3,
    output: { lines: 50, mask: ['hunter2', /token=\w+/g], commands: true },
    ipc: true,
  };

  it('parses durations and sizes and keeps every value', () => {
    const r = proc(full);
    expect(r.args).toEqual(['server.js', '--port', '8080']);
    expect(r.cwd).toBe('srv');
    expect(r.env).toEqual({ PORT: '8080', DEBUG: undefined });
    expect(Object.hasOwn(r.env, 'DEBUG')).toBe(true); // undefined removes the key from the host env
    expect(r.extendEnv).toBe(false);
    expect(r.shell).toBe('/bin/sh');
    expect(r.restart).toBe('transient');
    expect(r.successExitCodes).toEqual([0, 3]);
    expect(r.backoff).toEqual({ type: 'linear', initial: 200, step: 200, max: 2_000, jitter: 0.1, resetAfter: 30_000 });
    expect(r.intensity).toEqual({ maxRestarts: 2, period: 60_000 });
    expect(r.shutdown).toEqual({ signal: 'SIGINT', timeout: 10_000 });
    expect(r.startTimeout).toBe(60_000);
    expect(r.readiness).toMatchObject({ type: 'http', status: [204, 204], method: 'GET', interval: 250 });
    expect(r.liveness).toEqual([
      { type: 'tcp', port: 8080, host: '127.0.0.1', initialDelay: 0, interval: 5_000, timeout: 1_000, successThreshold: 1, failureThreshold: 2 },
    ]);
    expect(r.heartbeat).toEqual({ timeout: 3_000, detector: 'phi', threshold: 8 });
    expect(r.sampling).toEqual({ interval: 2_000, history: 30 });
    expect(r.limits).toEqual({
      memory: 512_000_000,
      cpu: 150,
      forMs: 10_000,
      forSamples: undefined,
      action: 'warn',
      scope: 'process',
      warning: { memory: 400 * 2 ** 20, cpu: 100 },
    });
    expect(r.watch).toEqual({ paths: ['src', 'config'], ignore: [/\.log$/, 'tmp'], debounce: 1_000, action: 'restart' });
    expect(r.instances).toBe(3);
    expect(r.output.lines).toBe(50);
    expect(r.output.commands).toBe(true);
    expect(r.output.mask.map(String)).toEqual(['hunter2', '/token=\\w+/g']);
    expect(r.ipc).toBe(true);
  });

  it('never mutates the caller’s spec (every write would throw on the frozen input)', () => {
    const input = freezeDeep(structuredClone(full));
    const before = structuredClone(input);
    expect(() => proc(input)).not.toThrow();
    expect(input).toEqual(before);
  });

  it('shares no object or RegExp with the caller, and leaves RegExps usable (not frozen)', () => {
    const input = structuredClone(full);
    const r = proc(input);
    expect(r.args).not.toBe(input.args);
    expect(r.env).not.toBe(input.env);
    expect(r.watch?.paths).not.toBe(input.watch.paths);
    const mask = r.output.mask[1];
    expect(mask).toBeInstanceOf(RegExp);
    expect(mask).not.toBe(input.output.mask[1]);
    expect('a token=abc b token=def'.replace(mask as RegExp, '***')).toBe('a *** b ***');
    expect(unfrozen(r)).toEqual([]);
  });

  it('accepts the object form of a shutdown with Infinity (never escalate) and the kill form', () => {
    expect(proc({ name: 'a', command: 'x', shutdown: { timeout: Infinity } }).shutdown).toEqual({ signal: 'SIGTERM', timeout: Infinity });
    expect(proc({ name: 'a', command: 'x', shutdown: 'kill' }).shutdown).toBe('kill');
  });
});

describe('inherited defaults', () => {
  const manager = resolveManagerOptions({
    restart: 'transient',
    backoff: { type: 'fixed', delay: '1s' },
    intensity: { maxRestarts: 1, period: '5s' },
    shutdown: { signal: 'SIGINT', timeout: '2s' },
    output: { lines: 10, mask: ['managerSecret'] },
    startTimeout: '5s',
    sampling: { interval: '1s' },
  }).defaults;

  it('come from the manager when a field is absent', () => {
    const r = proc({ name: 'a', command: 'x' }, manager);
    expect(r.restart).toBe('transient');
    expect(r.backoff).toEqual({ type: 'fixed', delay: 1_000, resetAfter: 30_000 });
    expect(r.intensity).toEqual({ maxRestarts: 1, period: 5_000 });
    expect(r.shutdown).toEqual({ signal: 'SIGINT', timeout: 2_000 });
    expect(r.output).toEqual({ lines: 10, bytes: 4 * 1024 * 1024, mask: ['managerSecret'], commands: false });
    expect(r.startTimeout).toBe(5_000);
    expect(r.sampling).toBeUndefined(); // inherits the manager's at run time
  });

  it('fill only the omitted sub-fields of shutdown, intensity and output; masks add up', () => {
    const r = proc(
      { name: 'a', command: 'x', shutdown: { timeout: 0 }, intensity: { period: '1s' }, output: { commands: true, mask: ['own'] } },
      manager,
    );
    expect(r.shutdown).toEqual({ signal: 'SIGINT', timeout: 0 });
    expect(r.intensity).toEqual({ maxRestarts: 1, period: 1_000 });
    expect(r.output).toEqual({ lines: 10, bytes: 4 * 1024 * 1024, mask: ['managerSecret', 'own'], commands: true });
  });

  it('keep zero and false as given (no `||` defaults)', () => {
    const r = proc(
      {
        name: 'a',
        command: 'x',
        startTimeout: 1,
        output: { lines: 0, commands: false },
        intensity: { maxRestarts: 0, period: 1 },
        backoff: { type: 'exponential', initial: 0, jitter: 0, resetAfter: 0 },
      },
      manager,
    );
    expect(r.output.lines).toBe(0);
    expect(r.intensity.maxRestarts).toBe(0);
    expect(r.backoff).toMatchObject({ initial: 0, jitter: 0, resetAfter: 0 });
  });

  it('take backoff sub-fields from DEFAULTS, not from a manager backoff of another type', () => {
    const r = proc({ name: 'a', command: 'x', backoff: { type: 'exponential', max: '1m' } }, manager);
    expect(r.backoff).toEqual({ ...DEFAULTS.backoff, max: 60_000 });
  });

  it('accept a backoff function and give it the default resetAfter', () => {
    const fn = (attempt: number): number => attempt * 10;
    const r = proc({ name: 'a', command: 'x', backoff: fn });
    expect(r.backoff).toEqual({ type: 'function', fn, resetAfter: DEFAULTS.backoff.resetAfter });
    expect(Object.isFrozen(fn)).toBe(false);
  });

  it('raise the default backoff max to a larger initial delay', () => {
    expect(proc({ name: 'a', command: 'x', backoff: { type: 'exponential', initial: '1m' } }).backoff).toMatchObject({ initial: 60_000, max: 60_000 });
  });
});

describe('supervisor specs', () => {
  const spec = {
    name: 'root',
    strategy: 'rest-for-one',
    children: [
      { name: 'db', command: 'postgres' },
      {
        name: 'workers',
        strategy: 'one-for-all',
        autoShutdown: 'any-significant',
        restart: 'transient',
        children: [
          { name: 'job', command: 'node', restart: 'transient', significant: true },
          { name: 'helper', command: 'node', restart: 'temporary', significant: true },
        ],
      },
    ],
  };

  it('are resolved recursively with their own defaults', () => {
    const r = tree(spec);
    expect(r).toMatchObject({
      kind: 'supervisor',
      name: 'root',
      strategy: 'rest-for-one',
      intensity: { maxRestarts: 5, period: 10_000 },
      restart: 'permanent',
      autoShutdown: 'never',
      significant: false,
      shutdownTimeout: Infinity,
      backoff: defaults.backoff,
    });
    expect(r.children.map((c) => `${c.kind}:${c.name}`)).toEqual(['process:db', 'supervisor:workers']);
    const workers = r.children[1] as ResolvedSupervisorSpec;
    expect(workers.autoShutdown).toBe('any-significant');
    expect(workers.children.map((c) => c.significant)).toEqual([true, true]);
    expect(unfrozen(r)).toEqual([]);
  });

  it('take intensity, restart, shutdown timeout from the spec', () => {
    const r = tree({ ...spec, intensity: { maxRestarts: 1, period: '1s' }, restart: 'temporary', shutdown: { timeout: '3s' } });
    expect(r).toMatchObject({ intensity: { maxRestarts: 1, period: 1_000 }, restart: 'temporary', shutdownTimeout: 3_000 });
  });

  it('leave the caller’s tree untouched', () => {
    const input = freezeDeep(structuredClone(spec));
    expect(() => tree(input)).not.toThrow();
    expect(input).toEqual(spec);
  });

  it('are told apart from process specs by `strategy` or `children`', () => {
    expect(isSupervisorSpec(spec)).toBe(true);
    expect(isSupervisorSpec({ name: 'x', children: [] })).toBe(true);
    expect(isSupervisorSpec({ name: 'x', strategy: 'one-for-one' })).toBe(true);
    expect(isSupervisorSpec({ name: 'x', command: 'y' })).toBe(false);
    expect(isSupervisorSpec({ name: 'x', strategy: undefined, command: 'y' })).toBe(false);
    expect(isSupervisorSpec(null)).toBe(false);
  });
});

describe('the narrower entry points', () => {
  it('resolveProcessSpec rejects a supervisor and resolveSupervisorSpec a process', () => {
    const sup: ChildSpec = { name: 's', strategy: 'one-for-one', children: [{ name: 'c', command: 'x' }] };
    expect(resolveSupervisorSpec(sup, defaults).kind).toBe('supervisor');
    expect(resolveProcessSpec({ name: 'p', command: 'x' }, defaults).kind).toBe('process');
    expect(() => resolveProcessSpec(sup, defaults)).toThrow(InvalidSpecError);
    expect(() => resolveSupervisorSpec({ name: 'p', command: 'x' }, defaults)).toThrow(InvalidSpecError);
  });

  it('a significant child added at runtime is checked against its parent’s autoShutdown', () => {
    const child = { name: 'late', command: 'x', restart: 'transient', significant: true };
    expect(resolveChildSpec(child, defaults, 'children[2]', { parentAutoShutdown: 'all-significant' }).significant).toBe(true);
    expect(() => resolveChildSpec(child, defaults, 'children[2]', { parentAutoShutdown: 'never' })).toThrow(InvalidSpecError);
    expect(() => resolveChildSpec(child, defaults)).toThrow(InvalidSpecError);
  });

  it('names may repeat across separate resolutions (the manager checks those)', () => {
    expect(() => {
      resolveChildSpec({ name: 'a', command: 'x' }, defaults);
      resolveChildSpec({ name: 'a', command: 'x' }, defaults);
    }).not.toThrow();
  });
});
