/**
 * `procvisor run` against `concurrently`, each running the same 10 trivial commands (`echo`, through
 * a shell) side by side with prefixed output, as a user runs them from a terminal or a CI step:
 *   - wall time, from the spawn of the runner to its exit;
 *   - peak memory (resident set high-water mark, `VmHWM` of the runner process, Linux), read until
 *     it exits.
 * Medians of `RUNS` rounds, the two taking turns. Needs the build (`npm run build`): the command is
 * run as users run it, from dist/cli.js.
 *
 * Standalone: `npx tsx bench/cli.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchFigure } from './lib.js';
import { formatFigure, median } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.PROCVISOR_BENCH_RUNS ?? 9);
const COMMANDS = Array.from({ length: 10 }, (_, i) => `echo command ${i}`);

interface Sample {
  wallMs: number;
  peakKiB: number;
}

/** The runner's peak resident set so far, in KiB, or 0 once it is gone. */
function highWaterMark(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function measure(args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let peak = 0;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const poll = setInterval(() => (peak = Math.max(peak, highWaterMark(child.pid as number))), 2);
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      clearInterval(poll);
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}:\n${output}`));
      else if (!COMMANDS.every((_, i) => output.includes(`command ${i}`))) reject(new Error(`missing output:\n${output}`));
      else resolve({ wallMs, peakKiB: peak });
    });
  });
}

export async function run(): Promise<BenchFigure[]> {
  const cli = `${ROOT}dist/cli.js`;
  if (!existsSync(cli)) throw new Error('bench cli: run `npm run build` first (it measures dist/cli.js)');
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(await measure([cli, 'run', '--', ...COMMANDS]));
    theirs.push(await measure([`${ROOT}node_modules/concurrently/dist/bin/concurrently.js`, ...COMMANDS]));
  }
  const wall = (s: Sample[]): number => median(s.map((x) => x.wallMs));
  const peak = (s: Sample[]): number => median(s.map((x) => x.peakKiB)) / 1024;
  return [
    { name: 'procvisor run, 10 commands: wall time', unit: 'ms', value: wall(ours), baseline: wall(theirs), baselineName: 'concurrently', goal: { ratio: 1 } },
    { name: 'procvisor run, 10 commands: peak memory', unit: 'MB', value: peak(ours), baseline: peak(theirs), baselineName: 'concurrently', goal: { ratio: 1 } },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const figure of await run()) console.log(formatFigure(figure));
}
