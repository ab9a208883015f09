/**
 * A small `concurrently` on procvisor: a "server" and a "test suite" side by side with their output
 * prefixed on stdout; the tests' success stops the server (kill-others) and decides the result. Then
 * a build of three steps, two at a time, one of them flaky and restarted.
 *
 *   npx tsx examples/runner.ts
 *
 * In your own project, import from 'procvisor' instead of '../src/index.js'.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessManager, type RunAllResult } from '../src/index.js';

const node = process.execPath;
const summary = (r: RunAllResult): string =>
  `ok=${r.ok} exit=${r.exitCode}: ` + r.results.map((c) => `${c.name} ${c.status}${c.killed ? ' (killed)' : ''}${c.restarts ? `, ${c.restarts} restart(s)` : ''}`).join('; ');

// One job slot per command at least: runAll's commands are jobs of the manager.
// `await using` (TypeScript 5.2+, or tsx) shuts the manager down when the module ends; in plain
// JavaScript on Node 20 write `const pm = new ProcessManager(); try { … } finally { await pm.shutdown(); }`.
await using pm = new ProcessManager({ maxConcurrentJobs: 8 });
const detach = pm.pipeOutput(process.stdout, { timestamps: true });

// 1. A server that runs until stopped, and tests that talk for a while and pass. `--kill-others
//    --success command-tests` in concurrently's words.
const dev = await pm.runAll(
  [
    { name: 'server', command: node, args: ['-e', `console.log('listening on :8080'); setInterval(() => console.log('GET /health 200'), 150)`] },
    {
      name: 'tests',
      command: node,
      args: ['-e', `let n = 0; const t = setInterval(() => { console.log('test ' + ++n + ' passed'); if (n === 3) { console.error('1 warning'); clearInterval(t); } }, 120)`],
    },
  ],
  { killOthersOn: ['success', 'failure'], success: 'command-tests' },
);
console.log(summary(dev));

// 2. A build: at most two steps at once, a flaky step restarted up to twice, 50 ms apart.
const counter = join(tmpdir(), `procvisor-runner-example-${process.pid}`);
const build = await pm.runAll(
  [
    { name: 'types', command: node, args: ['-e', `setTimeout(() => console.log('types ok'), 200)`] },
    {
      name: 'bundle',
      command: node,
      args: ['-e', `
        const fs = require('node:fs'), f = ${JSON.stringify(counter)};
        const n = (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0) + 1;
        if (n >= 2) fs.rmSync(f); else fs.writeFileSync(f, String(n));
        if (n < 2) { console.error('bundle: out of luck, attempt ' + n); process.exit(1); }
        console.log('bundle ok after ' + n + ' attempts');`],
    },
    { name: 'docs', command: node, args: ['-e', `console.log('docs ok')`] },
  ],
  { maxConcurrent: 2, restartTries: 2, restartDelay: '50ms' },
);
console.log(summary(build));
detach();

// The example checks itself, so a smoke run in CI fails when the runner misbehaves.
const server = dev.results[0];
process.exitCode = dev.ok && server?.killed === true && build.ok && build.results[1]?.restarts === 1 ? 0 : 1;
