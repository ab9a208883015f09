import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_PROC, readIo, readStat } from '../../src/os/proc.js';
import type { SamplerBackend } from '../../src/resources/backend.js';
import { PidusageBackend } from '../../src/resources/pidusage-backend.js';
import { ProcBackend } from '../../src/resources/proc-backend.js';
import { Sampler } from '../../src/resources/sampler.js';
import { clockTicks } from '../../src/resources/sysconf.js';
import type { Usage } from '../../src/api/types.js';
import { alive, fixture, NODE, until } from '../helpers.js';

const MB = 1024 * 1024;
const CORES = availableParallelism();

/** Every pid a test started, killed after each test whatever happened. */
const spawned = new Set<number>();
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawned.clear();
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }),
  );
  children.clear();
});

/** Starts a fixture and resolves with it and its first stdout line. */
async function start(name: string, ...args: string[]): Promise<{ pid: number; line: string; child: ChildProcess }> {
  const child = spawn(NODE, [fixture(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  if (child.pid === undefined) throw new Error(`${name} did not spawn`);
  spawned.add(child.pid);
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { pid: child.pid, line: chunk.toString().trim(), child };
}

/**
 * A sampler over `backend` that keeps every sample per key; stopped after use by the caller. The
 * interval is short: what these tests check does not depend on it, and each waits for two rounds.
 */
function collect(backend: SamplerBackend, interval = 30): { sampler: Sampler; samples: Map<string, Usage[]>; errors: Error[] } {
  const samples = new Map<string, Usage[]>();
  const errors: Error[] = [];
  const sampler = new Sampler({
    interval,
    backend,
    onSample: (key, usage) => {
      const list = samples.get(key) ?? [];
      list.push(usage);
      samples.set(key, list);
    },
    onError: (error) => errors.push(error),
  });
  return { sampler, samples, errors };
}

const backends: [string, () => SamplerBackend][] = [['pidusage', () => new PidusageBackend()]];
if (HAS_PROC) backends.unshift(['proc', () => new ProcBackend()]);

describe.each(backends)('Sampler with the %s backend', (_name, makeBackend) => {
  it('reports the memory a process holds', async () => {
    const { pid } = await start('res-hold-memory.mjs', '64');
    const { sampler, samples } = collect(makeBackend());
    try {
      sampler.add('hold', pid);
      await until(() => (samples.get('hold')?.length ?? 0) >= 1, 10_000, 'a sample');
      const usage = samples.get('hold')?.[0] as Usage;
      // 64 MB touched plus a Node runtime of a few dozen MB.
      expect(usage.memory).toBeGreaterThan(60 * MB);
      expect(usage.memory).toBeLessThan(300 * MB);
      expect(usage.tree.pids).toBe(1);
      expect(usage.tree.memory).toBe(usage.memory);
    } finally {
      sampler.stop();
    }
  });

  it.runIf(HAS_PROC)('reports a busy loop as the share of one core the kernel gave it, never above all cores', async () => {
    const { pid } = await start('res-burn-cpu.mjs');
    const seen: { usage: Usage; ticks: number }[] = [];
    // Ten rounds of 100 ms: a reading is a few clock ticks (10 ms each), and the sum over rounds,
    // compared below with the kernel's count, does not depend on the interval.
    const sampler = new Sampler({
      interval: 100,
      backend: makeBackend(),
      // The kernel's own count, read as each sample arrives, is the truth to compare with.
      onSample: (_key, usage) => {
        const stat = readStat(pid);
        seen.push({ usage, ticks: stat ? stat.utime + stat.stime : Number.NaN });
      },
    });
    try {
      sampler.add('burn', pid);
      await until(() => seen.length >= 9, 15_000, 'nine samples');
      const first = seen[0] as { usage: Usage; ticks: number };
      const last = seen.at(-1) as { usage: Usage; ticks: number };
      let accounted = 0;
      for (let i = 1; i < seen.length; i++) {
        const { usage } = seen[i] as { usage: Usage };
        accounted += (usage.cpu * (usage.time - (seen[i - 1] as { usage: Usage }).usage.time)) / 100;
        expect(usage.cpu).toBeLessThanOrEqual(CORES * 100);
        expect(usage.cpuNormalized).toBeCloseTo(usage.cpu / CORES, 6);
        expect(usage.tree.cpu).toBeLessThanOrEqual(CORES * 100);
      }
      const truth = ((last.ticks - first.ticks) * 1000) / clockTicks();
      const wall = last.usage.time - first.usage.time;
      expect(accounted).toBeGreaterThan(truth * 0.75 - 50);
      expect(accounted).toBeLessThan(truth * 1.25 + 50);
      // A free core runs the loop flat out; a crowded host (test files run in parallel) gives less.
      const peak = Math.max(...seen.map(({ usage }) => usage.cpu));
      expect(peak).toBeGreaterThan(Math.min(50, ((truth / wall) * 100) * 0.7));
    } finally {
      sampler.stop();
    }
  });

  it('counts a grandchild in its own session in the tree totals', async () => {
    const { pid, line } = await start('res-tree-memory.mjs', '64');
    const [, , grandchildText] = line.split(' ');
    const grandchild = Number(grandchildText);
    spawned.add(grandchild);
    if (HAS_PROC) expect(readStat(grandchild)?.sid).not.toBe(readStat(pid)?.sid);
    const { sampler, samples } = collect(makeBackend());
    try {
      sampler.add('tree', pid);
      await until(() => (samples.get('tree')?.length ?? 0) >= 1, 10_000, 'a sample');
      const usage = samples.get('tree')?.[0] as Usage;
      expect(usage.tree.pids).toBe(2);
      expect(usage.tree.memory - usage.memory).toBeGreaterThan(60 * MB);
      expect(usage.memory).toBeLessThan(usage.tree.memory - 60 * MB);
    } finally {
      sampler.stop();
    }
  });

  it('skips a pid that is gone and keeps sampling the others', async () => {
    const gone = spawn(NODE, ['-e', ''], { stdio: 'ignore' });
    const [code] = (await once(gone, 'exit')) as [number];
    expect(code).toBe(0);
    const goneTarget = { key: 'gone', pid: gone.pid as number };
    const { pid } = await start('res-hold-memory.mjs', '1');
    const backend = makeBackend();
    const round = await backend.round([goneTarget, { key: 'live', pid }]);
    expect([...round.keys()]).toEqual(['live']);

    const { sampler, samples, errors } = collect(backend);
    try {
      sampler.add('gone', goneTarget.pid);
      sampler.add('live', pid);
      await until(() => (samples.get('live')?.length ?? 0) >= 2, 10_000, 'two samples');
      expect(samples.has('gone')).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      sampler.stop();
    }
  });
});

describe.runIf(HAS_PROC)('ProcBackend extras', () => {
  it('reads threads, open fds and disk I/O of a target', async () => {
    const { pid } = await start('res-hold-memory.mjs', '1');
    const round = await new ProcBackend().round([{ key: 'k', pid }]);
    const sample = round.get('k');
    // Node runs several threads (libuv pool, V8 helpers) and has stdio open.
    expect(sample?.threads).toBeGreaterThan(1);
    expect(sample?.fds).toBeGreaterThanOrEqual(3);
    expect(sample?.io?.read).toBeGreaterThanOrEqual(0);
    expect(sample?.start).toBe(readStat(pid)?.starttime);
  });

  it('keeps the CPU of short-lived descendants reaped between rounds in the tree total', async () => {
    // Children burning 40 ms of CPU live about 100 ms (their Node start-up included).
    const { pid, child } = await start('res-burn-children.mjs', '40');
    const done: { time: number; cpu: number }[] = [];
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/^done ([\d.]+)$/gm)) done.push({ time: Date.now(), cpu: Number(match[1]) });
    });
    // Rounds 300 ms apart: most children are born and reaped between two samples.
    const { sampler, samples } = collect(new ProcBackend(), 300);
    try {
      sampler.add('parent', pid);
      const list = (): Usage[] => samples.get('parent') ?? [];
      const after = (time: number): number => done.filter((d) => d.time > time).length;
      await until(() => list().length >= 7 && after((list()[0] as Usage).time) >= 8, 30_000, 'eight children and seven samples');
      const usages = list();
      const first = (usages[0] as Usage).time;
      const last = (usages.at(-1) as Usage).time;
      let accounted = 0;
      for (let i = 1; i < usages.length; i++) {
        const usage = usages[i] as Usage;
        accounted += (usage.tree.cpu * (usage.time - (usages[i - 1] as Usage).time)) / 100;
      }
      const burnt = done.filter((d) => d.time > first && d.time <= last).reduce((sum, d) => sum + d.cpu, 0);
      // Children straddling the window's ends blur it by about one child (80-100 ms) each side.
      expect(accounted).toBeGreaterThan(burnt * 0.75 - 150);
      expect(accounted).toBeLessThan(burnt * 1.25 + 150);
      for (const usage of usages) expect(usage.cpu).toBeLessThan(20); // the parent only waits
    } finally {
      sampler.stop();
    }
  });

  it('follows children born and ended after the first round, holding fds only while needed', async () => {
    const { pid, child } = await start('res-spawn-on-input.mjs');
    const lines: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const backend = new ProcBackend();
    const pidsOf = async (): Promise<number[]> => {
      const sample = (await backend.round([{ key: 'k', pid }])).get('k');
      return (sample?.descendants ?? []).filter((d) => !d.zombie).map((d) => d.pid);
    };
    try {
      expect(await pidsOf()).toEqual([]);
      child.stdin?.write('spawn\n');
      await until(() => lines.length >= 1, 5000, 'a child');
      const grandchild = Number(lines[0]);
      spawned.add(grandchild);
      expect(await pidsOf()).toEqual([grandchild]);
      // The target's stat, io and fd directory, and the child's stat.
      expect(backend.openFds).toBe(4);
      child.stdin?.write('kill\n');
      // Gone from /proc, not just dead: a zombie is still a member until its parent reaps it.
      await until(() => readStat(grandchild) === undefined, 5000, 'the child to be reaped');
      expect(await pidsOf()).toEqual([]);
      expect(backend.openFds).toBe(3);
      backend.release();
      expect(backend.openFds).toBe(0);
    } finally {
      child.stdin?.end();
      backend.release();
    }
  });

  it('works without holding any fd when the budget is zero', async () => {
    const { pid, line } = await start('res-tree-memory.mjs', '8');
    spawned.add(Number(line.split(' ')[2]));
    const backend = new ProcBackend({ fdBudget: 0 });
    await backend.round([{ key: 'k', pid }]);
    const sample = (await backend.round([{ key: 'k', pid }])).get('k');
    expect(sample?.descendants).toHaveLength(1);
    expect(sample?.fds).toBeGreaterThanOrEqual(3);
    expect(sample?.io).toBeDefined();
    expect(backend.openFds).toBe(0);
  });

  it('releases held fds when the sampler stops or its last target goes', async () => {
    const { pid } = await start('res-hold-memory.mjs', '1');
    const backend = new ProcBackend();
    const sampler = new Sampler({ interval: 60_000, backend, onSample: () => {} });
    sampler.add('a', pid);
    await sampler.sampleNow();
    expect(backend.openFds).toBeGreaterThan(0);
    sampler.remove('a');
    expect(backend.openFds).toBe(0);
    sampler.add('a', pid);
    await sampler.sampleNow();
    sampler.stop();
    expect(backend.openFds).toBe(0);
  });

  it('leaves extras out when told to', async () => {
    const { pid } = await start('res-hold-memory.mjs', '1');
    const sample = (await new ProcBackend({ fds: false, io: false }).round([{ key: 'k', pid }])).get('k');
    expect(sample).toBeDefined();
    expect(sample?.fds).toBeUndefined();
    expect(sample?.io).toBeUndefined();
  });

  // Only a non-root user meets a process it may not trace (init); root may trace them all.
  it.runIf(process.getuid?.() !== 0 && readStat(1) !== undefined && readIo(1) === undefined)(
    'drops I/O it may not read, never the sample',
    async () => {
      const sample = (await new ProcBackend().round([{ key: 'init', pid: 1 }])).get('init');
      expect(sample?.memory).toBeGreaterThanOrEqual(0);
      expect(sample?.io).toBeUndefined();
    },
  );

  it('does not report a killed process after it is gone', async () => {
    const { pid } = await start('res-hold-memory.mjs', '1');
    process.kill(pid, 'SIGKILL');
    await until(() => !alive(pid), 5000, 'the process to die');
    const round = await new ProcBackend().round([{ key: 'k', pid }]);
    expect(round.size).toBe(0);
  });
});
