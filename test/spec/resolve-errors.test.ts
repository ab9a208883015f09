/**
 * Every validation rule of `resolveChildSpec`, one bad input at a time: the error class, code,
 * field path, and a message that names the path and shows the bad value.
 */
import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/api/errors.js';
import { validationFailure } from './support.js';
import { resolveChildSpec, resolveManagerOptions } from '../../src/spec/resolve.js';

const plain = resolveManagerOptions(undefined).defaults;
const sampled = resolveManagerOptions({ sampling: { interval: '1s' } }).defaults;

/** [what, spec, path, rendered bad value or undefined for unknown options] */
type Row = [string, Record<string, unknown>, string, string | undefined];

const proc = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'api', command: 'node', ...extra });
const sup = (extra: Record<string, unknown>): Record<string, unknown> => ({
  name: 'tree',
  strategy: 'one-for-one',
  children: [{ name: 'a', command: 'node' }],
  ...extra,
});
const tcp = { type: 'tcp', port: 8080 };

function expectRejected(spec: unknown, path: string, shown: string | undefined, defaults = plain): InvalidSpecError {
  const error = validationFailure(() => resolveChildSpec(spec, defaults), path);
  expect(error.message).toContain(`\`${path}\``);
  if (shown !== undefined) expect(error.message).toContain(`got \`${shown}\``);
  else expect(error.message).toContain(`unknown option \`${path}\``);
  return error;
}

const processRows: Row[] = [
  ['missing name', { command: 'node' }, 'name', 'undefined'],
  ['empty name', proc({ name: '' }), 'name', "''"],
  ['whitespace name', proc({ name: '  ' }), 'name', "'  '"],
  ['name with #', proc({ name: 'a#1' }), 'name', "'a#1'"],
  ['name with /', proc({ name: 'a/b' }), 'name', "'a/b'"],
  ['name not a string', proc({ name: 7 }), 'name', '7'],
  ['unknown option', proc({ restrat: 'permanent' }), 'restrat', undefined],
  ['missing command', { name: 'api' }, 'command', 'undefined'],
  ['empty command', proc({ command: '' }), 'command', "''"],
  ['args not an array', proc({ args: '--port 80' }), 'args', "'--port 80'"],
  ['args item not a string', proc({ args: ['a', 80] }), 'args[1]', '80'],
  ['cwd not a string', proc({ cwd: 5 }), 'cwd', '5'],
  ['env not an object', proc({ env: ['A=1'] }), 'env', "[ 'A=1' ]"],
  ['env value not a string', proc({ env: { PORT: 80 } }), 'env.PORT', '80'],
  ['extendEnv not boolean', proc({ extendEnv: 'no' }), 'extendEnv', "'no'"],
  ['shell a number', proc({ shell: 1 }), 'shell', '1'],
  ['shell empty', proc({ shell: '' }), 'shell', "''"],
  ['restart enum', proc({ restart: 'always' }), 'restart', "'always'"],
  ['successExitCodes not an array', proc({ successExitCodes: 0 }), 'successExitCodes', '0'],
  ['successExitCodes > 255', proc({ successExitCodes: [0, 256] }), 'successExitCodes[1]', '256'],
  ['successExitCodes negative', proc({ successExitCodes: [-1] }), 'successExitCodes[0]', '-1'],
  ['successExitCodes fraction', proc({ successExitCodes: [1.5] }), 'successExitCodes[0]', '1.5'],
  ['backoff string', proc({ backoff: 'fast' }), 'backoff', "'fast'"],
  ['backoff type', proc({ backoff: { type: 'exp' } }), 'backoff.type', "'exp'"],
  ['backoff unknown key', proc({ backoff: { type: 'fixed', delay: 5, initial: 5 } }), 'backoff.initial', undefined],
  ['backoff initial negative', proc({ backoff: { type: 'exponential', initial: -1 } }), 'backoff.initial', '-1'],
  ['backoff factor < 1', proc({ backoff: { type: 'exponential', factor: 0.5 } }), 'backoff.factor', '0.5'],
  ['backoff jitter > 1', proc({ backoff: { type: 'exponential', jitter: 1.5 } }), 'backoff.jitter', '1.5'],
  ['backoff jitter < 0', proc({ backoff: { type: 'linear', jitter: -0.1 } }), 'backoff.jitter', '-0.1'],
  ['backoff max < initial', proc({ backoff: { type: 'exponential', initial: '1s', max: '500ms' } }), 'backoff.max', "'500ms'"],
  ['backoff resetAfter', proc({ backoff: { type: 'exponential', resetAfter: 'soon' } }), 'backoff.resetAfter', "'soon'"],
  ['backoff linear step', proc({ backoff: { type: 'linear', step: -5 } }), 'backoff.step', '-5'],
  ['backoff fixed without delay', proc({ backoff: { type: 'fixed' } }), 'backoff.delay', 'undefined'],
  ['intensity not an object', proc({ intensity: 5 }), 'intensity', '5'],
  ['intensity maxRestarts negative', proc({ intensity: { maxRestarts: -1, period: 1000 } }), 'intensity.maxRestarts', '-1'],
  ['intensity maxRestarts fraction', proc({ intensity: { maxRestarts: 1.5, period: 1000 } }), 'intensity.maxRestarts', '1.5'],
  ['intensity period 0', proc({ intensity: { maxRestarts: 1, period: 0 } }), 'intensity.period', '0'],
  ['intensity unknown key', proc({ intensity: { maxRestart: 1 } }), 'intensity.maxRestart', undefined],
  ['shutdown string', proc({ shutdown: 'term' }), 'shutdown', "'term'"],
  ['shutdown signal', proc({ shutdown: { signal: 'SIGFOO' } }), 'shutdown.signal', "'SIGFOO'"],
  ['shutdown timeout negative', proc({ shutdown: { timeout: -5 } }), 'shutdown.timeout', '-5'],
  ['shutdown timeout beyond timers', proc({ shutdown: { timeout: '30d' } }), 'shutdown.timeout', "'30d'"],
  ['startTimeout 0', proc({ startTimeout: 0 }), 'startTimeout', '0'],
  ['startTimeout Infinity', proc({ startTimeout: Infinity }), 'startTimeout', 'Infinity'],
  ['startTimeout text', proc({ startTimeout: 'a while' }), 'startTimeout', "'a while'"],
  ['readiness not an object', proc({ readiness: 'tcp' }), 'readiness', "'tcp'"],
  ['readiness type', proc({ readiness: { type: 'grpc' } }), 'readiness.type', "'grpc'"],
  ['readiness unknown key', proc({ readiness: { type: 'tcp', prot: 80 } }), 'readiness.prot', undefined],
  ['http url not http', proc({ readiness: { type: 'http', url: 'ftp://127.0.0.1/' } }), 'readiness.url', "'ftp://127.0.0.1/'"],
  ['http url unparsable', proc({ readiness: { type: 'http', url: 'localhost:80' } }), 'readiness.url', "'localhost:80'"],
  ['http method', proc({ readiness: { type: 'http', url: 'http://127.0.0.1/', method: 5 } }), 'readiness.method', '5'],
  ['http status < 100', proc({ readiness: { type: 'http', url: 'http://127.0.0.1/', status: 99 } }), 'readiness.status', '99'],
  ['http status range order', proc({ readiness: { type: 'http', url: 'http://127.0.0.1/', status: [300, 200] } }), 'readiness.status[1]', '200'],
  ['http status range size', proc({ readiness: { type: 'http', url: 'http://127.0.0.1/', status: [200] } }), 'readiness.status', '[ 200 ]'],
  ['http body', proc({ readiness: { type: 'http', url: 'http://127.0.0.1/', body: 5 } }), 'readiness.body', '5'],
  ['tcp port 0', proc({ readiness: { type: 'tcp', port: 0 } }), 'readiness.port', '0'],
  ['tcp port 65536', proc({ readiness: { type: 'tcp', port: 65_536 } }), 'readiness.port', '65536'],
  ['tcp port string', proc({ readiness: { type: 'tcp', port: '80' } }), 'readiness.port', "'80'"],
  ['tcp host empty', proc({ readiness: { type: 'tcp', port: 80, host: '' } }), 'readiness.host', "''"],
  ['log pattern', proc({ readiness: { type: 'log', pattern: 5 } }), 'readiness.pattern', '5'],
  ['log stream', proc({ readiness: { type: 'log', pattern: 'up', stream: 'stdio' } }), 'readiness.stream', "'stdio'"],
  ['exec command', proc({ readiness: { type: 'exec', command: '' } }), 'readiness.command', "''"],
  ['exec args', proc({ readiness: { type: 'exec', command: 'true', args: [1] } }), 'readiness.args[0]', '1'],
  ['custom check', proc({ readiness: { type: 'custom', check: 'ok' } }), 'readiness.check', "'ok'"],
  ['ipc probe without ipc', proc({ readiness: { type: 'ipc' } }), 'ipc', 'undefined'],
  ['ipc liveness probe with ipc off', proc({ liveness: { type: 'ipc' }, ipc: false }), 'ipc', 'false'],
  ['probe initialDelay', proc({ readiness: { ...tcp, initialDelay: -1 } }), 'readiness.initialDelay', '-1'],
  ['probe interval', proc({ readiness: { ...tcp, interval: 0 } }), 'readiness.interval', '0'],
  ['probe timeout', proc({ readiness: { ...tcp, timeout: '0s' } }), 'readiness.timeout', "'0s'"],
  ['probe successThreshold', proc({ readiness: { ...tcp, successThreshold: 0 } }), 'readiness.successThreshold', '0'],
  ['probe failureThreshold', proc({ readiness: { ...tcp, failureThreshold: 1.5 } }), 'readiness.failureThreshold', '1.5'],
  ['log probe as liveness', proc({ liveness: { type: 'log', pattern: 'x' } }), 'liveness.type', "'log'"],
  ['log probe in liveness list', proc({ liveness: [tcp, { type: 'log', pattern: 'x' }] }), 'liveness[1].type', "'log'"],
  ['liveness list item', proc({ liveness: [{ ...tcp, port: -1 }] }), 'liveness[0].port', '-1'],
  ['heartbeat without timeout', proc({ heartbeat: {} }), 'heartbeat.timeout', 'undefined'],
  ['heartbeat timeout 0', proc({ heartbeat: { timeout: 0 } }), 'heartbeat.timeout', '0'],
  ['heartbeat detector', proc({ heartbeat: { timeout: '1s', detector: 'psi' } }), 'heartbeat.detector', "'psi'"],
  ['heartbeat threshold', proc({ heartbeat: { timeout: '1s', threshold: 0 } }), 'heartbeat.threshold', '0'],
  ['limits without sampling', proc({ limits: { memory: '512MB' } }), 'limits', "{ memory: '512MB' }"],
  ['limits with spec sampling off', proc({ limits: { cpu: 50 }, sampling: false }), 'limits', '{ cpu: 50 }'],
  ['sampling interval', proc({ sampling: { interval: 0 } }), 'sampling.interval', '0'],
  ['sampling history', proc({ sampling: { interval: '1s', history: 0 } }), 'sampling.history', '0'],
  ['sampling true', proc({ sampling: true }), 'sampling', 'true'],
  ['watch number', proc({ watch: 5 }), 'watch', '5'],
  ['watch empty list', proc({ watch: [] }), 'watch', '[]'],
  ['watch list item', proc({ watch: ['src', 1] }), 'watch[1]', '1'],
  ['watch paths empty', proc({ watch: { paths: [] } }), 'watch.paths', '[]'],
  ['watch ignore', proc({ watch: { paths: 'src', ignore: 5 } }), 'watch.ignore', '5'],
  ['watch debounce', proc({ watch: { paths: 'src', debounce: -1 } }), 'watch.debounce', '-1'],
  ['instances 0', proc({ instances: 0 }), 'instances', '0'],
  ['instances fraction', proc({ instances: 1.5 }), 'instances', '1.5'],
  ['output lines', proc({ output: { lines: -1 } }), 'output.lines', '-1'],
  ['output mask not a list', proc({ output: { mask: 'secret' } }), 'output.mask', "'secret'"],
  ['output mask empty string', proc({ output: { mask: [''] } }), 'output.mask[0]', "''"],
  ['output commands', proc({ output: { commands: 'yes' } }), 'output.commands', "'yes'"],
  ['ipc not boolean', proc({ ipc: 1 }), 'ipc', '1'],
  ['significant not boolean', proc({ significant: 'yes', restart: 'transient' }), 'significant', "'yes'"],
  ['significant permanent', proc({ significant: true }), 'significant', 'true'],
  ['significant at top level', proc({ significant: true, restart: 'transient' }), 'significant', 'true'],
];

const sampledRows: Row[] = [
  ['limits empty', proc({ limits: {} }), 'limits', '{}'],
  ['limits memory unit', proc({ limits: { memory: '12XB' } }), 'limits.memory', "'12XB'"],
  ['limits memory 0', proc({ limits: { memory: 0 } }), 'limits.memory', '0'],
  ['limits cpu 0', proc({ limits: { cpu: 0 } }), 'limits.cpu', '0'],
  ['limits for shorter than sampling', proc({ limits: { cpu: 50, for: '500ms' } }), 'limits.for', "'500ms'"],
  ['limits for shorter than spec sampling', proc({ limits: { cpu: 50, for: '3s' }, sampling: { interval: '5s' } }), 'limits.for', "'3s'"],
  ['limits for samples 0', proc({ limits: { cpu: 50, for: { samples: 0 } } }), 'limits.for.samples', '0'],
  ['limits for unknown key', proc({ limits: { cpu: 50, for: { sample: 2 } } }), 'limits.for.sample', undefined],
  ['limits action', proc({ limits: { cpu: 50, action: 'kill' } }), 'limits.action', "'kill'"],
  ['limits scope', proc({ limits: { cpu: 50, scope: 'group' } }), 'limits.scope', "'group'"],
  ['limits warning memory above limit', proc({ limits: { memory: '512MB', warning: { memory: '1GB' } } }), 'limits.warning.memory', "'1GB'"],
  ['limits warning cpu at limit', proc({ limits: { cpu: 80, warning: { cpu: 80 } } }), 'limits.warning.cpu', '80'],
  ['limits warning unknown key', proc({ limits: { cpu: 80, warning: { rss: 1 } } }), 'limits.warning.rss', undefined],
];

const supervisorRows: Row[] = [
  ['strategy missing', { name: 'tree', children: [{ name: 'a', command: 'x' }] }, 'strategy', 'undefined'],
  ['strategy enum', sup({ strategy: 'one-for-some' }), 'strategy', "'one-for-some'"],
  ['children missing', { name: 'tree', strategy: 'one-for-one' }, 'children', 'undefined'],
  ['children empty', sup({ children: [] }), 'children', '[]'],
  ['child not an object', sup({ children: [5] }), 'children[0]', '5'],
  ['supervisor with command', sup({ command: 'node' }), 'command', "'node'"],
  ['supervisor unknown key', sup({ backoff: { type: 'fixed', delay: 1 } }), 'backoff', undefined],
  ['supervisor restart', sup({ restart: 'always' }), 'restart', "'always'"],
  ['autoShutdown enum', sup({ autoShutdown: 'sometimes' }), 'autoShutdown', "'sometimes'"],
  ['supervisor shutdown kill', sup({ shutdown: 'kill' }), 'shutdown', "'kill'"],
  ['supervisor shutdown signal', sup({ shutdown: { signal: 'SIGTERM' } }), 'shutdown.signal', undefined],
  ['supervisor shutdown timeout', sup({ shutdown: { timeout: -1 } }), 'shutdown.timeout', '-1'],
  ['supervisor intensity', sup({ intensity: { maxRestarts: 1, period: -1 } }), 'intensity.period', '-1'],
  ['supervisor name', sup({ name: 'a/b' }), 'name', "'a/b'"],
  ['nested child field', sup({ children: [{ name: 'a', command: 'x' }, { name: 'b', command: 'x', restart: 'nope' }] }), 'children[1].restart', "'nope'"],
  [
    'deeply nested name',
    sup({ children: [{ name: 'a', command: 'x' }, { name: 'b', command: 'x' }, { name: 'sub', strategy: 'one-for-all', children: [{ name: '', command: 'x' }] }] }),
    'children[2].children[0].name',
    "''",
  ],
  ['duplicate of a sibling', sup({ children: [{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }] }), 'children[1].name', "'a'"],
  ['duplicate of the root', sup({ children: [{ name: 'tree', command: 'x' }] }), 'children[0].name', "'tree'"],
  ['significant under never', sup({ children: [{ name: 'a', command: 'x', restart: 'temporary', significant: true }] }), 'children[0].significant', 'true'],
  [
    'significant permanent under any-significant',
    sup({ autoShutdown: 'any-significant', children: [{ name: 'a', command: 'x', significant: true }] }),
    'children[0].significant',
    'true',
  ],
  ['significant supervisor at top level', sup({ restart: 'transient', significant: true }), 'significant', 'true'],
];

describe('resolveChildSpec rejects', () => {
  it.each(processRows)('process: %s', (_what, spec, path, shown) => {
    expectRejected(spec, path, shown);
  });
  it.each(sampledRows)('process with sampling on: %s', (_what, spec, path, shown) => {
    expectRejected(spec, path, shown, sampled);
  });
  it.each(supervisorRows)('supervisor: %s', (_what, spec, path, shown) => {
    expectRejected(spec, path, shown);
  });

  it('a spec that is not an object, at the root path', () => {
    const error = expectRejected0(null);
    expect(error.message).toBe('Invalid spec: expected the spec to be a process or supervisor spec object, got `null` (null)');
  });

  it('with the spec name, the path and the value in one message', () => {
    const error = expectRejected(proc({ shutdown: { timeout: -5 } }), 'shutdown.timeout', '-5');
    expect(error.message).toBe('Invalid spec `api`: expected `shutdown.timeout` to be a non-negative duration or `Infinity`, got `-5` (number)');
    expect(error.value).toBe(-5);
  });

  it('unknown options with a did-you-mean', () => {
    expect(expectRejected(proc({ restrat: 'permanent' }), 'restrat', undefined).message).toBe(
      'Invalid spec `api`: unknown option `restrat` — did you mean `restart`?',
    );
    expect(expectRejected(proc({ readiness: { type: 'tcp', prot: 80 } }), 'readiness.prot', undefined).message).toContain(
      'did you mean `readiness.port`?',
    );
  });

  it('duplicates, naming both paths', () => {
    const spec = sup({ children: [{ name: 'x', command: 'a' }, { name: 's', strategy: 'one-for-one', children: [{ name: 'x', command: 'b' }] }] });
    const error = expectRejected(spec, 'children[1].children[0].name', "'x'");
    expect(error.message).toContain('`children[0]` has it already');
  });

  it('under a path prefix for children added at runtime', () => {
    let caught: unknown;
    try {
      resolveChildSpec({ name: 'late', command: 'x', args: [1] }, plain, 'children[3]');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidSpecError);
    expect((caught as InvalidSpecError).path).toBe('children[3].args[0]');
    expect((caught as InvalidSpecError).message).toContain('Invalid spec `late`: expected `children[3].args[0]`');
  });
});

function expectRejected0(spec: unknown): InvalidSpecError {
  let caught: unknown;
  try {
    resolveChildSpec(spec, plain);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidSpecError);
  expect((caught as InvalidSpecError).path).toBe('');
  return caught as InvalidSpecError;
}
