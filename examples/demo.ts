/**
 * The procvisor demo: three processes, one of which keeps crashing. Watch procvisor restart it with
 * exponential backoff, then shut everything down cleanly — no process left behind.
 *
 *   npm install && npm run demo
 *
 * In your own project, import from 'procvisor' instead of '../src/index.js'.
 */
import { ProcessManager } from '../src/index.js';

const node = process.execPath;
const t0 = Date.now();
const log = (text: string): void => console.log(`${String(Date.now() - t0).padStart(5)} ms  ${text}`);

// `await using` (TypeScript 5.2+, or tsx) shuts the manager down when the module ends; in plain
// JavaScript on Node 20 write `const pm = new ProcessManager(); try { … } finally { await pm.shutdown(); }`.
await using pm = new ProcessManager();

pm.on('spawn', (e) => log(`spawn    ${e.name} (pid ${e.pid}${e.restarts ? `, restart #${e.restarts}` : ''})`));
pm.on('ready', (e) => log(`ready    ${e.name}`));
pm.on('output', (e) => log(`output   ${e.name}: ${e.line}`));
pm.on('exit', (e) => log(`exit     ${e.name}: code ${e.exitCode}, ${e.class}${e.willRestart ? ', will restart' : ''}`));
pm.on('restart', (e) => log(`restart  ${e.name}: attempt ${e.attempt} in ${e.delay} ms`));
pm.on('give-up', (e) => log(`give-up  ${e.name}: more than ${e.maxRestarts} restarts in ${e.period} ms`));
pm.on('stop', (e) => log(`stop     ${e.name} (${e.signal ?? `code ${e.exitCode}`})`));

// A "database" that takes a moment to be ready: `start` resolves only once it says so.
await pm.start({
  name: 'db',
  command: node,
  args: ['-e', `setTimeout(() => console.log('ready to accept connections'), 300); setInterval(() => {}, 1000)`],
  readiness: { type: 'log', pattern: /ready to accept connections/ },
});

// An API server started after the database is ready.
await pm.start({
  name: 'api',
  command: node,
  args: ['-e', `console.log('listening on 127.0.0.1:8080'); setInterval(() => {}, 1000)`],
  readiness: { type: 'log', pattern: /listening on (\S+)/ },
});
log(`api is up, readyData[1] = ${String((pm.get('api')?.readyData as string[] | undefined)?.[1])}`);

// A worker with a bug: it crashes after 400 ms. Backoff paces the restarts; after 4 restarts in
// 10 s procvisor gives up on it, and the rest keeps running.
await pm.start({
  name: 'worker',
  command: node,
  args: ['-e', `console.log('working…'); setTimeout(() => { console.error('boom'); process.exit(1); }, 400)`],
  backoff: { type: 'exponential', initial: 100, factor: 2, max: 2000 },
  intensity: { maxRestarts: 4, period: '10s' },
});

await pm.get('worker')?.waitFor('failed', { timeout: 15_000 });

console.log('\nWhat the manager holds now:');
console.table(pm.list().map(({ name, state, pid, restarts }) => ({ name, state, pid: pid ?? '-', restarts })));

log('shutting down (reverse start order)');
await pm.shutdown();
log('all processes stopped — bye');
