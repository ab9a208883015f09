/**
 * Benchmark harness: every figure is printed beside a baseline measured in the same run, as a ratio.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The latest modification time of a file under src/, in ms. */
function newestSource(): number {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  let newest = 0;
  for (const entry of readdirSync(src, { recursive: true, encoding: 'utf8' })) newest = Math.max(newest, statSync(join(src, entry)).mtimeMs);
  return newest;
}

/**
 * The package's entry as users import it, dist/index.js, built again first when the source changed
 * since (a stale build measures old code). Throws when the build fails.
 */
export function builtEntry(): string {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  if (!existsSync(dist) || newestSource() > statSync(dist).mtimeMs) {
    const build = spawnSync('npm', ['run', 'build'], { stdio: 'ignore' });
    if (build.status !== 0) throw new Error('`npm run build` failed: the benchmarks measure the build');
  }
  return dist;
}

/**
 * procvisor as users run it: the build ({@link builtEntry}), not the TypeScript source through a
 * loader (which costs a few percent on the hot paths), typed from the source.
 */
export async function procvisor(): Promise<typeof import('../src/index.js')> {
  return (await import(pathToFileURL(builtEntry()).href)) as typeof import('../src/index.js');
}

/** A port free right now on 127.0.0.1 (the OS's pick; whoever listens next takes it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One measured figure and its baseline. */
export interface BenchFigure {
  /** What was measured. */
  name: string;
  /** Unit of `value` and `baseline`, e.g. `ms`, `MB`, `%`. */
  unit: string;
  /** procvisor's figure. */
  value: number;
  /** The raw baseline's figure. */
  baseline: number;
  /** What the baseline is. */
  baselineName: string;
  /** The goal as a ratio (value / baseline) or as an absolute bound, for the report. */
  goal?: { ratio?: number; max?: number };
  /** Extra figures worth printing (e.g. a dependency measured for comparison). */
  notes?: string[];
}

/** Median costs of one run of a variant (see {@link interleaved}). */
export interface Cost {
  /** Median wall ms of one run. */
  wall: number;
  /** Median CPU ms of one run, every thread of this process (process.cpuUsage). */
  cpu: number;
}

/**
 * Runs each variant `runs` times after `warmUp` unmeasured rounds, the variants taking turns so that
 * drift on the host hits all alike, and returns the median wall and CPU time of each.
 */
export async function interleaved(variants: Record<string, () => unknown>, runs: number, warmUp: number): Promise<Record<string, Cost>> {
  const walls = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
  const cpus = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
  for (let run = -warmUp; run < runs; run++) {
    for (const [name, fn] of Object.entries(variants)) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      await fn();
      const wall = performance.now() - start;
      const used = process.cpuUsage(cpu);
      if (run < 0) continue;
      walls.get(name)?.push(wall);
      cpus.get(name)?.push((used.user + used.system) / 1000);
    }
  }
  return Object.fromEntries(Object.keys(variants).map((name) => [name, { wall: median(walls.get(name) ?? []), cpu: median(cpus.get(name) ?? []) }]));
}

/** Median of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `fn` `runs` times and returns the median duration in ms. */
export async function timeMedian(runs: number, fn: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Formats one figure as a report line. */
export function formatFigure(f: BenchFigure): string {
  const ratio = f.baseline > 0 ? f.value / f.baseline : Number.NaN;
  const goal = f.goal?.ratio !== undefined ? `goal ≤ ${f.goal.ratio}×` : f.goal?.max !== undefined ? `goal ≤ ${f.goal.max} ${f.unit}` : '';
  const met =
    f.goal?.ratio !== undefined ? ratio <= f.goal.ratio : f.goal?.max !== undefined ? f.value <= f.goal.max : undefined;
  const mark = met === undefined ? '' : met ? ' ✓' : ' ✗';
  const lines = [
    `${f.name}: ${f.value.toFixed(2)} ${f.unit} vs ${f.baselineName} ${f.baseline.toFixed(2)} ${f.unit} → ${ratio.toFixed(2)}× ${goal}${mark}`,
  ];
  for (const note of f.notes ?? []) lines.push(`    ${note}`);
  return lines.join('\n');
}
