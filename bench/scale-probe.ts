/**
 * One side of the scale benchmark, in a fresh Node process (bench/scale.ts runs it): starts N idle
 * children (`raw` child_process or `procvisor`), then prints as JSON the time to start them all,
 * the host's memory growth per child, the host's CPU while they idle, and the time to stop them all.
 */
import { procvisor } from './lib.js';
import { spawnIdle } from './idle-children.js';

const { ProcessManager } = await procvisor();

const variant = process.argv[2] ?? 'raw';
const n = Number(process.argv[3] ?? 100);
const IDLE_MS = 2000;
/** Time after the starts before anything is measured: what a start leaves behind (garbage, the reaper's first reads) settles. */
const SETTLE_MS = 3000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function rss(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

const before = rss();
let stop: () => Promise<void>;
const started = performance.now();
if (variant === 'raw') {
  const children = await spawnIdle(n);
  stop = async () => {
    const exits = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    for (const child of children) process.kill(-(child.pid as number), 'SIGTERM');
    await Promise.all(exits);
  };
} else {
  const pm = new ProcessManager();
  await Promise.all(Array.from({ length: n }, (_, i) => pm.start({ name: `idle-${i}`, command: 'sleep', args: ['600'] })));
  stop = () => pm.shutdown();
}
const startMs = performance.now() - started;
await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
const memPerChild = (rss() - before) / n;
// The forced collections above leave the GC's helper threads sweeping for a while: let them finish
// before the CPU window, which is about what the host does while nothing happens.
await new Promise((resolve) => setTimeout(resolve, 1000));
const cpuBefore = process.cpuUsage();
const idleFrom = performance.now();
await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
const cpu = process.cpuUsage(cpuBefore);
const idleCpuMsPerS = ((cpu.user + cpu.system) / 1000 / (performance.now() - idleFrom)) * 1000;
const stopFrom = performance.now();
await stop();
const shutdownMs = performance.now() - stopFrom;
console.log(JSON.stringify({ variant, n, startMs, memPerChild, idleCpuMsPerS, shutdownMs }));
process.exit(0);
