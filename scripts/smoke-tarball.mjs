/**
 * Smoke test of the package as a user gets it: `npm pack`, then a fresh project in a temporary
 * directory installs the tarball and checks that
 *   - the tarball holds dist/, README, LICENSE and package.json, and nothing of src/ or test/;
 *   - `import { ProcessManager } from 'procvisor'` starts a tiny `node -e` process with a log
 *     readiness probe and shuts it down, the program then exits by itself and leaves no process;
 *   - `require('procvisor')` and `require('procvisor/child')` work (require of ESM, Node >= 20.19);
 *   - `procvisor/child` imports;
 *   - the declarations declare no class but the manager and the errors, and declare or export no
 *     name of src/'s internals (INTERNAL_NAMES: the worker, supervisors, resolved specs, …);
 *   - the types compile under strict `tsc --noEmit`, with module/moduleResolution node16 and with
 *     module esnext/moduleResolution bundler;
 *   - the test entries work as a user's suite uses them: the example vitest project (several files
 *     in parallel, each fixture on a port of its own, a fixture shared through the global setup) and
 *     the example node:test project pass, with vitest installed next to the package; a node:test
 *     file that forgets its fixture exits by itself and leaves no process;
 *   - the `procvisor` command: `run --kill-others-on-fail` prefixes both outputs, kills the survivor
 *     and exits with the failing code; `start` with a TypeScript config and with a Procfile starts
 *     everything, restarts a crashing process and stops everything on SIGINT with no survivor;
 *     `check` reports a bad config by field path.
 * Run after `npm run build` (npm run smoke:package). Prints one `ok`/`FAIL` line per check, exits 1
 * on any failure, and removes its temporary directories. No network but the package registry (or
 * npm's cache: installs prefer it), and no sockets but the example fixtures' on 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const started = Date.now();

/**
 * The runtime names the package must export. Names added to src/index.ts later are added here
 * (and, for types, in TYPE_CHECK below).
 */
const EXPORTS = [
  'ProcessManager',
  'DEFAULTS',
  'EVENTS',
  'backoff',
  'ProcvisorError',
  'isProcvisorError',
  'InvalidSpecError',
  'InvalidArgumentError',
  'SpawnFailedError',
  'StartFailedError',
  'NotFoundError',
  'AlreadyExistsError',
  'InvalidStateError',
  'ShutdownError',
  'TimeoutError',
  'IpcUnavailableError',
  'InvalidMessageError',
  'IpcRemoteError',
  // ── later names ──
  'FixtureLeakError',
  'PortUnavailableError',
];
const CHILD_EXPORTS = ['isSupervised', 'ready', 'heartbeat', 'send', 'onShutdown', 'onMessage'];
/** The test entries' runtime names. */
const TEST_EXPORTS = {
  'procvisor/testing': ['startFixture', 'assertNoLeaks', 'reapLeftovers', 'FixtureLeakError', 'PortUnavailableError'],
  'procvisor/vitest': ['useFixture', 'defineGlobalSetup', 'injectFixture', 'startFixture', 'assertNoLeaks', 'reapLeftovers', 'FixtureLeakError'],
  'procvisor/node-test': ['useFixture', 'startFixture', 'assertNoLeaks', 'reapLeftovers', 'FixtureLeakError'],
  'procvisor/prometheus': ['collectMetrics'],
  'procvisor/export': ['toKubernetes', 'toCompose', 'toSystemd'],
};

/** A strict-mode type test: compiles only if the published types are usable and not `any`. */
const TYPE_CHECK = `\
import {
  ProcessManager,
  ProcvisorError,
  isProcvisorError,
  InvalidSpecError,
  StartFailedError,
  TimeoutError,
  type ProcessSpec,
  type ErrorCode,
} from 'procvisor';
import { isSupervised, onShutdown } from 'procvisor/child';

const spec: ProcessSpec = {
  name: 'tiny',
  command: process.execPath,
  args: ['-e', 'console.log("up")'],
  readiness: { type: 'log', pattern: /up/ },
  shutdown: { signal: 'SIGTERM', timeout: '2s' },
};

// @ts-expect-error: not a restart type (the types are not \`any\`)
const bad: ProcessSpec = { name: 'x', command: 'y', restart: 'sometimes' };

export async function run(): Promise<number | undefined> {
  const pm = new ProcessManager();
  try {
    const handle = await pm.start(spec);
    return handle.pid;
  } catch (error: unknown) {
    if (error instanceof StartFailedError || error instanceof TimeoutError) throw error;
    if (error instanceof InvalidSpecError) console.log(error.path);
    if (isProcvisorError(error)) {
      const code: ErrorCode = error.code;
      const base: ProcvisorError = error;
      console.log(code, base.message);
    }
    throw error;
  } finally {
    await pm.shutdown();
  }
}

export const supervised: boolean = isSupervised();
export const off: () => void = onShutdown(async () => {});
export { bad };

// The public surface as users meet it, on the built declarations.
import type { Duration, RunOptions, Size, WaitOptions } from 'procvisor';
// Handle is exported as a type only; imported here without \`type\`, so a value use below is checked.
import { Handle } from 'procvisor';

export async function surface(pm: ProcessManager): Promise<void> {
  // readyData follows the readiness probe of the spec given to start().
  const web = await pm.start({ name: 'web', command: 'node', readiness: { type: 'log', pattern: /port (?<port>\\d+)/ } });
  const match: RegExpExecArray | undefined = web.readyData;
  const http = await pm.start({ name: 'api', command: 'node', readiness: { type: 'http', url: 'http://127.0.0.1:1/' } });
  const status: number | undefined = http.readyData?.status;
  // @ts-expect-error: an http probe's readyData is { status }, not a match
  const wrong: RegExpExecArray | undefined = http.readyData;
  // A custom probe's readyData is the data its check returns, typed.
  const custom = await pm.start({ name: 'c', command: 'node', readiness: { type: 'custom', check: async () => ({ ok: true, data: { port: 8080 } }) } });
  const port: number | undefined = custom.readyData?.port;
  // @ts-expect-error: the custom data's port is a number
  const portText: string | undefined = custom.readyData?.port;
  // An ipc probe's readyData is what the child passed to ready(): unknown, not \`any\`.
  const worker = await pm.start({ name: 'w', command: 'node', ipc: true, readiness: { type: 'ipc' } });
  const sent: unknown = worker.readyData;
  // @ts-expect-error: unknown must be narrowed before use
  const sentText: string = worker.readyData;
  const plain: Handle = web;
  // Every wait takes an options object.
  const wait: WaitOptions = { timeout: '5s', signal: AbortSignal.timeout(10_000) };
  await pm.waitFor('web', 'running', wait);
  await web.waitFor('running', { timeout: 250 });
  const runOptions: RunOptions = { timeout: '1m', signal: AbortSignal.timeout(60_000) };
  const job = { name: 'job', command: 'node', args: ['-e', ''] };
  const result = await pm.run(job, runOptions);
  await worker.request({ ping: true }, { timeout: '2s' });
  // @ts-expect-error: no positional timeouts
  await pm.waitFor('web', 'running', '5s');
  // @ts-expect-error: no positional timeouts
  await pm.waitFor('web', 'running', 1000);
  // @ts-expect-error: no positional timeouts
  await pm.run(job, 1000);
  // @ts-expect-error: no positional timeouts
  await worker.request({ ping: true }, 1000);
  // @ts-expect-error: no positional timeouts
  await pm.start(spec, 1000);
  await pm.shutdown({ timeout: '10s' });
  void [match, status, wrong, port, portText, sent, sentText, plain, result.status];
}

// Durations and sizes are checked at compile time.
export const durations: Duration[] = [250, '250ms', '1.5s', '2m', '1h'];
export const sizes: Size[] = [1024, '512MB', '1GiB'];
// @ts-expect-error: not a duration
export const words: Duration = 'ten seconds';
// @ts-expect-error: not a size
export const parsecs: Size = '3 parsecs';

// @ts-expect-error: Handle is exported as a type only: users receive handles, never construct them
export const HandleValue = Handle;

// ── later names: uses of names added to src/index.ts later go here ──

// procvisor/testing: a fixture's port and url are typed from its spec.
import { startFixture, assertNoLeaks, FixtureLeakError, type Fixture, type FixtureSpec } from 'procvisor/testing';
import { useFixture as useNodeTestFixture } from 'procvisor/node-test';

export async function fixtures(): Promise<void> {
  const api = await startFixture({ command: 'node', args: ['server.js', '{port}'], port: 'auto', readiness: { type: 'http', url: 'http://127.0.0.1:{port}/' } });
  const port: number = api.port;
  const url: string = api.url;
  const status: number | undefined = api.handle.readyData?.status;
  const plain = await startFixture({ command: 'node', args: ['worker.js'] });
  const none: undefined = plain.port;
  // @ts-expect-error: 'automatic' is not a port
  const bad: FixtureSpec = { command: 'node', port: 'automatic' };
  const typed: Fixture = api;
  await api.stop();
  await plain[Symbol.asyncDispose]();
  try {
    await assertNoLeaks();
  } catch (error) {
    if (error instanceof FixtureLeakError) console.log(error.leaks.map((l) => l.pid), error.code);
  }
  void [port, url, status, none, bad, typed, useNodeTestFixture];
}

// The option types of the backoff builders, and the argument of defineGlobalSetup()'s function.
import { backoff, type ExponentialBackoffOptions, type FixedBackoffOptions, type LinearBackoffOptions } from 'procvisor';
import { defineGlobalSetup, type GlobalSetupContext } from 'procvisor/vitest';

const slow: ExponentialBackoffOptions = { initial: '1s', factor: 3, max: '1m' };
const steady: FixedBackoffOptions = { resetAfter: '5m' };
export const backoffs: ProcessSpec['backoff'][] = [backoff.exponential(slow), backoff.linear({ step: '1s' } satisfies LinearBackoffOptions), backoff.fixed('1s', steady)];
// @ts-expect-error: the type is the builder's, not an option
export const linear: ExponentialBackoffOptions = { type: 'linear' };
export const setup: (context: GlobalSetupContext) => Promise<() => Promise<void>> = defineGlobalSetup({});
`;

/** The command-line project: two scripts for `run`, a config and a Procfile for `start`. */
const CLI_FILES = {
  'a.js': "console.log('a says hi'); setTimeout(() => { console.error('a fails'); process.exit(3); }, 300);",
  'b.js': "console.log('b runs'); setInterval(() => {}, 1000);",
  'steady.js': "console.log('steady ' + process.pid); setInterval(() => {}, 1000);",
  // Crashes at once the first time (a marker file remembers), then stays up.
  'crash-once.js': `
    import fs from 'node:fs';
    if (!fs.existsSync('crashed.flag')) { fs.writeFileSync('crashed.flag', ''); console.log('crashing'); process.exit(1); }
    console.log('up again ' + process.pid); setInterval(() => {}, 1000);`,
  'procvisor.config.ts': `import { defineConfig } from 'procvisor';

export default defineConfig({
  processes: [
    { name: 'steady', command: 'node', args: ['steady.js'], readiness: { type: 'log', pattern: /^steady \\d+/ } },
    { name: 'crasher', command: 'node', args: ['crash-once.js'] },
  ],
  manager: { backoff: { type: 'fixed', delay: 50 } },
});
`,
  'Procfile': 'steady: node steady.js\ncrasher: node crash-once.js\n',
  'bad.config.json': JSON.stringify({ processes: [{ name: 'web', command: 'node', restart: 'sometimes' }, { name: 'api', command: 'node', readiness: { type: 'http' } }] }),
};

/**
 * Runs \`procvisor start\` in \`dir\` until its output shows \`crasher\` up again after its crash,
 * then sends SIGINT and waits for the exit. Resolves with the exit code and the output.
 */
function startUntilRestarted(cli, dir, args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'start', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let interrupted = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const onData = (chunk) => {
      output += chunk.toString();
      if (!interrupted && /up again \d+/.test(output) && /steady \d+/.test(output)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output, interrupted });
    });
  });
}

/** A node:test file that starts a fixture and never stops it: the file must still end, and the fixture with it. */
const FORGOTTEN_FIXTURE = `\
import { test } from 'node:test';
import { startFixture } from 'procvisor/node-test';

test('starts a fixture and forgets it', async () => {
  const f = await startFixture({ command: process.execPath, args: ['-e', "console.log('up'); setInterval(() => {}, 1000)"], readiness: { type: 'log', pattern: /up/ } });
  console.log('fixture pid ' + f.pid);
});
`;

/** The only classes the declarations may contain: the manager and the errors. Nothing internal. */
const PUBLIC_CLASSES = new Set(['ProcessManager', ...EXPORTS.filter((name) => name.endsWith('Error'))]);

/**
 * Names of src/'s internals, which no declaration file may declare or export (as a class, an
 * interface, a type, a function or a constant, or in an \`export { … }\` list): the process worker, its
 * host and incarnations; supervisors, their child records and mailboxes; the handle class behind
 * the \`Handle\` type; output ring buffers and line splitters; the job runner and its slots; resource
 * samplers and monitors; health aggregation; the IPC channel; the socket registry; the reaper; tree
 * tracking and cgroups; fixture internals; the tuning values; and every resolved spec type
 * (\`ResolvedProcessSpec\`: defaults filled, durations parsed). Public names that merely start the
 * same way (\`SupervisorSpec\`, \`UsageHistoryOptions\`, \`RestartBudgetSpec\`, \`ReapOptions\`) do not match.
 */
const INTERNAL_NAMES =
  /^(?:ProcessWorker|WorkerHost|Supervisor|SupervisorHost|Incarnation\w*|ChildRecord|ChildHandle|Mailbox|RingBuffer|LineSplitter|PartialFlusher|JobRunner|Slots|Sampler|SamplerBackend|ResourceMonitor|LimitMonitor|HealthAggregator|HeartbeatMonitor|IpcChannel|SocketRegistry|Reaper\w*|TreeTracker|TreeCgroup|ProcTable|DeferredFixture|ReadinessTrace|RestartBudget|UsageHistory|LoopHold|TUNING|Resolved[A-Z]\w*)$/;

/** The names a declaration file declares at its top level or lists in its \`export { … }\` clauses (both sides of \`as\`). */
function declaredNames(text) {
  const names = new Set();
  const declaration = /^(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|interface|type|enum|function|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)/gm;
  for (const m of text.matchAll(declaration)) names.add(m[1]);
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const item of m[1].split(',')) {
      const parts = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/);
      for (const part of parts) if (part) names.add(part.trim());
    }
  }
  return names;
}

/** The ESM check: start and shut down a tiny process, report its pid. */
const ESM_CHECK = `\
import * as procvisor from 'procvisor';
import { ProcessManager } from 'procvisor';
import * as child from 'procvisor/child';

const missing = [
  ...${JSON.stringify(EXPORTS)}.filter((name) => procvisor[name] === undefined),
  ...${JSON.stringify(CHILD_EXPORTS)}.filter((name) => typeof child[name] !== 'function').map((name) => 'procvisor/child:' + name),
];
if (missing.length > 0) throw new Error('missing exports: ' + missing.join(', '));
if (child.isSupervised() !== false) throw new Error('isSupervised() is true outside a supervisor');

const pm = new ProcessManager();
let pid;
try {
  const handle = await pm.start({
    name: 'tiny',
    command: process.execPath,
    args: ['-e', "console.log('up'); setInterval(() => {}, 1000)"],
    readiness: { type: 'log', pattern: /up/ },
  });
  pid = handle.pid;
  process.kill(pid, 0);
} finally {
  await pm.shutdown();
}
let gone = false;
try {
  process.kill(pid, 0);
} catch (error) {
  gone = error.code === 'ESRCH';
}
if (!gone) throw new Error('process ' + pid + ' still runs after shutdown()');
console.log('pid ' + pid);
`;

const REQUIRE_CHECK = `\
const procvisor = require('procvisor');
const child = require('procvisor/child');
if (typeof procvisor.ProcessManager !== 'function') throw new Error('require: no ProcessManager');
if (typeof child.isSupervised !== 'function') throw new Error('require: no procvisor/child isSupervised');
`;

let failed = 0;
function report(ok, what, detail = '') {
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}`);
}

/** Runs a command; returns its result, never throws. */
function run(command, args, opts = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return { ok: result.status === 0, status: result.status ?? result.signal ?? result.error?.message, stdout: result.stdout ?? '', output };
}

/** npm itself: the one running this script when there is one, else `npm` from the PATH. */
function npm(args, cwd) {
  const cli = process.env.npm_execpath;
  if (cli && /\.c?js$/.test(cli)) return run(process.execPath, [cli, ...args], { cwd });
  return run('npm', args, { cwd, shell: process.platform === 'win32' });
}

/** Prints the output of a failed step, indented. */
function show(result) {
  if (result.output) console.log(result.output.replace(/^/gm, '     '));
}

/**
 * Live processes (zombies left out) whose environment holds `key=value`: what the ESM check left
 * behind. Linux only (reads /proc); elsewhere the check relies on the program having exited.
 */
function marked(key, value) {
  if (process.platform !== 'linux') return [];
  const needle = `${key}=${value}\0`;
  const found = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(') ') + 2))) continue;
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (environ.startsWith(needle) || environ.includes(`\0${needle}`)) found.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Reports whether anything carrying the smoke mark still runs (waiting up to 2 s), and kills it. */
async function expectNoneLeft(mark, what) {
  let left = marked('PROCVISOR_SMOKE', mark);
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = marked('PROCVISOR_SMOKE', mark);
  }
  report(left.length === 0, what, left.length ? `still running: ${left.join(' ')}` : '');
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.log('FAIL dist/ is missing: run `npm run build` first');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'procvisor-smoke-'));
try {
  // 1. The tarball.
  const packDir = join(tmp, 'pack');
  mkdirSync(packDir);
  const pack = npm(['pack', '--json', '--pack-destination', packDir], root);
  let tarball;
  if (pack.ok) {
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
    tarball = join(packDir, info.filename);
    const files = info.files.map((f) => f.path);
    const required = ['package.json', 'README.md', 'LICENSE', ...['index', 'child', 'testing', 'vitest', 'node-test'].flatMap((e) => [`dist/${e}.js`, `dist/${e}.d.ts`])];
    const absent = required.filter((f) => !files.includes(f));
    const stray = files.filter((f) => /^(src|test|scripts|bench|examples|docs)\//.test(f) || f.endsWith('.tgz'));
    report(absent.length === 0 && stray.length === 0, `npm pack: ${info.filename}, ${files.length} files`, [
      absent.length ? `missing ${absent.join(', ')}` : '',
      stray.length ? `should not ship ${stray.join(', ')}` : '',
    ].filter(Boolean).join('; '));
  } else {
    report(false, 'npm pack', `exit ${pack.status}`);
    show(pack);
    throw new Error('no tarball');
  }

  // 2. A fresh project installing it, with the TypeScript and @types/node we develop against.
  const project = join(tmp, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'procvisor-smoke', private: true, type: 'module' }, null, 2)}\n`);
  const install = npm(
    [
      'install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--no-package-lock',
      tarball,
      `typescript@${ours.devDependencies.typescript}`,
      `@types/node@${ours.devDependencies['@types/node']}`,
      `vitest@${ours.devDependencies.vitest}`,
      `prom-client@${ours.devDependencies['prom-client']}`,
    ],
    project,
  );
  report(install.ok, 'npm install of the tarball in a fresh project', install.ok ? '' : `exit ${install.status}`);
  if (!install.ok) {
    show(install);
    throw new Error('install failed');
  }
  const installed = JSON.parse(readFileSync(join(project, 'node_modules', 'procvisor', 'package.json'), 'utf8'));
  const meta = ['repository', 'homepage', 'bugs'].filter((key) => installed[key] === undefined);
  report(meta.length === 0, 'package.json: repository, homepage, bugs', meta.length ? `missing ${meta.join(', ')}` : '');

  // 3. ESM: import, start and shut down a process; the program must then exit by itself.
  writeFileSync(join(project, 'esm.mjs'), ESM_CHECK);
  const mark = `${process.pid}-${Date.now()}`;
  const esm = run(process.execPath, ['esm.mjs'], { cwd: project, timeout: 30_000, env: { ...process.env, PROCVISOR_SMOKE: mark } });
  report(esm.ok, "import { ProcessManager } from 'procvisor': start, shutdown, exit", esm.ok ? esm.output.split('\n').pop() : `exit ${esm.status}`);
  if (!esm.ok) show(esm);
  await expectNoneLeft(mark, 'no process left running');

  // 3b. The test entries: names present.
  const entries = run(process.execPath, ['--input-type=module', '-e', `
    const wanted = ${JSON.stringify(TEST_EXPORTS)};
    const missing = [];
    for (const [entry, names] of Object.entries(wanted)) {
      const m = await import(entry);
      for (const name of names) if (m[name] === undefined) missing.push(entry + ':' + name);
    }
    if (missing.length > 0) throw new Error('missing exports: ' + missing.join(', '));
  `], { cwd: project, timeout: 30_000 });
  report(entries.ok, 'procvisor/testing, procvisor/vitest, procvisor/node-test, procvisor/prometheus, procvisor/export export their names', entries.ok ? '' : `exit ${entries.status}`);
  if (!entries.ok) show(entries);

  // 3c. The example test projects, as a user's: vitest (files in parallel, ports of their own, a
  // shared fixture) and node:test; then a node:test file that forgets its fixture.
  for (const name of ['vitest', 'node-test']) cpSync(join(root, 'examples', name), join(project, `${name}-example`), { recursive: true });
  const vitestRun = run(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', 'vitest-example'], { cwd: project, timeout: 90_000, env: { ...process.env, PROCVISOR_SMOKE: mark } });
  report(vitestRun.ok, 'examples/vitest passes in the fresh project (useFixture, port auto, files in parallel)', vitestRun.ok ? '' : `exit ${vitestRun.status}`);
  if (!vitestRun.ok) show(vitestRun);
  const nodeTestRun = run(process.execPath, ['--test', 'node-test-example/'], { cwd: project, timeout: 60_000, env: { ...process.env, PROCVISOR_SMOKE: mark } });
  report(nodeTestRun.ok, 'examples/node-test passes in the fresh project', nodeTestRun.ok ? '' : `exit ${nodeTestRun.status}`);
  if (!nodeTestRun.ok) show(nodeTestRun);
  writeFileSync(join(project, 'forgotten.test.mjs'), FORGOTTEN_FIXTURE);
  const forgotten = run(process.execPath, ['--test', 'forgotten.test.mjs'], { cwd: project, timeout: 30_000, env: { ...process.env, PROCVISOR_SMOKE: mark } });
  report(forgotten.ok, 'a node:test file that forgets its fixture exits by itself', forgotten.ok ? '' : `exit ${forgotten.status}`);
  if (!forgotten.ok) show(forgotten);
  await expectNoneLeft(mark, 'no process left running after the test projects');

  // 3d. The command line, as installed: node_modules/.bin/procvisor (what npx runs).
  const cliDir = join(project, 'cli-example');
  mkdirSync(cliDir);
  for (const [name, text] of Object.entries(CLI_FILES)) writeFileSync(join(cliDir, name), text);
  const cli = join(project, 'node_modules', 'procvisor', 'dist', 'cli.js');
  const bin = join(project, 'node_modules', '.bin', 'procvisor');
  report(existsSync(bin), 'the package installs the procvisor command (node_modules/.bin/procvisor)');
  const smokeEnv = { ...process.env, PROCVISOR_SMOKE: mark, NO_COLOR: '1' };
  const runCli = run(bin, ['run', '--kill-others-on-fail', '--', 'node a.js', 'node b.js'], { cwd: cliDir, timeout: 30_000, env: smokeEnv });
  const runOk = runCli.status === 3 && /^\[0\]\s+a says hi$/m.test(runCli.output) && /^\[1\]\s+b runs$/m.test(runCli.output) && /^\[0\]!\s*a fails$/m.test(runCli.output);
  report(runOk, 'procvisor run --kill-others-on-fail: both outputs prefixed, the survivor killed, exit code 3', runOk ? '' : `exit ${runCli.status}`);
  if (!runOk) show(runCli);
  for (const [what, args] of [['a TypeScript config', []], ['a Procfile', ['Procfile']]]) {
    rmSync(join(cliDir, 'crashed.flag'), { force: true });
    const started = await startUntilRestarted(cli, cliDir, args, smokeEnv);
    const ok = started.interrupted && started.code === 0 && /crasher/.test(started.output) && /steady spawned|steady.*ready|running/.test(started.output);
    report(ok, `procvisor start with ${what}: starts everything, restarts the crasher, stops on SIGINT (exit 0)`, ok ? '' : `exit ${started.code}`);
    if (!ok) console.log(started.output.replace(/^/gm, '     '));
  }
  const check = run(bin, ['check', 'bad.config.json'], { cwd: cliDir, timeout: 30_000, env: smokeEnv });
  const checkOk = check.status === 1 && check.output.includes('processes[0].restart') && check.output.includes('processes[1].readiness');
  report(checkOk, 'procvisor check: a bad config reported by field path, exit 1', checkOk ? '' : `exit ${check.status}`);
  if (!checkOk) show(check);
  await expectNoneLeft(mark, 'no process left running after the command line');

  // 4. require(ESM), as a CommonJS user does it.
  const cjs = run(process.execPath, ['-e', REQUIRE_CHECK], { cwd: project, timeout: 30_000 });
  report(cjs.ok, "require('procvisor') and require('procvisor/child')", cjs.ok ? '' : `exit ${cjs.status}`);
  if (!cjs.ok) show(cjs);

  // 5. The declarations name no internal class (process worker, supervisor, incarnation, ring
  // buffer, resolved specs): users get the manager, the errors, and types. Nor any internal type:
  // no declared or exported name is one of src/'s internals (INTERNAL_NAMES).
  const dist = join(project, 'node_modules', 'procvisor', 'dist');
  const declared = new Set();
  const internalNames = new Set();
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(join(dist, file), 'utf8');
    for (const m of text.matchAll(/declare (?:abstract )?class (\w+)/g)) declared.add(m[1]);
    for (const name of declaredNames(text)) if (INTERNAL_NAMES.test(name)) internalNames.add(`${name} (${file})`);
  }
  const internal = [...declared].filter((name) => !PUBLIC_CLASSES.has(name));
  report(internal.length === 0, 'declarations hold no internal class', internal.length ? `found: ${internal.join(', ')}` : '');
  report(internalNames.size === 0, 'declarations declare and export no internal name', internalNames.size ? `found: ${[...internalNames].join(', ')}` : '');

  // 6. The types, under both module resolutions a user is likely to pick.
  writeFileSync(join(project, 'check.mts'), TYPE_CHECK);
  const common = { strict: true, noEmit: true, target: 'ES2022', types: ['node'], skipLibCheck: false };
  const configs = {
    'tsconfig.node16.json': { ...common, module: 'node16', moduleResolution: 'node16' },
    'tsconfig.bundler.json': { ...common, module: 'esnext', moduleResolution: 'bundler' },
  };
  const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [file, compilerOptions] of Object.entries(configs)) {
    writeFileSync(join(project, file), `${JSON.stringify({ compilerOptions, files: ['check.mts'] }, null, 2)}\n`);
    const types = run(process.execPath, [tsc, '-p', file], { cwd: project, timeout: 60_000 });
    report(types.ok, `tsc --noEmit (strict, module ${compilerOptions.module}, moduleResolution ${compilerOptions.moduleResolution})`, types.ok ? '' : `exit ${types.status}`);
    if (!types.ok) show(types);
  }
} catch (error) {
  if (failed === 0) report(false, 'smoke test', String(error));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`${failed === 0 ? 'ok  ' : 'FAIL'} package smoke test: ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
if (failed > 0) process.exit(1);
