/**
 * Starts N idle children one way (`raw` or `procvisor`) and prints the host's memory growth per
 * child as JSON. Run by bench/core.ts in a fresh process per variant so the figures don't mix.
 */
import { procvisor } from './lib.js';
import { spawnIdle } from './idle-children.js';

const { ProcessManager } = await procvisor();

const variant = process.argv[2] ?? 'raw';
const n = Number(process.argv[3] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function used(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.rss;
}

const before = used();
let cleanup: () => Promise<void>;
if (variant === 'raw') {
  const children = await spawnIdle(n);
  cleanup = async () => {
    for (const child of children) process.kill(-(child.pid as number), 'SIGKILL');
  };
} else {
  const pm = new ProcessManager();
  await Promise.all(Array.from({ length: n }, (_, i) => pm.start({ name: `idle-${i}`, command: 'sleep', args: ['600'], shutdown: 'kill' })));
  cleanup = () => pm.shutdown();
}
await new Promise((resolve) => setTimeout(resolve, 200));
const after = used();
await cleanup();
console.log(JSON.stringify({ variant, n, perChild: Math.max(0, after - before) / n }));
process.exit(0);
