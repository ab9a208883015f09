import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { newTreeCookie, TREE_COOKIE_ENV } from '../../../src/os/cookie.js';
import { readStat } from '../../../src/os/proc.js';
import { createReaper, getReaper, reaperSupported } from '../../../src/os/reaper/client.js';
import type { Reaper } from '../../../src/os/reaper/client.js';
import { alive, delay, fixture, until } from '../../helpers.js';

/** Kills every fixture group should this worker die mid-test (a reaper independent of those tested). */
const safety = createReaper();

/** A detached `sh` group leader with two `sleep` children; resolves once it reported them. */
async function startGroup(): Promise<{ pid: number; starttime: number | undefined; pids: number[] }> {
  const child = spawn('sh', ['-c', 'sleep 1000 & a=$!; sleep 1000 & echo "$a $!"; wait'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = child.pid as number;
  safety.track(pid, readStat(pid)?.starttime);
  let text = '';
  await new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve();
    });
  });
  child.stdout?.destroy();
  const kids = text.trim().split(' ').map(Number);
  return { pid, starttime: readStat(pid)?.starttime, pids: [pid, ...kids] };
}

/**
 * test/fixtures/unlinked-tree.sh carrying a fresh tree cookie: a leader and a setsid `sleep` whose
 * parent already exited, so only the cookie leads to it.
 */
async function startUnlinked(outlivesHost = false): Promise<{ pid: number; starttime: number | undefined; cookie: string; pids: number[] }> {
  const cookie = newTreeCookie(outlivesHost);
  const child = spawn('sh', [fixture('unlinked-tree.sh')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, [TREE_COOKIE_ENV]: cookie },
  });
  const pid = child.pid as number;
  safety.track(pid, readStat(pid)?.starttime, cookie);
  const line = await new Promise<string>((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  child.stdout?.destroy();
  return { pid, starttime: readStat(pid)?.starttime, cookie, pids: [pid, Number(line)] };
}

function killAll(pids: number[], reaper?: Reaper): void {
  for (const pid of pids) safety.untrack(pid);
  for (const pid of [...pids.map((p) => -p), ...pids, reaper?.pid ?? 0]) {
    if (pid === 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

describe.runIf(process.platform === 'linux')('reaper client', () => {
  it('is one lazily started reaper per host', () => {
    expect(reaperSupported()).toBe(true);
    const reaper = getReaper();
    expect(getReaper()).toBe(reaper);
    expect(reaper.mode).toBe('process');
    expect(reaper.pid).toBeUndefined();
  });

  it('close() kills tracked trees and spares untracked ones', async () => {
    const reaper = createReaper();
    const groups = [await startGroup(), await startGroup()];
    const [kept, dropped] = groups as [Awaited<ReturnType<typeof startGroup>>, Awaited<ReturnType<typeof startGroup>>];
    try {
      reaper.track(kept.pid, kept.starttime);
      reaper.track(dropped.pid, dropped.starttime);
      const pid = reaper.pid as number;
      expect(alive(pid)).toBe(true);
      reaper.untrack(dropped.pid);
      reaper.close();
      expect(reaper.pid).toBeUndefined();
      await until(() => kept.pids.every((p) => !alive(p)) && !alive(pid), 5000, 'the tracked tree and reaper to go');
      expect(dropped.pids.every(alive)).toBe(true);
    } finally {
      killAll([...kept.pids, ...dropped.pids], reaper);
    }
  });

  it('an exited child is forgotten with the next line, and close() sends what still waits', async () => {
    const reaper = createReaper();
    const groups = [await startGroup(), await startGroup(), await startGroup()];
    const [kept, batched, late] = groups as [Awaited<ReturnType<typeof startGroup>>, Awaited<ReturnType<typeof startGroup>>, Awaited<ReturnType<typeof startGroup>>];
    try {
      reaper.track(kept.pid, kept.starttime);
      reaper.track(batched.pid, batched.starttime);
      const pid = reaper.pid as number;
      // Lazily forgotten (the caller says it exited; here it still runs, so a lost line would show
      // as a kill): it travels with the next registration, or with close().
      reaper.untrack(batched.pid, true);
      reaper.track(late.pid, late.starttime);
      reaper.untrack(late.pid, true);
      reaper.close();
      await until(() => kept.pids.every((p) => !alive(p)) && !alive(pid), 5000, 'the tracked tree and reaper to go');
      expect([...batched.pids, ...late.pids].every(alive)).toBe(true);
    } finally {
      killAll([...kept.pids, ...batched.pids, ...late.pids], reaper);
    }
  });

  it('starts a new reaper on the next track() after one died, and registers everything again', async () => {
    const reaper = createReaper();
    const first = await startGroup();
    const second = await startGroup();
    let firstReaper = 0;
    try {
      reaper.track(first.pid, first.starttime);
      firstReaper = reaper.pid as number;
      process.kill(firstReaper, 'SIGKILL');
      await until(() => reaper.pid === undefined, 5000, 'the client to notice its reaper died');
      reaper.track(second.pid, second.starttime);
      expect(reaper.pid).toBeTypeOf('number');
      expect(reaper.pid).not.toBe(firstReaper);
      reaper.close();
      const all = [...first.pids, ...second.pids];
      await until(() => all.every((p) => !alive(p)), 5000, 'both trees to go');
    } finally {
      killAll([...first.pids, ...second.pids, firstReaper], reaper);
    }
  });

  it('replaces at once a reaper that dies after living a while', async () => {
    const reaper = createReaper({ respawnAfter: 50 });
    const group = await startGroup();
    let first = 0;
    try {
      reaper.track(group.pid, group.starttime);
      first = reaper.pid as number;
      await delay(80); // deliberate: only a reaper older than `respawnAfter` is replaced without a track()
      process.kill(first, 'SIGKILL');
      await until(() => reaper.pid !== undefined && reaper.pid !== first, 5000, 'a new reaper');
      const second = reaper.pid as number;
      reaper.close();
      await until(() => group.pids.every((p) => !alive(p)) && !alive(second), 5000, 'the tree and reaper to go');
    } finally {
      killAll([...group.pids, first], reaper);
    }
  });

  it('close() also kills what only a tracked tree cookie finds; untrack() forgets the cookie too', async () => {
    const reaper = createReaper();
    const kept = await startUnlinked();
    // Outside the host's cookie prefix, which the reaper sweeps whole (see the next test).
    const dropped = await startUnlinked(true);
    try {
      reaper.track(kept.pid, kept.starttime, kept.cookie);
      reaper.track(dropped.pid, dropped.starttime, dropped.cookie);
      const pid = reaper.pid as number;
      reaper.untrack(dropped.pid);
      reaper.close();
      await until(() => kept.pids.every((p) => !alive(p)) && !alive(pid), 5000, 'the tree, its unlinked sleep and the reaper to go');
      expect(dropped.pids.every(alive)).toBe(true);
    } finally {
      killAll([...kept.pids, ...dropped.pids], reaper);
    }
  });

  it('close() also kills what carries a cookie of this host it was never told about, or one nested under a tracked cookie', async () => {
    const reaper = createReaper();
    const tracked = await startUnlinked();
    const untold = await startUnlinked(); // forked, but its registration "never arrived"
    const kept = await startUnlinked(true); // `orphans: 'keep'`: outside the host's prefix
    try {
      reaper.track(tracked.pid, tracked.starttime, tracked.cookie);
      const pid = reaper.pid as number;
      reaper.close();
      await until(() => [...tracked.pids, ...untold.pids].every((p) => !alive(p)) && !alive(pid), 5000, 'both trees and the reaper to go');
      expect(kept.pids.every(alive)).toBe(true);
    } finally {
      killAll([...tracked.pids, ...untold.pids, ...kept.pids], reaper);
    }
  });

  it('keeps running through a SIGTERM while its host lives, and still cleans up after', async () => {
    const reaper = createReaper();
    const group = await startGroup();
    try {
      reaper.track(group.pid, group.starttime);
      const pid = reaper.pid as number;
      // Ignored by the kernel itself (SIG_IGN), not handled: SigIgn in /proc shows it at once.
      await until(() => (BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? '0'}`) & (1n << 14n)) !== 0n, 2000, 'the reaper to ignore SIGTERM');
      process.kill(pid, 'SIGTERM');
      reaper.track(group.pid, group.starttime); // a write it must still read
      expect(alive(pid)).toBe(true);
      reaper.close();
      await until(() => group.pids.every((p) => !alive(p)) && !alive(pid), 5000, 'the tree and the reaper to go');
    } finally {
      killAll(group.pids, reaper);
    }
  });

  it('does not signal a tracked pid whose start time differs', async () => {
    const reaper = createReaper();
    const group = await startGroup();
    try {
      reaper.track(group.pid, (group.starttime as number) + 1);
      const pid = reaper.pid as number;
      reaper.close();
      await until(() => !alive(pid), 5000, 'the reaper to exit');
      expect(group.pids.every(alive)).toBe(true);
    } finally {
      killAll(group.pids, reaper);
    }
  });

  it('in exit-hook mode spawns nothing', async () => {
    const reaper = createReaper({ mode: 'exit-hook' });
    const group = await startGroup();
    try {
      reaper.track(group.pid, group.starttime);
      expect(reaper.pid).toBeUndefined();
      reaper.close();
      expect(group.pids.every(alive)).toBe(true);
    } finally {
      killAll(group.pids, reaper);
    }
  });
});
