/**
 * Input that must never crash, hang or mislead the host, and bounds on what one child can cost it:
 * each case was found by fault injection and is reproduced here through the public API.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcessManager, InvalidArgumentError, InvalidSpecError } from '../../src/index.js';
import type { ChildSpec, SupervisorSpec } from '../../src/index.js';
import { alive, fixture, markedProcesses, NODE, track, until } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from './support.js';

describe.runIf(process.platform === 'linux')('a SIGSTOPped child that handles SIGTERM', () => {
  it('is woken with SIGCONT and stops gracefully, without waiting for SIGKILL', async () => {
    const pm = track(new ProcessManager());
    const seen = record(pm, ['stop', 'kill']);
    const handle = await pm.start(nodeSpec('paused', 'term-exit.mjs', ['0'], { readiness: READY_LINE, shutdown: { timeout: 60_000 } }));
    const pid = handle.pid as number;
    process.kill(pid, 'SIGSTOP');
    // Stopped for sure (state T) before the stop begins: the case this is about.
    await until(() => processState(pid) === 'T', 5000, 'the child to be stopped');
    await pm.stop('paused');
    expect(payloads(seen, 'kill')).toEqual([]);
    expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ exitCode: 0, signal: null })]);
  });
});

describe('shutdown bounds everything the manager owns', () => {
  it('a job that ignores SIGTERM is SIGKILLed when the shutdown timeout runs out', async () => {
    const pm = new ProcessManager();
    const started = nextEvent(pm, 'spawn');
    const job = pm.run(nodeSpec('stubborn', 'ignore-sigterm.mjs', [], { shutdown: { timeout: Infinity } }));
    const { pid } = await started;
    const began = performance.now();
    await pm.shutdown({ timeout: 300 });
    expect(performance.now() - began).toBeLessThan(3000);
    expect(alive(pid)).toBe(false);
    expect((await job).status).toBe('cancelled');
  });
});

describe('arguments are validated with typed errors', () => {
  it('instances has an upper bound', () => {
    const pm = track(new ProcessManager());
    expect(() => pm.add({ name: 'many', command: NODE, instances: 1e7 })).toThrow(/`instances` to be an integer from 1 to 10000/);
  });

  it('supervisors nest at most 64 deep (no stack overflow)', () => {
    const pm = track(new ProcessManager());
    let spec: ChildSpec = { name: 'leaf', command: NODE };
    for (let i = 0; i < 2000; i++) spec = { name: `s${i}`, strategy: 'one-for-one', children: [spec] } satisfies SupervisorSpec;
    expect(() => pm.add(spec)).toThrow(InvalidSpecError);
    expect(() => pm.add(spec)).toThrow(/at most 64 levels/);
  });

  it.each([
    ['add(spec, null)', (pm: ProcessManager) => pm.add({ name: 'x', command: NODE }, null as unknown as { parent?: string })],
    ['get(Symbol())', (pm: ProcessManager) => pm.get(Symbol('x') as unknown as string)],
  ])('%s throws an InvalidArgumentError', (_label, call) => {
    const pm = track(new ProcessManager());
    expect(() => call(pm)).toThrow(InvalidArgumentError);
  });

  it.each([
    ['restart(Symbol())', (pm: ProcessManager) => pm.restart(Symbol('x') as unknown as string)],
    ['stop(42)', (pm: ProcessManager) => pm.stop(42 as unknown as string)],
    ["waitFor('x', 'runing')", (pm: ProcessManager) => pm.waitFor('x', 'runing' as 'running')],
    ["waitFor('x', 'running', { timeout: 1e10 })", (pm: ProcessManager) => pm.waitFor('x', 'running', { timeout: 1e10 })],
  ])('%s rejects with an InvalidArgumentError', async (_label, call) => {
    const pm = track(new ProcessManager());
    pm.add({ name: 'x', command: NODE });
    await expect(call(pm)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('no warnings in normal use', () => {
  it('eleven concurrent jobs print no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const pm = track(new ProcessManager({ maxConcurrentJobs: 2 }));
      const results = await Promise.all(Array.from({ length: 11 }, (_, i) => pm.run(nodeSpec(`job${i}`, 'job-print.mjs', ['0', `line ${i}`]))));
      expect(results.every((r) => r.status === 'succeeded')).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('secrets', () => {
  it('are masked in everything a child output can reach: readyData, ready, status, metric and warning events', async () => {
    const pm = track(new ProcessManager());
    const seen = record(pm, ['ready', 'status', 'metric', 'warning', 'output']);
    const handle = await pm.start(
      nodeSpec(
        'secretive',
        'emit-lines.mjs',
        [
          'o:::procvisor::status {"token":"s3cr3t","state":"warming"}',
          'o:::procvisor::metric s3cr3t 1',
          'o:::procvisor::metric queue 3',
          'o:::procvisor::bogus s3cr3t',
          'o:::procvisor::ready {"apiKey":"s3cr3t"}',
          'o:the key is s3cr3t',
        ],
        { ipc: false, output: { commands: true, mask: ['s3cr3t'] }, readiness: { type: 'ipc' } },
      ),
    );
    await until(() => payloads(seen, 'output').length > 0, 5000, 'the last line');
    const everything = JSON.stringify({ readyData: handle.readyData, events: seen.map((r) => r.payload), logs: handle.logs() });
    expect(everything).not.toContain('s3cr3t');
    expect(handle.readyData).toEqual({ apiKey: '***' });
    expect(payloads(seen, 'output').map((e) => e.line)).toEqual(['the key is ***']);
  });
});

describe('the retained output is bounded by size', () => {
  it('keeps at most output.bytes of text, newest lines first, whatever output.lines says', async () => {
    const pm = track(new ProcessManager());
    const line = 'x'.repeat(1000);
    const handle = await pm.start(
      nodeSpec('chatty', 'emit-lines.mjs', [...Array.from({ length: 50 }, (_, i) => `o:${i} ${line}`), 'o:done'], {
        output: { lines: 1000, bytes: '10KB' },
        readiness: { type: 'log', pattern: /^done$/ },
      }),
    );
    const kept = handle.logs();
    const total = kept.reduce((n, l) => n + l.line.length, 0);
    expect(total).toBeLessThanOrEqual(10_000);
    expect(kept.at(-1)?.line).toBe('done');
    expect(kept.length).toBeGreaterThan(5);
    expect(kept[0]?.line.startsWith(`${50 - kept.length + 1} `)).toBe(true);
  });
});

describe.runIf(process.platform === 'linux')('a process that keeps escaping', () => {
  it('is outrun: nothing of it survives shutdown(), restarted or not', async () => {
    const mark = `escaper-${process.pid}-${Date.now()}`;
    const pm = new ProcessManager({ backoff: { type: 'fixed', delay: 0 } });
    let spawns = 0;
    const threeSpawns = new Promise<void>((resolve) => pm.on('spawn', () => ++spawns === 3 && resolve()));
    await pm.start({ name: 'escaper', command: 'sh', args: [fixture('escaper.sh')], env: { ESCAPE_MARK: mark }, restart: 'permanent', intensity: { maxRestarts: 1000, period: '10s' } });
    await threeSpawns;
    await pm.shutdown();
    // A SIGKILLed escapee is a zombie for a moment, until init reaps it: only live ones count.
    expect(markedProcesses('ESCAPE_MARK', mark)).toEqual([]);
  });
});

/** The one-letter state of a process from /proc (`T` when stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.charAt(stat.lastIndexOf(')') + 2);
}
