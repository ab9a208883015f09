/**
 * Scale: N idle children held by raw child_process and by procvisor, each side in a fresh Node
 * process (bench/scale-probe.ts), alternating, for N = 100, 1000 and 5000: start time, host memory
 * per child (3 s after the starts), idle host CPU and shutdown time, each beside raw as a ratio;
 * the goals are marked at 1000, where issue #10 sets them. 5000 runs
 * once per side (it takes a while); set SCALE_MAX=1000 to skip it, or SCALE_RUNS to change the
 * repetitions.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, type BenchFigure } from './lib.js';

interface Probe {
  startMs: number;
  memPerChild: number;
  idleCpuMsPerS: number;
  shutdownMs: number;
}

const PROBE = fileURLToPath(new URL('./scale-probe.ts', import.meta.url));
/** The size issue #10 sets its goals at. */
const GOAL_SIZE = 1000;

function probe(variant: 'raw' | 'procvisor', n: number): Probe {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE, variant, String(n)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    timeout: 300_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Probe;
}

function medians(runs: Probe[]): Probe {
  return {
    startMs: median(runs.map((r) => r.startMs)),
    memPerChild: median(runs.map((r) => r.memPerChild)),
    idleCpuMsPerS: median(runs.map((r) => r.idleCpuMsPerS)),
    shutdownMs: median(runs.map((r) => r.shutdownMs)),
  };
}

export async function run(): Promise<BenchFigure[]> {
  const max = Number(process.env.SCALE_MAX ?? 5000);
  const sizes = [100, 1000, 5000].filter((n) => n <= max);
  const figures: BenchFigure[] = [];
  for (const n of sizes) {
    const runs = Number(process.env.SCALE_RUNS ?? (n >= 5000 ? 1 : 3));
    const raw: Probe[] = [];
    const ours: Probe[] = [];
    for (let i = 0; i < runs; i++) {
      raw.push(probe('raw', n));
      ours.push(probe('procvisor', n));
    }
    const r = medians(raw);
    const p = medians(ours);
    const base = `${n} children`;
    // The goals are set at 1000 children (issue #10); 100 and 5000 show the curve around them.
    const goal = (value: NonNullable<BenchFigure['goal']>): Pick<BenchFigure, 'goal'> => (n === GOAL_SIZE ? { goal: value } : {});
    const curve = n === GOAL_SIZE ? [] : [`curve point: the goals are set at ${GOAL_SIZE} children`];
    figures.push(
      { name: `${base}: start`, unit: 'ms', value: p.startMs, baseline: r.startMs, baselineName: 'raw spawn', ...goal({ ratio: 1.15 }), notes: curve },
      {
        name: `${base}: host memory per child`,
        unit: 'KB',
        value: p.memPerChild / 1024,
        baseline: r.memPerChild / 1024,
        baselineName: 'raw spawn with piped stdio',
        ...goal({ ratio: 1.3 }),
        notes: curve,
      },
      {
        name: `${base}: idle host CPU`,
        unit: 'ms/s',
        value: p.idleCpuMsPerS,
        baseline: r.idleCpuMsPerS,
        baselineName: 'raw',
        notes: [`over raw: ${(p.idleCpuMsPerS - r.idleCpuMsPerS).toFixed(2)} ms/s${n === GOAL_SIZE ? ' (goal ≤ 0.5 ms/s)' : ''}`, ...curve],
      },
      { name: `${base}: shutdown`, unit: 'ms', value: p.shutdownMs, baseline: r.shutdownMs, baselineName: 'raw SIGTERM + wait', ...goal({ ratio: 2 }), notes: curve },
    );
  }
  return figures;
}
