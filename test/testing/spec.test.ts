/**
 * procvisor/testing's fixture specs (src/testing/spec.ts): what only a fixture spec has is checked
 * (`port`, `{port}` without a port, `instances`), a name is derived when none is given, and the
 * fixture's port replaces `{port}` wherever a process or a probe needs it, with `PORT` set.
 */
import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/index.js';
import { checkFixtureSpec, defaultName, toProcessSpec } from '../../src/testing/spec.js';
import type { FixtureSpec } from '../../src/testing/types.js';

/** The InvalidSpecError `fn` throws (fails the test when it throws nothing, or something else). */
function specError(fn: () => unknown): InvalidSpecError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSpecError);
    return error as InvalidSpecError;
  }
  throw new Error('expected an InvalidSpecError, nothing was thrown');
}

describe('checkFixtureSpec', () => {
  it.each([0, 65_536, -1, 1.5, 'x', '3000', null])('rejects port %j with path `port` and a message naming the fix', (port) => {
    const error = specError(() => checkFixtureSpec({ name: 'api', command: 'node', port }));
    expect(error.code).toBe('INVALID_SPEC');
    expect(error.path).toBe('port');
    expect(error.value).toBe(port);
    expect(error.message).toContain('`api`');
    expect(error.message).toContain("'auto'");
    expect(error.message).toContain('1 to 65535');
    expect(error.message).toContain(JSON.stringify(port));
  });

  it.each([
    ['auto', 'auto'],
    [1, 1],
    [65_535, 65_535],
    [undefined, undefined],
  ] as const)('accepts port %j and returns it', (port, expected) => {
    expect(checkFixtureSpec({ command: 'node', ...(port === undefined ? {} : { port }) })).toBe(expected);
  });

  it.each<[string, FixtureSpec]>([
    ['command', { command: 'serve-{port}' }],
    ['args[1]', { command: 'node', args: ['server.js', '--port={port}'] }],
    ['env.URL', { command: 'node', env: { MODE: 'test', URL: 'http://127.0.0.1:{port}' } }],
    ['readiness.url', { command: 'node', readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' } }],
    ['readiness.port', { command: 'node', readiness: { type: 'tcp', port: '{port}' } }],
    ['readiness.command', { command: 'node', readiness: { type: 'exec', command: 'check-{port}' } }],
    ['liveness.url', { command: 'node', liveness: { type: 'http', url: 'http://127.0.0.1:{port}/' } }],
    ['liveness[1].port', { command: 'node', liveness: [{ type: 'log', pattern: 'x' }, { type: 'tcp', port: '{port}' }] }],
  ])('`{port}` in %s without a `port` is an error naming that field', (where, spec) => {
    const error = specError(() => checkFixtureSpec(spec));
    expect(error.path).toBe(where);
    expect(error.value).toBe('{port}');
    expect(error.message).toContain(`\`${where}\``);
    expect(error.message).toContain("port: 'auto'");
  });

  // Fails (src/testing/spec.ts placeholderField): an exec probe's args are reported as
  // `readiness.command`, so the message says `readiness.command` uses `{port}` when the command is
  // `curl` and only its args[1] does.
  it('`{port}` only in an exec probe\'s args without a `port` is an error naming that argument, not the command', () => {
    const error = specError(() => checkFixtureSpec({ command: 'node', readiness: { type: 'exec', command: 'curl', args: ['-f', 'http://127.0.0.1:{port}'] } }));
    expect(error.path).toBe('readiness.args[1]');
    expect(error.message).toContain('`readiness.args[1]`');
  });

  it('`{port}` with a port is fine', () => {
    expect(checkFixtureSpec({ command: 'node', args: ['--port', '{port}'], port: 'auto', readiness: { type: 'tcp', port: '{port}' } })).toBe('auto');
    expect(checkFixtureSpec({ command: 'node', env: { URL: ':{port}' }, port: 8080 })).toBe(8080);
  });

  it('rejects `instances`: a fixture is one process', () => {
    const error = specError(() => checkFixtureSpec({ name: 'api', command: 'node', instances: 2 }));
    expect(error.path).toBe('instances');
    expect(error.value).toBe(2);
    expect(error.message).toContain('`instances`');
    expect(error.message).toContain('one fixture per instance');
  });

  it.each([null, 'node server.js', ['node'], 42])('rejects a spec that is not an object (%j)', (spec) => {
    const error = specError(() => checkFixtureSpec(spec));
    expect(error.message).toContain('expected a process spec object');
  });
});

describe('defaultName', () => {
  it.each<[string, FixtureSpec]>([
    ['server', { command: 'node', args: ['server.js'] }],
    ['server', { command: 'node', args: ['--enable-source-maps', 'dist/server.mjs', '--port', '3000'] }],
    ['worker', { command: 'python3', args: ['-u', 'app/worker.py'] }],
    ['redis-server', { command: 'redis-server' }],
    ['redis-server', { command: '/usr/bin/redis-server', args: ['--port', '{port}'] }],
    ['node', { command: 'node', args: ['-e', 'setInterval(() => {}, 1000)'] }],
    ['node', { command: process.execPath, args: ['-e', 'console.log(1)'] }],
  ])('%s for %j', (name, spec) => {
    expect(defaultName(spec)).toBe(name);
  });

  // Fails (src/testing/spec.ts defaultName): the first argument not starting with `-` is taken as
  // the script, so the value of a flag before the script (`tsx` of `--import tsx`) hides it and the
  // name falls back to the program, `node`.
  it('server for `node --import tsx server.ts` (the script it runs, after a flag with a value)', () => {
    expect(defaultName({ command: 'node', args: ['--import', 'tsx', 'server.ts'] })).toBe('server');
  });
});

describe('toProcessSpec', () => {
  it('replaces `{port}` in command, args, env values and every kind of probe', () => {
    const spec: FixtureSpec = {
      command: '/opt/{port}/bin/serve',
      args: ['--port', '{port}', '--url=http://127.0.0.1:{port}/{port}'],
      env: { URL: 'http://127.0.0.1:{port}', KEEP: 'plain', GONE: undefined },
      port: 'auto',
      readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health', interval: '50ms' },
      liveness: [
        { type: 'tcp', port: '{port}', host: '127.0.0.1' },
        { type: 'exec', command: 'check-{port}', args: ['--port', '{port}'] },
        { type: 'tcp', port: 9999 },
        { type: 'log', pattern: '{port}' },
      ],
    };
    const out = toProcessSpec(spec, 'api', 4321);
    expect(out).toEqual({
      name: 'api',
      command: '/opt/4321/bin/serve',
      args: ['--port', '4321', '--url=http://127.0.0.1:4321/4321'],
      env: { URL: 'http://127.0.0.1:4321', KEEP: 'plain', GONE: undefined, PORT: '4321' },
      readiness: { type: 'http', url: 'http://127.0.0.1:4321/health', interval: '50ms' },
      liveness: [
        { type: 'tcp', port: 4321, host: '127.0.0.1' },
        { type: 'exec', command: 'check-4321', args: ['--port', '4321'] },
        { type: 'tcp', port: 9999 },
        // A log pattern is the process's output, not something to connect to: left as written.
        { type: 'log', pattern: '{port}' },
      ],
    });
    expect(out).not.toHaveProperty('port');
    // The fixture spec is not modified.
    expect(spec.args).toEqual(['--port', '{port}', '--url=http://127.0.0.1:{port}/{port}']);
    expect(spec.readiness).toEqual({ type: 'http', url: 'http://127.0.0.1:{port}/health', interval: '50ms' });
  });

  it('a single liveness probe and a tcp readiness probe get the port too', () => {
    const out = toProcessSpec(
      { command: 'node', port: 'auto', readiness: { type: 'tcp', port: '{port}' }, liveness: { type: 'http', url: 'http://127.0.0.1:{port}/live' } },
      'x',
      5000,
    );
    expect(out.readiness).toEqual({ type: 'tcp', port: 5000 });
    expect(out.liveness).toEqual({ type: 'http', url: 'http://127.0.0.1:5000/live' });
  });

  it('sets PORT when env does not have it (also without any env)', () => {
    expect(toProcessSpec({ command: 'node', port: 'auto' }, 'a', 3001).env).toEqual({ PORT: '3001' });
    expect(toProcessSpec({ command: 'node', port: 3002, env: { A: '1' } }, 'a', 3002).env).toEqual({ A: '1', PORT: '3002' });
  });

  it('leaves PORT to env when env has it, even as undefined (the key present means the user decides)', () => {
    expect(toProcessSpec({ command: 'node', port: 'auto', env: { PORT: '8080' } }, 'a', 3001).env).toEqual({ PORT: '8080' });
    expect(toProcessSpec({ command: 'node', port: 'auto', env: { PORT: 'at {port}' } }, 'a', 3001).env).toEqual({ PORT: 'at 3001' });
    const removed = toProcessSpec({ command: 'node', port: 'auto', env: { PORT: undefined } }, 'a', 3001).env;
    expect(removed).toHaveProperty('PORT');
    expect(removed?.PORT).toBeUndefined();
  });

  it('without a port nothing is replaced and no PORT is set', () => {
    const spec: FixtureSpec = {
      command: 'node',
      args: ['-e', "console.log('{port}')"],
      env: { X: '{port}' },
      readiness: { type: 'log', pattern: /\{port\}/ },
    };
    const out = toProcessSpec(spec, 'plain', undefined);
    expect(out).toEqual({ name: 'plain', command: 'node', args: ['-e', "console.log('{port}')"], env: { X: '{port}' }, readiness: { type: 'log', pattern: /\{port\}/ } });
    expect(out.env).not.toHaveProperty('PORT');
    expect(toProcessSpec({ command: 'node' }, 'bare', undefined)).toEqual({ name: 'bare', command: 'node' });
  });

  it('keeps every other field and drops the fixture-only ones', () => {
    const out = toProcessSpec({ name: 'wanted', command: 'node', cwd: '/tmp', restart: 'permanent', startTimeout: '2s', port: 'auto' }, 'wanted-2', 7000);
    expect(out).toEqual({ name: 'wanted-2', command: 'node', cwd: '/tmp', restart: 'permanent', startTimeout: '2s', env: { PORT: '7000' } });
  });
});
