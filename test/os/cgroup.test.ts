/**
 * cgroup v2 (src/os/cgroup.ts): detection from mountinfo and /proc/self/cgroup, the limit files,
 * stale cgroups; and, where this host has a delegated cgroup, one cgroup per tree: joined at
 * spawn, `cgroup.kill` reaching what no walk, group or cookie can, removed when the incarnation ends.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import type { ManagerOptions } from '../../src/api/types.js';
import { cgroup2Mount, cgroupHost, detectCgroupHost, limitFiles, ownCgroupPath, removeStale } from '../../src/os/cgroup.js';
import { alive, disposeManagers, fixture, track, until } from '../helpers.js';

afterEach(disposeManagers);

const HYBRID = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const UNIFIED = ['30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate', '41 31 0:38 / /mnt/other\\040dir rw - cgroup2 cgroup2 rw'].join('\n');

describe('detection', () => {
  it('finds the cgroup2 mount, /sys/fs/cgroup first, hybrid systems included', () => {
    expect(cgroup2Mount(HYBRID)).toBe('/sys/fs/cgroup/unified');
    expect(cgroup2Mount(UNIFIED)).toBe('/sys/fs/cgroup');
    expect(cgroup2Mount(UNIFIED.split('\n')[1] as string)).toBe('/mnt/other dir');
    expect(cgroup2Mount('35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory')).toBeUndefined();
    // A mount of a sub-tree (root not /) does not map /proc/self/cgroup paths: not used.
    expect(cgroup2Mount('30 23 0:26 /sub /sys/fs/cgroup rw - cgroup2 cgroup2 rw')).toBeUndefined();
  });

  it("reads the host's own cgroup from the 0:: line", () => {
    expect(ownCgroupPath('4:memory:/x\n0::/user.slice/app.service\n')).toBe('/user.slice/app.service');
    expect(ownCgroupPath('0::/\n')).toBe('/');
    expect(ownCgroupPath('4:memory:/x\n')).toBeUndefined();
    expect(ownCgroupPath('0::/gone (deleted)\n')).toBeUndefined();
  });

  it('accepts a writable cgroup where a child can be created, and nothing else', () => {
    const root = mkdtempSync(join(tmpdir(), 'pv-cg-'));
    try {
      mkdirSync(join(root, 'svc'));
      writeFileSync(join(root, 'svc', 'cgroup.procs'), '');
      writeFileSync(join(root, 'svc', 'cgroup.subtree_control'), 'pids\n');
      const host = detectCgroupHost({ mountinfo: '', selfCgroup: '0::/svc\n', pid: 42, starttime: 7 }, root);
      expect(host?.dir).toBe(join(root, 'svc'));
      expect(host?.prefix).toBe('procvisor-42.7-');
      expect([...(host?.enabled ?? [])]).toEqual(['pids']);
      expect(detectCgroupHost({ mountinfo: '', selfCgroup: '0::/missing\n', pid: 42, starttime: 7 }, root)).toBeUndefined();
      expect(detectCgroupHost({ mountinfo: HYBRID.split('\n')[0] as string, selfCgroup: '0::/svc\n', pid: 42, starttime: 7 })).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('removes empty cgroups of hosts that are gone, never a live host’s', () => {
    const root = mkdtempSync(join(tmpdir(), 'pv-cg-'));
    try {
      // pid 2^22+1 exceeds pid_max: that host is gone.
      mkdirSync(join(root, `procvisor-${(1 << 22) + 1}.5-1-api`));
      mkdirSync(join(root, `procvisor-${process.pid}.0-1-mine`));
      mkdirSync(join(root, 'unrelated'));
      expect(removeStale(root)).toEqual([`procvisor-${(1 << 22) + 1}.5-1-api`]);
      expect(existsSync(join(root, `procvisor-${process.pid}.0-1-mine`))).toBe(true);
      expect(existsSync(join(root, 'unrelated'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('writes memory.max (the tree OOM-killed as one), cpu.max from % of one core, pids.max', () => {
    expect(limitFiles({ memory: 256 * 1024 ** 2, cpu: 150, pids: 64 })).toEqual([
      { controller: 'memory', file: 'memory.max', value: String(256 * 1024 ** 2) },
      { controller: 'memory', file: 'memory.oom.group', value: '1' },
      { controller: 'cpu', file: 'cpu.max', value: '150000 100000' },
      { controller: 'pids', file: 'pids.max', value: '64' },
    ]);
    expect(limitFiles({ cpu: 0.5 })).toEqual([{ controller: 'cpu', file: 'cpu.max', value: '1000 100000' }]);
  });
});

const host = cgroupHost();

/** The v2 cgroup of `pid` (its `0::` line), or `undefined` once it is gone. */
function cgroupOf(pid: number): string | undefined {
  try {
    return ownCgroupPath(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch {
    return undefined;
  }
}

function managed(options: ManagerOptions = {}): ProcessManager {
  return track(new ProcessManager(options));
}

const ESCAPER = { command: 'sh', readiness: { type: 'log', pattern: /^\d+$/ } } as const;

/** Starts kernel-escaper.sh; resolves with its pid and the escaped sleep's. */
async function escaper(
  pm: ProcessManager,
  args: string[] = [],
  extra: { cgroup?: object } = {},
): Promise<{ pid: number; escaped: number; handle: Awaited<ReturnType<ProcessManager['start']>> }> {
  const handle = await pm.start({ name: 'esc', ...ESCAPER, args: [fixture('kernel-escaper.sh'), ...args], restart: 'never', ...extra });
  const escaped = Number(handle.logs()[0]?.line);
  return { pid: handle.pid as number, escaped, handle };
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

describe.runIf(host !== undefined)('one cgroup per tree (this host has a delegated cgroup v2)', () => {
  it('puts the tree in a cgroup of its own, and removes it when stopped', async () => {
    const pm = managed({ cgroups: 'all' });
    // Forks 0.2 s after it starts: long after the host's join right after the spawn.
    const { pid, escaped, handle } = await escaper(pm, ['late']);
    const path = cgroupOf(pid);
    try {
      expect(path).toMatch(/\/procvisor-\d+\.\d+-\d+-esc$/);
      expect(cgroupOf(escaped)).toBe(path);
      const dir = join(host?.dir ?? '', (path ?? '').split('/').at(-1) ?? '');
      expect(existsSync(dir)).toBe(true);
      await handle.stop();
      // The ladder's cgroup.kill reached the escapee that no walk, group or cookie sees.
      expect(alive(escaped)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    } finally {
      kill(escaped);
    }
  });

  it('kills what the tree left in its cgroup when it exits by itself, and removes the cgroup', async () => {
    const pm = managed({ cgroups: 'all' });
    const { pid, escaped } = await escaper(pm, ['late', 'crash']);
    const dir = join(host?.dir ?? '', (cgroupOf(pid) ?? '').split('/').at(-1) ?? '');
    try {
      await until(() => !alive(escaped), 5000, 'the escapee killed by cgroup.kill');
      await until(() => !existsSync(dir), 5000, 'the cgroup removed');
    } finally {
      kill(escaped);
    }
  });

  it("by default ('auto') only a spec that sets `cgroup` gets one, joined before its program runs", async () => {
    const pm = managed();
    const plain = await escaper(pm);
    try {
      expect(cgroupOf(plain.pid)).not.toMatch(/procvisor-/);
      await plain.handle.stop();
      await pm.remove('esc');
    } finally {
      kill(plain.escaped);
    }
    const opted = await escaper(pm, [], { cgroup: {} });
    try {
      expect(cgroupOf(opted.pid)).toMatch(/\/procvisor-\d+\.\d+-\d+-esc$/);
      expect(cgroupOf(opted.escaped)).toBe(cgroupOf(opted.pid));
    } finally {
      await opted.handle.stop();
      kill(opted.escaped);
    }
  });

  it('with cgroups: false, no cgroup: the escapee survives the exit (the test above can fail)', async () => {
    const pm = managed({ cgroups: false });
    const { pid, escaped } = await escaper(pm, ['late', 'crash']);
    try {
      expect(cgroupOf(pid)).toBe(cgroupOf(process.pid));
      await until(() => pm.get('esc')?.state === 'exited', 5000, 'the exit');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(alive(escaped)).toBe(true);
    } finally {
      kill(escaped);
    }
  });

  it('with `cgroup` in the spec, joins before the program runs: even an immediate fork is inside', async () => {
    const pm = managed({ cgroups: 'all' });
    const { pid, escaped, handle } = await escaper(pm, [], { cgroup: {} });
    try {
      expect(cgroupOf(pid)).toMatch(/\/procvisor-\d+\.\d+-\d+-esc$/);
      expect(cgroupOf(escaped)).toBe(cgroupOf(pid));
      await handle.stop();
      expect(alive(escaped)).toBe(false);
    } finally {
      kill(escaped);
    }
  });

  it('applies cgroup limits, or warns once per process and runs without them', async () => {
    const pm = managed({ cgroups: 'all' });
    const warnings: string[] = [];
    pm.on('warning', (event) => warnings.push(event.message));
    const handle = await pm.start({ name: 'lim', command: 'sleep', args: ['1000'], cgroup: { pids: 50, memory: 64 * 1024 ** 2 } });
    await handle.restart();
    const dir = join(host?.dir ?? '', (cgroupOf(handle.pid as number) ?? '').split('/').at(-1) ?? '');
    expect(dir).toMatch(/-lim$/);
    if (warnings.length > 0) {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/`cgroup` limits of `lim` are not applied: .*controller/);
    } else {
      expect(readFileSync(join(dir, 'pids.max'), 'utf8').trim()).toBe('50');
    }
    expect(handle.state).toBe('running');
  });
});

describe.runIf(host === undefined)('without a delegated cgroup', () => {
  it('warns once that cgroup limits are not applied, and runs', async () => {
    const pm = managed({ cgroups: 'all' });
    const warnings: string[] = [];
    pm.on('warning', (event) => warnings.push(event.message));
    const handle = await pm.start({ name: 'lim', command: 'sleep', args: ['1000'], cgroup: { pids: 50 } });
    await handle.restart();
    expect(warnings).toEqual([expect.stringMatching(/not applied: the host has no delegated, writable cgroup v2/)]);
  });
});
