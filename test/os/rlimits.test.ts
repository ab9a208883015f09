/**
 * `rlimits`: applied by the prelude before the program runs, soft = hard, visible in
 * /proc/<pid>/limits, and enforced by the kernel (EMFILE past `openFiles`, a failed allocation past
 * `memory`). A limit the shell cannot set fails the start with a message naming the field.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import type { ProcessSpec } from '../../src/api/types.js';
import { disposeManagers, fixture, NODE, track } from '../helpers.js';

const linux = process.platform === 'linux';

afterEach(disposeManagers);

/** Starts kernel-report.mjs under `rlimits` and returns its report (its first output line). */
async function started(extra: Omit<ProcessSpec, 'name' | 'command'>, args: string[] = []): Promise<{ pid: number; report: Record<string, unknown> }> {
  const pm = track(new ProcessManager());
  const handle = await pm.start({ name: 'k', command: NODE, args: [fixture('kernel-report.mjs'), ...args], readiness: { type: 'log', pattern: /^\{/ }, ...extra });
  const line = handle.logs().find((l) => l.line.startsWith('{'))?.line ?? '{}';
  return { pid: handle.pid as number, report: JSON.parse(line) as Record<string, unknown> };
}

function limit(pid: number, name: string): [string, string] {
  const m = new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return [m?.[1] ?? '', m?.[2] ?? ''];
}

describe.runIf(linux)('rlimits', () => {
  it('shows every field in /proc/<pid>/limits of the supervised pid, soft = hard', async () => {
    const { pid } = await started({ rlimits: { memory: 4 * 1024 ** 3, openFiles: 200, processes: 4000, cpuTime: '90s', coreSize: 0 } });
    expect(limit(pid, 'Max address space')).toEqual([String(4 * 1024 ** 3), String(4 * 1024 ** 3)]);
    expect(limit(pid, 'Max open files')).toEqual(['200', '200']);
    expect(limit(pid, 'Max processes')).toEqual(['4000', '4000']);
    expect(limit(pid, 'Max cpu time')).toEqual(['90', '90']);
    expect(limit(pid, 'Max core file size')).toEqual(['0', '0']);
  });

  it('rounds cpuTime up to whole seconds and coreSize down to 512-byte blocks', async () => {
    const { pid } = await started({ rlimits: { cpuTime: 1500, coreSize: 1000 } });
    expect(limit(pid, 'Max cpu time')).toEqual(['2', '2']);
    expect(limit(pid, 'Max core file size')).toEqual(['512', '512']);
  });

  it('gives a child past openFiles EMFILE, and one without the limit none', async () => {
    const { report: limited } = await started({ rlimits: { openFiles: 64 } }, ['--open', '100']);
    expect(limited.openError).toBe('EMFILE');
    const { report: free } = await started({}, ['--open', '100']);
    expect(free.openError).toBeNull();
  });

  it('makes a big allocation fail past memory (address space), and succeed without', async () => {
    const { report: limited } = await started({ rlimits: { memory: 2 * 1024 ** 3 } }, ['--alloc', '1500']);
    expect(limited.allocError).toBe('RangeError');
    const { report: free } = await started({}, ['--alloc', '1500']);
    expect(free.allocated).toBe(1500 * 1024 * 1024);
  });

  it('applies to shell: true specs, and to what the shell starts', async () => {
    const pm = track(new ProcessManager());
    const handle = await pm.start({ name: 'sh', command: 'echo "n=$(ulimit -n)"; exec sleep 1000', shell: true, rlimits: { openFiles: 91 }, readiness: { type: 'log', pattern: /^n=/ } });
    expect(handle.logs().map((l) => l.line)).toContain('n=91');
    expect(limit(handle.pid as number, 'Max open files')).toEqual(['91', '91']);
  });

  it('fails the start, naming the field, when a limit cannot be set', async () => {
    const pm = track(new ProcessManager());
    // Above fs.nr_open: no process may set it, root included.
    const error = await pm.start({ name: 'nope', command: 'sleep', args: ['1000'], rlimits: { openFiles: 1 << 30 }, readiness: { type: 'log', pattern: /^never$/ } }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/exited with code 125 while starting[\s\S]*cannot set rlimits\.openFiles/);
  });
});
