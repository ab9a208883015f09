/**
 * A leaky worker under a memory limit: procvisor samples it (and its whole process tree) every
 * 200 ms, warns when it crosses 100 MB, and restarts it gracefully once it has stayed above 150 MB
 * for 600 ms — a sustained breach, not a spike.
 *
 *   npx tsx examples/memory-limit.ts
 */
import { ProcessManager } from '../src/index.js';

const leaky = `
  const hoard = [];
  setInterval(() => { hoard.push(Buffer.alloc(20 * 1024 * 1024, 1)); }, 200);
  console.log('leaking 20 MB every 200 ms');
`;

// `await using` (TypeScript 5.2+, or tsx) shuts the manager down when the module ends; in plain
// JavaScript on Node 20 write `const pm = new ProcessManager(); try { … } finally { await pm.shutdown(); }`.
await using pm = new ProcessManager({ sampling: { interval: 200 } });
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

pm.on('usage', (e) => console.log(`usage   ${e.name}: ${mb(e.usage.tree.memory)} in ${e.usage.tree.pids} process(es), cpu ${e.usage.cpu.toFixed(0)} %`));
pm.on('limit', (e) => console.log(`limit   ${e.name}: ${e.resource} ${e.level} — ${mb(e.value)} over ${mb(e.limit)} → ${e.action}`));
pm.on('health', (e) => console.log(`health  ${e.name}: ${e.previous} → ${e.status} (${e.source})`));
pm.on('exit', (e) => console.log(`exit    ${e.name}: reason ${e.reason}, class ${e.class}, restart ${e.willRestart}`));
pm.on('spawn', (e) => console.log(`spawn   ${e.name} pid ${e.pid}`));

const worker = await pm.start({
  name: 'leaky',
  command: process.execPath,
  args: ['-e', leaky],
  limits: { memory: '150MB', for: '600ms', action: 'restart', warning: { memory: '100MB' } },
  shutdown: { timeout: '2s' },
});

// Wait for the limit to restart it once.
await new Promise<void>((resolve) => pm.once('restart', () => resolve()));
await worker.waitFor('running', { timeout: 10_000 });
const stats = worker.usageHistory();
console.log(`peak before the restart: ${mb(stats.peak?.tree.memory ?? 0)} over ${stats.samples.length} samples`);
await pm.shutdown();
console.log('done');
