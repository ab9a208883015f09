import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_PROC, readStat } from '../../src/os/proc.js';
import { ProcTable } from '../../src/resources/proc-table.js';
import { fixture, NODE, until } from '../helpers.js';

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

/** Starts the obedient fixture; `send` writes a command and resolves with the line it answers. */
async function puppet(): Promise<{ pid: number; send: (command: string) => Promise<string> }> {
  const child = spawn(NODE, [fixture('res-spawn-on-input.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  spawned.add(child.pid as number);
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  await until(() => lines.length >= 1, 5000, 'ready');
  return {
    pid: child.pid as number,
    send: async (command) => {
      const before = lines.length;
      child.stdin.write(`${command}\n`);
      if (command === 'kill') return '';
      await until(() => lines.length > before, 5000, `an answer to ${command}`);
      return lines[before] as string;
    },
  };
}

describe.runIf(HAS_PROC)('ProcTable', () => {
  it('finds the existing tree of a target added after other rounds', async () => {
    const first = await puppet();
    const second = await puppet();
    const child = Number(await second.send('spawn'));
    spawned.add(child);
    const table = new ProcTable();
    try {
      table.update([first.pid]);
      table.update([first.pid]);
      expect(table.descendants(first.pid)).toEqual([]);
      table.update([first.pid, second.pid]);
      expect(table.descendants(second.pid)).toEqual([child]);
      // Only targets and their descendants hold fds: two stat fds and one for the child.
      expect(table.openFds).toBe(3);
    } finally {
      table.release();
    }
  });

  it('drops a descendant reparented away when its parent dies', async () => {
    const target = await puppet();
    const [shell, sleeper] = (await target.send('nest')).split(' ').map(Number) as [number, number];
    spawned.add(sleeper);
    const table = new ProcTable();
    try {
      table.update([target.pid]);
      expect([...table.descendants(target.pid)].sort()).toEqual([shell, sleeper].sort());
      await target.send('kill');
      await until(() => readStat(shell) === undefined, 5000, 'the shell to be reaped');
      table.update([target.pid]);
      expect(table.descendants(target.pid)).toEqual([]);
      expect(readStat(sleeper)?.ppid).not.toBe(shell);
    } finally {
      table.release();
    }
  });

  it('keeps sampling a subset without losing the others', async () => {
    const a = await puppet();
    const b = await puppet();
    const child = Number(await b.send('spawn'));
    spawned.add(child);
    const table = new ProcTable();
    try {
      table.update([a.pid, b.pid]);
      table.update([a.pid]);
      table.update([a.pid, b.pid]);
      expect(table.descendants(b.pid)).toEqual([child]);
      expect(table.stat(b.pid)?.pid).toBe(b.pid);
    } finally {
      table.release();
    }
  });
});
