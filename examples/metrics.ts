/**
 * A Prometheus `/metrics` endpoint for a ProcessManager (procvisor/prometheus, with prom-client
 * installed beside procvisor). It serves, fetches itself once, prints the first lines and exits.
 *
 *   npx tsx examples/metrics.ts
 *
 * In your own project, import from 'procvisor' and 'procvisor/prometheus' instead of '../src/….js'.
 */
import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import { ProcessManager } from '../src/index.js';
import { collectMetrics } from '../src/prometheus/index.js';

// `await using` (TypeScript 5.2+, or tsx) shuts the manager down when the module ends; in plain
// JavaScript on Node 20 write `const pm = new ProcessManager(); try { … } finally { await pm.shutdown(); }`.
await using pm = new ProcessManager({ sampling: { interval: '250ms' } });
const registry = new Registry();
collectMetrics(pm, { registry });
const server = createServer(async (req, res) => {
  if (req.url !== '/metrics') return void res.writeHead(404).end();
  res.writeHead(200, { 'Content-Type': registry.contentType }).end(await registry.metrics());
});
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));

// Something to watch: an idle Node process, and its first resource sample.
const api = await pm.start({ name: 'api', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1e6)'] });
await new Promise((resolve) => pm.once('usage', resolve));

const { port } = server.address() as { port: number };
const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
console.log(`pid ${api.pid}; GET /metrics →`);
console.log(text.split('\n').filter((line) => line.includes('procvisor_up') || line.includes('resident_memory_bytes{')).join('\n'));
server.close();
