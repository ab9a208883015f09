/**
 * An HTTP service kept alive by a liveness probe. The server listens on a port the OS picks (port 0)
 * and prints it; readiness waits for that line and keeps the port as `readyData`. A liveness probe
 * then asks `/health` every 300 ms. This server has a bug: 1.5 s after it starts, `/health` answers
 * 500. Watch its health go warning → critical → failed, procvisor restart it (on a new port), and the
 * new incarnation be healthy again. Then everything shuts down.
 *
 *   npx tsx examples/http-service.ts
 *
 * In your own project, import from 'procvisor' instead of '../src/index.js'.
 */
import { ProcessManager, type ProbeContext } from '../src/index.js';

const t0 = Date.now();
const log = (text: string): void => console.log(`${String(Date.now() - t0).padStart(5)} ms  ${text}`);

const server = `
  const started = Date.now();
  const server = require('node:http').createServer((req, res) => {
    const healthy = Date.now() - started < 1500;
    res.writeHead(healthy ? 200 : 500).end(healthy ? 'ok' : 'database connection lost');
  });
  server.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port));
`;

// `await using` (TypeScript 5.2+, or tsx) shuts the manager down when the module ends; in plain
// JavaScript on Node 20 write `const pm = new ProcessManager(); try { … } finally { await pm.shutdown(); }`.
await using pm = new ProcessManager();

pm.on('spawn', (e) => log(`spawn    ${e.name} (pid ${e.pid})`));
pm.on('ready', (e) => log(`ready    ${e.name} on port ${portOf(e.data)}`));
pm.on('health', (e) => log(`health   ${e.name}: ${e.previous} → ${e.status}${e.result?.message ? ` (${e.result.message})` : ''}`));
pm.on('exit', (e) => log(`exit     ${e.name}: ${e.class}, reason ${e.reason}${e.willRestart ? ', will restart' : ''}`));
pm.on('restart', (e) => log(`restart  ${e.name} in ${e.delay} ms`));
pm.on('stop', (e) => log(`stop     ${e.name}`));

/** The port from the readiness match `listening on (\d+)`. */
function portOf(readyData: unknown): number {
  return Number((readyData as RegExpMatchArray)[1]);
}

// The port changes with every incarnation, so the liveness check reads it from `readyData` (always
// the current incarnation's: liveness starts only once it is ready). With a fixed port you would
// simply write `{ type: 'http', url: 'http://127.0.0.1:8080/health', interval: 300 }`.
const health = async ({ signal }: ProbeContext): Promise<{ ok: boolean; message: string }> => {
  const port = portOf(pm.get('api')?.readyData);
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal });
  return { ok: response.ok, message: `HTTP ${response.status}: ${await response.text()}` };
};

const api = await pm.start({
  name: 'api',
  command: process.execPath,
  args: ['-e', server],
  readiness: { type: 'log', pattern: /listening on (\d+)/ },
  liveness: { type: 'custom', check: health, interval: 300, timeout: 1000, failureThreshold: 3 },
});
const firstPid = api.pid;
log(`api is ${api.state}, health ${api.health}`);

// Wait for the restart: a new incarnation, started and healthy.
await new Promise<void>((resolve) => {
  const onReady = (e: { name: string; pid?: number }): void => {
    if (e.name !== 'api' || e.pid === firstPid) return;
    pm.off('ready', onReady);
    resolve();
  };
  pm.on('ready', onReady);
});
log(`api restarted: pid ${firstPid} → ${api.pid}, restarts ${api.restarts}, health ${api.health}, last exit: ${api.lastExit?.reason}`);

log('shutting down');
await pm.shutdown();
log('done');
