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
import { allocatePort, portLockDir, type PortLease } from '../../src/testing/ports.js';
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

/** A port the OS picks for a listen on port 0 of 127.0.0.1, the way allocatePort asks for one. */
function osPick(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * The ports the OS may hand out for a listen on port 0, in order: the span of a sample of its picks
 * (widened a little at both ends), of one parity only when every pick had it (Linux prefers one
 * parity, and the lower half of its ephemeral range, for such binds).
 */
async function portsTheOsHandsOut(): Promise<number[]> {
  const sample: number[] = [];
  for (let i = 0; i < 100; i++) sample.push(await osPick());
  const min = Math.min(...sample);
  const max = Math.max(...sample);
  const margin = Math.ceil((max - min) / 20);
  const parities = new Set(sample.map((p) => p % 2));
  const ports: number[] = [];
  for (let port = Math.max(1024, min - margin); port <= Math.min(65_535, max + margin); port++) {
    if (parities.size === 1 && !parities.has(port % 2)) continue;
    ports.push(port);
  }
  return ports;
}

describe('allocatePort', () => {
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
    type Variant = (typeof variants)[number];

    const candidates = await portsTheOsHandsOut();
    const dir = portLockDir();
    // Make sure the directory exists (allocatePort creates it on first use).
    (await allocatePort()).release();
    const planted = new Map<number, Variant>();
    const aMinuteAgo = new Date(Date.now() - 60_000);
    const leases: PortLease[] = [];
    try {
      for (let i = 0; i < candidates.length; i += 10) {
        const port = candidates[i] as number;
        const path = join(dir, String(port));
        let fd: number;
        try {
          fd = openSync(path, 'wx');
        } catch {
          continue; // claimed by someone (another test worker): not ours to plant
        }
        const variant = variants[planted.size % variants.length] as Variant;
        try {
          if (variant.text !== '') writeSync(fd, variant.text);
        } finally {
          closeSync(fd);
        }
        if (variant.old) utimesSync(path, aMinuteAgo, aMinuteAgo);
        planted.set(port, variant);
      }
      const hit = new Set<string>();
      // Each allocation meets a planted lock of a given kind with a chance of about 1 in 40: 1000
      // allocations miss one kind with a chance of about 1 in 10^11 (some 100 are needed on average).
      for (let n = 0; n < 1000 && hit.size < variants.length; n++) {
        const lease = await allocatePort();
        const variant = planted.get(lease.port);
        if (variant === undefined) {
          lease.release();
          continue;
        }
        leases.push(lease);
        planted.delete(lease.port);
        hit.add(variant.what);
        expect(readFileSync(lockPath(lease.port), 'utf8'), `the lock of port ${lease.port} (${variant.what})`).toBe(ownHolderLine());
      }
      expect([...hit].sort()).toEqual(variants.map((v) => v.what).sort());
    } finally {
      releaseAll(leases);
      // Remove what is still ours to remove: a planted lock nobody took over.
      for (const [port, variant] of planted) {
        const path = join(dir, String(port));
        try {
          if (readFileSync(path, 'utf8') === variant.text) unlinkSync(path);
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
