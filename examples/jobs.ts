/**
 * One-shot jobs with `pm.run()`: a job that succeeds, a flaky one retried until it passes, one
 * over its timeout (stopped with its whole tree), one cancelled, and a batch run two at a time.
 *
 *   npx tsx examples/jobs.ts
 *
 * In your own project, import from 'procvisor' instead of '../src/index.js'.
 */
import { ProcessManager, type JobResult } from '../src/index.js';

const node = process.execPath;
const t0 = Date.now();
const log = (text: string): void => console.log(`${String(Date.now() - t0).padStart(5)} ms  ${text}`);
const show = (name: string, r: JobResult): void =>
  log(`${name}: ${r.status}, exit ${r.signal ?? r.exitCode}, ${r.attempts} attempt(s), ${r.durationMs} ms, last line: ${JSON.stringify(r.output.at(-1)?.line)}`);

// `await using` (TypeScript 5.2+, or tsx) shuts the manager down when the module ends; in plain
// JavaScript on Node 20 write `const pm = new ProcessManager(); try { … } finally { await pm.shutdown(); }`.
await using pm = new ProcessManager({ maxConcurrentJobs: 2 });
pm.on('restart', (e) => log(`  ${e.name}: attempt ${e.attempt} failed, retrying in ${e.delay} ms`));

// 1. A job that succeeds; the secret it prints is masked in its output.
const build = await pm.run({
  name: 'build',
  command: node,
  args: ['-e', `console.log('compiling with token s3cr3t'); console.log('done')`],
  output: { mask: ['s3cr3t'] },
});
show('build', build);
log(`build output: ${build.output.map((l) => JSON.stringify(l.line)).join(', ')}`);

// 2. A flaky job: fails twice (exit 1), then succeeds. Attempts are counted.
const state = `${process.pid}-${Date.now()}`;
show('flaky', await pm.run({
  name: 'flaky',
  command: node,
  args: ['-e', `
    const fs = require('node:fs'), f = require('node:os').tmpdir() + '/procvisor-example-${state}';
    const n = (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0) + 1;
    if (n >= 3) fs.rmSync(f); else fs.writeFileSync(f, String(n));
    console.log('attempt ' + n); process.exit(n >= 3 ? 0 : 1);`],
  retries: 3,
  retryBackoff: { type: 'exponential', initial: '50ms', factor: 2 },
}));

// 3. A job over its timeout: it and the sleeper it started are stopped (SIGTERM, then SIGKILL).
show('slow', await pm.run({
  name: 'slow',
  command: node,
  args: ['-e', `require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' }); console.log('working...'); setInterval(() => {}, 1000)`],
  timeout: '1s',
}));

// 4. A job cancelled through an AbortSignal.
const controller = new AbortController();
setTimeout(() => controller.abort(), 300);
show('cancelled', await pm.run({ name: 'long', command: node, args: ['-e', 'setTimeout(() => {}, 60_000)'] }, { signal: controller.signal }));

// 5. Four jobs, at most two at a time (`maxConcurrentJobs: 2`): the batch takes about two rounds.
const started = Date.now();
const batch = await Promise.all(
  [1, 2, 3, 4].map((i) => pm.run({ name: `part-${i}`, command: node, args: ['-e', `setTimeout(() => console.log('part ${i} done'), 300)`] })),
);
log(`batch: ${batch.map((r) => r.status).join(', ')} in ${Date.now() - started} ms (two at a time)`);

// The example checks itself, so a smoke run in CI fails when jobs misbehave.
const ok = build.status === 'succeeded' && batch.every((r) => r.status === 'succeeded');
process.exitCode = ok ? 0 : 1;
