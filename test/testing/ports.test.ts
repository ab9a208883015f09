/**
 * allocatePort (src/testing/ports.ts): ports claimed by lock files, distinct within one process and
 * across processes while held, released idempotently, and taken over from holders that died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startTimeOf } from '../../src/os/start-time.js';
import { allocatePort, claimPort, portLockDir, type PortLease } from '../../src/testing/ports.js';
import { alive, firstLine, fixture, NODE, until } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What a lock file of this process holds. */
function ownHolderLine(): string {
  return `${process.pid} ${startTimeOf(process.pid) ?? '-'}\n`;
}

function lockPath(port: number): string {
  return join(portLockDir(), String(port));
}

function releaseAll(leases: readonly PortLease[]): void {
  for (const lease of leases) lease.release();
}

describe('allocatePort', () => {
  it.runIf(process.platform === 'linux')('picks below the ephemeral range: no connection of this machine uses those ports as its source', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/)[0]);
    const leases: PortLease[] = [];
    try {
      for (let i = 0; i < 10; i++) leases.push(await allocatePort());
      for (const { port } of leases) expect(port).toBeLessThan(low);
    } finally {
      releaseAll(leases);
    }
  });

  it('returns distinct ports in one process while their leases are held, each claimed by a lock file of ours', async () => {
    const leases: PortLease[] = [];
    try {
      leases.push(...(await Promise.all(Array.from({ length: 30 }, () => allocatePort()))));
      const ports = leases.map((l) => l.port);
      expect(new Set(ports).size).toBe(ports.length);
      for (const port of ports) {
        expect(Number.isInteger(port) && port > 0 && port < 65_536).toBe(true);
        expect(readFileSync(lockPath(port), 'utf8')).toBe(ownHolderLine());
      }
      // One more, taken after the others: still none of theirs.
      const late = await allocatePort();
      leases.push(late);
      expect(ports).not.toContain(late.port);
    } finally {
      releaseAll(leases);
    }
    for (const lease of leases) expect(existsSync(lockPath(lease.port))).toBe(false);
  });

  it('a claimed port is free to listen on (127.0.0.1)', async () => {
    const lease = await allocatePort();
    try {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: lease.port, host: '127.0.0.1' }, resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } finally {
      lease.release();
    }
  });

  it('release() removes the lock file and is idempotent: a second call does not touch a later claim of the port', async () => {
    const lease = await allocatePort();
    const path = lockPath(lease.port);
    expect(existsSync(path)).toBe(true);
    lease.release();
    expect(existsSync(path)).toBe(false);
    // Someone else claims the port meanwhile; releasing our old lease again must leave theirs.
    const foreign = `${process.ppid} ${startTimeOf(process.ppid) ?? '-'}\n`;
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, foreign);
    } finally {
      closeSync(fd);
    }
    try {
      lease.release();
      expect(readFileSync(path, 'utf8')).toBe(foreign);
    } finally {
      unlinkSync(path);
    }
  });

  // Which port the OS hands out cannot be chosen. So one in ten of the ports it hands out (learnt
  // from a sample of its picks, made as allocatePort makes them) gets a lock file of a dead holder
  // first, where none exists: about one allocation in ten then meets one and must take it over.
  it('locks of dead holders are taken over: an exited process (pid and start time), a pid that does not exist (start `-`), a recycled pid (live pid, other start time), an empty lock written long ago', async () => {
    // The identity of an exited process: its pid and start time, read while it lived.
    const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const deadPid = sleeper.pid as number;
    const deadStart = startTimeOf(deadPid);
    sleeper.kill('SIGKILL');
    await once(sleeper, 'exit');
    expect(deadStart).toBeDefined();
    expect(alive(deadPid)).toBe(false);
    const variants = [
      { what: 'exited process', text: `${deadPid} ${deadStart}\n`, old: false },
      // 2**22 is the largest pid_max there is: this pid cannot exist.
      { what: 'pid that does not exist', text: `${2 ** 22 + 123} -\n`, old: false },
      { what: 'recycled pid', text: `${process.pid} 1\n`, old: false },
      { what: 'empty, written a minute ago', text: '', old: true },
    ] as const;
    const dir = portLockDir();
    // Ports nothing claims right now, one per kind of dead holder, and one a live process holds.
    const ports: number[] = [];
    for (let port = 20_000 + Math.floor(Math.random() * 5000); ports.length < variants.length + 1; port++) {
      if (!existsSync(join(dir, String(port))) && !existsSync(join(dir, `${port}.takeover`))) ports.push(port);
    }
    const leases: PortLease[] = [];
    const planted = new Map<number, string>();
    const aMinuteAgo = new Date(Date.now() - 60_000);
    const plant = (port: number, text: string, old: boolean): void => {
      const path = join(dir, String(port));
      const fd = openSync(path, 'wx');
      try {
        if (text !== '') writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      if (old) utimesSync(path, aMinuteAgo, aMinuteAgo);
      planted.set(port, text);
    };
    try {
      (await allocatePort()).release(); // the directory exists from here
      variants.forEach((variant, i) => plant(ports[i] as number, variant.text, variant.old));
      // A live holder (this test process itself, with its real start time) is never taken over.
      const livePort = ports[variants.length] as number;
      plant(livePort, ownHolderLine(), false);
      expect(claimPort(livePort)).toBeUndefined();
      for (const [i, variant] of variants.entries()) {
        const lease = claimPort(ports[i] as number);
        expect(lease, `the lock of a ${variant.what} is taken over`).toBeDefined();
        if (!lease) continue;
        leases.push(lease);
        planted.delete(lease.port);
        expect(readFileSync(lockPath(lease.port), 'utf8'), `the lock of port ${lease.port} (${variant.what})`).toBe(ownHolderLine());
      }
    } finally {
      releaseAll(leases);
      for (const [port, text] of planted) {
        const path = join(dir, String(port));
        try {
          if (readFileSync(path, 'utf8') === text) unlinkSync(path);
        } catch {
          // taken over and released meanwhile
        }
      }
    }
    for (const lease of leases) expect(existsSync(lockPath(lease.port))).toBe(false);
  });

  it('two processes claiming 40 ports each at the same time, holding them, get disjoint sets; their exit releases every claim', async () => {
    const children: ChildProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const child = spawn(NODE, ['--import', 'tsx', fixture('testing-ports.mjs'), '40'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
        let err = '';
        child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
        children.push(child);
        // Surface the stderr of a claimant that failed.
        child.once('exit', (code) => {
          if (code !== 0 && err !== '') console.error(`testing-ports.mjs (pid ${child.pid}) exited ${code}:\n${err}`);
        });
      }
      const lines = await Promise.all(children.map((c) => firstLine(c, `testing-ports.mjs (pid ${c.pid})`)));
      const [a, b] = lines.map((line) => JSON.parse(line) as number[]) as [number[], number[]];
      expect(a).toHaveLength(40);
      expect(b).toHaveLength(40);
      expect(new Set(a).size).toBe(40);
      expect(new Set(b).size).toBe(40);
      expect(a.filter((port) => b.includes(port))).toEqual([]);
      // Both still hold theirs: each lock names its holder.
      const [first, second] = children as [ChildProcess, ChildProcess];
      for (const [ports, child] of [
        [a, first],
        [b, second],
      ] as const) {
        for (const port of ports) expect(readFileSync(lockPath(port), 'utf8')).toBe(`${child.pid} ${startTimeOf(child.pid as number) ?? '-'}\n`);
      }
      // End their input: they exit, and the exit hook removes their locks.
      const exits = children.map((c) => (c.exitCode === null ? once(c, 'exit') : Promise.resolve([c.exitCode])));
      for (const child of children) child.stdin?.end();
      expect((await Promise.all(exits)).map(([code]) => code as number | null)).toEqual([0, 0]);
      const left = [...a, ...b].filter((port) => existsSync(lockPath(port)));
      // Another worker may have claimed one of these ports since; it must not be one of the exited processes'.
      for (const port of left) expect(readFileSync(lockPath(port), 'utf8')).not.toMatch(new RegExp(`^(${first.pid}|${second.pid}) `));
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await until(() => children.every((c) => c.pid === undefined || !alive(c.pid)), 5000, 'the claimant processes to end');
    }
  });

  it('leaves no lock file of this process behind', () => {
    const mine = ownHolderLine();
    const ours = readdirSync(portLockDir()).filter((name) => {
      try {
        return readFileSync(join(portLockDir(), name), 'utf8') === mine;
      } catch {
        return false;
      }
    });
    expect(ours).toEqual([]);
  });
});
