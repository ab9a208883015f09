/**
 * A supervision tree: a database-like server, an API that starts only once the database accepts
 * connections, and a pool of workers. The API depends on the database, so the tree is rest-for-one:
 * when the database crashes, everything started after it (the API and the workers) is restarted
 * too. The workers sit in their own one-for-one supervisor (`instances: 3`), so a crashing worker
 * touches nobody else.
 *
 *   npx tsx examples/supervision-tree.ts
 */
import { createServer } from 'node:net';
import { ProcessManager } from '../src/index.js';

const node = process.execPath;

/**
 * A free TCP port on 127.0.0.1 for the "database", below the OS's ephemeral range (20000–29999):
 * a port from that range (what a listen on port 0 gives) may meet a readiness probe's own source
 * port while nothing listens yet, and a TCP self-connect would hold it against the database.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}
const port = await freePort();

// A tiny TCP server standing in for a database: it takes 300 ms to open its port.
const database = `
  const net = require('node:net');
  setTimeout(() => net.createServer((s) => s.end('ok\\n')).listen(${port}, '127.0.0.1', () => console.log('db: accepting connections')), 300);
`;
// An API that connects to the database once at start.
const api = `
  const net = require('node:net');
  net.connect(${port}, '127.0.0.1', () => { console.log('api: connected to db, serving'); }).on('error', (e) => { console.error(e.message); process.exit(1); });
  setInterval(() => {}, 1000);
`;
const worker = `console.log('worker ' + process.env.PROCVISOR_INSTANCE + ' up'); setInterval(() => {}, 1000);`;

// `await using` (TypeScript 5.2+, or tsx) shuts the manager down when the module ends; in plain
// JavaScript on Node 20 write `const pm = new ProcessManager(); try { … } finally { await pm.shutdown(); }`.
await using pm = new ProcessManager({ backoff: { type: 'fixed', delay: 100 } });
pm.on('ready', (e) => console.log(`ready             ${e.path.join(' / ')}`));
pm.on('exit', (e) => console.log(`exit              ${e.path.join(' / ')} (${e.signal ?? e.exitCode}, ${e.class})`));
pm.on('supervisor:restart', (e) => console.log(`supervisor:restart ${e.name}: ${e.strategy} after ${e.child} → ${e.children.join(', ')}`));

await pm.start({
  name: 'app',
  strategy: 'rest-for-one',
  intensity: { maxRestarts: 3, period: '10s' },
  children: [
    { name: 'db', command: node, args: ['-e', database], readiness: { type: 'tcp', port } },
    { name: 'api', command: node, args: ['-e', api], readiness: { type: 'log', pattern: /serving/ } },
    { name: 'workers', command: node, args: ['-e', worker], instances: 3 },
  ],
});

console.log('\nThe tree:');
for (const s of pm.list()) console.log(`${'  '.repeat(s.depth)}${s.name} (${s.kind}, ${s.state}${s.pid ? `, pid ${s.pid}` : ''})`);

const before = Object.fromEntries(pm.list().map((s) => [s.name, s.pid]));
console.log('\nKilling the database…');
process.kill(pm.get('db')?.pid ?? 0, 'SIGKILL');
await new Promise<void>((resolve) => pm.once('supervisor:restart', () => resolve()));
await pm.get('api')?.waitFor('running', { timeout: 10_000 });
await pm.get('workers#2')?.waitFor('running', { timeout: 10_000 });

console.log('\nWho got a new pid:');
for (const s of pm.list().filter((s) => s.kind === 'process')) {
  console.log(`  ${s.name.padEnd(10)} ${before[s.name] === s.pid ? 'kept' : 'restarted'}`);
}
const pids = Object.fromEntries(pm.list().map((s) => [s.name, s.pid]));
console.log('\nKilling workers#1…');
process.kill(pm.get('workers#1')?.pid ?? 0, 'SIGKILL');
await new Promise<void>((resolve) => pm.once('spawn', () => resolve()));
await pm.get('workers#1')?.waitFor('running', { timeout: 10_000 });
const changed = pm.list().filter((s) => s.kind === 'process' && s.pid !== pids[s.name]).map((s) => s.name);
console.log(`restarted: ${changed.join(', ')}`);

await pm.shutdown();
console.log('\nshut down in reverse start order; nothing left running');
