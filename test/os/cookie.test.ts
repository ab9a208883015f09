/**
 * Tree cookies: unique per incarnation, found in the environment of every descendant — one that
 * lost its parent link included — matched by whole entries, and swept.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findByCookie, hostCookiePrefix, killByCookie, newTreeCookie, pidRange, sweep, sweepSoon, sweepsSettled, TREE_COOKIE_ENV } from '../../src/os/cookie.js';
import { readStat } from '../../src/os/proc.js';
import { readProcessTree } from '../../src/os/tree.js';
import { alive, firstLine, fixture, until } from '../helpers.js';

const linux = process.platform === 'linux';

/** The host environment without any cookie of its own (the suite may itself run supervised). */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[TREE_COOKIE_ENV];
  return env;
}

/**
 * Starts test/fixtures/unlinked-tree.sh carrying `cookie`: a leader, and a `sleep` in its own
 * session whose parent already exited. Resolves once the leader printed the sleep's pid.
 */
async function unlinkedTree(cookie: string): Promise<{ child: ChildProcess; leader: number; unlinked: number }> {
  const child = spawn('sh', [fixture('unlinked-tree.sh')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...baseEnv(), [TREE_COOKIE_ENV]: cookie },
  });
  const line = await firstLine(child, 'unlinked-tree.sh');
  return { child, leader: child.pid as number, unlinked: Number(line) };
}

/** A `sleep` whose environment is `env`, once it runs (exec done: its environ is the new one). */
async function sleeper(env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore', env });
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid as number;
}

function killAll(pids: readonly (number | undefined)[]): void {
  for (const pid of pids) {
    if (pid === undefined) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {}
    }
  }
}

const pidsOf = (ids: readonly { pid: number }[]): number[] => ids.map((id) => id.pid).sort((a, b) => a - b);

describe('newTreeCookie', () => {
  it('is unique, made of digits and dots, and starts with the host prefix', () => {
    const a = newTreeCookie();
    const b = newTreeCookie();
    expect(a).not.toBe(b);
    expect(a.startsWith(hostCookiePrefix())).toBe(true);
    expect(hostCookiePrefix()).toMatch(new RegExp(`^${process.pid}\\.\\d+\\.\\d+\\.$`));
    expect(a).toMatch(/^[0-9.]+$/);
  });
});

describe.runIf(linux)('findByCookie', () => {
  it('finds a descendant that lost its parent link, which a tree walk cannot', async () => {
    const cookie = newTreeCookie();
    let tree: Awaited<ReturnType<typeof unlinkedTree>> | undefined;
    try {
      tree = await unlinkedTree(cookie);
      const { leader, unlinked } = tree;
      expect(readStat(unlinked)?.sid).toBe(unlinked);
      expect(pidsOf(readProcessTree(leader))).toEqual([leader]);
      const found = findByCookie(cookie);
      expect(pidsOf(found)).toEqual([leader, unlinked].sort((a, b) => a - b));
      for (const id of found) expect(id.starttime).toBe(readStat(id.pid)?.starttime);
      expect(findByCookie(newTreeCookie())).toEqual([]);
      expect(pidsOf(findByCookie(hostCookiePrefix(), { prefix: true }))).toEqual(expect.arrayContaining([leader, unlinked]));
    } finally {
      killAll([tree?.leader, tree?.unlinked]);
    }
  });

  it('finds the cookies nested under a cookie (a procvisor host inside the tree), never a longer sibling', async () => {
    const cookie = newTreeCookie();
    const pids: number[] = [];
    try {
      const nested = await sleeper({ ...baseEnv(), [TREE_COOKIE_ENV]: `${cookie}/123.456.789.1` });
      const sibling = await sleeper({ ...baseEnv(), [TREE_COOKIE_ENV]: `${cookie}1/123.456.789.1` });
      pids.push(nested, sibling);
      expect(pidsOf(findByCookie(cookie))).toEqual([nested]);
      // Among many cookies (a shutdown sweeps one per stopped tree), each process is found once.
      const many = [...Array.from({ length: 500 }, (_, i) => `9.9.9.${i}`), cookie, `${cookie}/123.456.789.1`];
      expect(pidsOf(findByCookie(many))).toEqual([nested]);
      expect(pidsOf(killByCookie(cookie))).toEqual([nested]);
      await until(() => !alive(nested), 2000, 'the nested one to die');
      expect(alive(sibling)).toBe(true);
    } finally {
      killAll(pids);
    }
  });

  it('a host inside a supervised incarnation nests its cookies under the inherited one', () => {
    const inherited = '11.22.33.4';
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/os/cookie.ts').then((m) => process.stdout.write(m.newTreeCookie()))"], {
      env: { ...process.env, [TREE_COOKIE_ENV]: inherited },
      encoding: 'utf8',
    });
    expect(out).toMatch(/^11\.22\.33\.4\/\d+\.\d+\.\d+\.1$/);
  });

  it('matches whole entries, the first one of an environment included', async () => {
    const cookie = newTreeCookie();
    const pids: number[] = [];
    try {
      // `${cookie}0` as the very first entry (no NUL before it); `cookie` in the middle.
      const longer = await sleeper({ [TREE_COOKIE_ENV]: `${cookie}0`, ...baseEnv() });
      const exact = await sleeper({ ...baseEnv(), [TREE_COOKIE_ENV]: cookie, ZZZ_AFTER: '1' });
      pids.push(longer, exact);
      expect(pidsOf(findByCookie(cookie))).toEqual([exact]);
      expect(pidsOf(findByCookie(`${cookie}0`))).toEqual([longer]);
      expect(pidsOf(findByCookie([cookie, `${cookie}0`]))).toEqual(pids.sort((a, b) => a - b));
      expect(pidsOf(findByCookie(cookie, { prefix: true }))).toEqual(pids.sort((a, b) => a - b));
      expect(findByCookie([])).toEqual([]);
    } finally {
      killAll(pids);
    }
  });

  it('leaves out zombies', async () => {
    const cookie = newTreeCookie();
    // The leader execs `sleep`, which never reaps the child the shell left: a zombie with the cookie.
    // The child exits a moment later, so the shell has surely become `sleep` (a shell that is still
    // a shell may reap it, and there would be no zombie).
    const child = spawn('sh', ['-c', 'sh -c "sleep 0.1; exit 0" & echo $!; exec sleep 1000'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...baseEnv(), [TREE_COOKIE_ENV]: cookie },
    });
    const leader = child.pid as number;
    try {
      const zombie = Number(await new Promise<string>((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      await until(() => readStat(zombie)?.state === 'Z', 5000, 'the child to be a zombie');
      expect(pidsOf(findByCookie(cookie))).toEqual([leader]);
    } finally {
      killAll([leader]);
    }
  });
});

describe.runIf(linux)('killByCookie, sweep and sweepSoon', () => {
  it('killByCookie SIGKILLs what it finds and spares what it is told to', async () => {
    const cookie = newTreeCookie();
    let tree: Awaited<ReturnType<typeof unlinkedTree>> | undefined;
    try {
      tree = await unlinkedTree(cookie);
      const { leader, unlinked } = tree;
      const spared = { pid: leader, starttime: readStat(leader)?.starttime };
      expect(pidsOf(killByCookie(cookie, [spared]))).toEqual([unlinked]);
      await until(() => !alive(unlinked), 2000, 'the unlinked sleep to die');
      expect(alive(leader)).toBe(true);
      expect(killByCookie(cookie, [spared])).toEqual([]);
    } finally {
      killAll([tree?.leader, tree?.unlinked]);
    }
  });

  it('sweep: concurrent sweeps share a scan, each gets what its own cookie marks', async () => {
    const cookies = [newTreeCookie(), newTreeCookie()];
    const trees: Awaited<ReturnType<typeof unlinkedTree>>[] = [];
    try {
      for (const cookie of cookies) trees.push(await unlinkedTree(cookie));
      const [a, b] = trees as [(typeof trees)[0], (typeof trees)[0]];
      const spared = { pid: a.leader, starttime: readStat(a.leader)?.starttime };
      const [sweptA, sweptB] = await Promise.all([sweep(cookies[0] as string, [spared]), sweep(cookies[1] as string)]);
      expect(pidsOf(sweptA)).toEqual([a.unlinked]);
      expect(pidsOf(sweptB)).toEqual([b.leader, b.unlinked].sort((x, y) => x - y));
      await until(() => [a.unlinked, b.leader, b.unlinked].every((pid) => !alive(pid)), 2000, 'the swept processes to die');
      expect(alive(a.leader)).toBe(true);
    } finally {
      killAll(trees.flatMap((t) => [t.leader, t.unlinked]));
    }
  });

  it('sweepSoon kills, a little later, what several cookies mark', async () => {
    const cookies = [newTreeCookie(), newTreeCookie()];
    const trees: Awaited<ReturnType<typeof unlinkedTree>>[] = [];
    try {
      for (const cookie of cookies) trees.push(await unlinkedTree(cookie));
      for (const cookie of cookies) sweepSoon(cookie);
      const pids = trees.flatMap((t) => [t.leader, t.unlinked]);
      expect(pids.every((pid) => alive(pid))).toBe(true);
      // Settled once what it SIGKILLed is gone, not merely signalled: a shutdown awaits this.
      await sweepsSettled();
      expect(pids.filter((pid) => alive(pid))).toEqual([]);
    } finally {
      killAll(trees.flatMap((t) => [t.leader, t.unlinked]));
    }
  });
});

describe('pidRange', () => {
  it('keeps the pids allocated after the leader, in cyclic order', () => {
    const inRange = pidRange(100, 200);
    expect([99, 100, 101, 200, 201].map(inRange)).toEqual([false, false, true, true, false]);
  });

  it('wraps past pid_max', () => {
    const inRange = pidRange(32_000, 50);
    expect([31_999, 32_000, 32_001, 32_768, 1, 50, 51].map(inRange)).toEqual([false, false, true, true, true, true, false]);
  });
});

describe('sweeping a young tree by pid range', () => {
  it("takes a process's threads for nothing: only the process is swept", async () => {
    const cookie = newTreeCookie();
    const bornAt = performance.now();
    // A Node process: its threads (libuv's pool, V8's workers) get ids right after its pid, from
    // the same numbering, and `/proc/<tid>/environ` opens for a thread too.
    const child = spawn(process.execPath, ['-e', "console.log('up'); setInterval(() => {}, 1000)"], {
      env: { ...process.env, [TREE_COOKIE_ENV]: cookie },
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    const pid = child.pid as number;
    try {
      await firstLine(child, 'node');
      const swept = await sweep(cookie, [], { pid: pid - 1, bornAt });
      expect(swept.map((p) => p.pid)).toEqual([pid]);
    } finally {
      killAll([pid]);
    }
  });

  it('still finds an unlinked escapee created after the leader', async () => {
    const cookie = newTreeCookie();
    const bornAt = performance.now();
    const child = spawn('sh', ['-c', '(setsid sleep 30 &) ; exit 0'], { env: { ...process.env, [TREE_COOKIE_ENV]: cookie }, stdio: 'ignore' });
    // The origin is the tree's leader, as the manager records it: the escapee's pid is allocated
    // after the leader's. (This test process's own pid is no origin: a long suite on a host with a
    // small pid_max may have wrapped past it since it began.)
    const origin = { pid: child.pid as number, bornAt };
    await once(child, 'exit');
    let found: number[] = [];
    try {
      for (let i = 0; i < 50 && found.length === 0; i++) {
        found = findByCookie(cookie).map((p) => p.pid);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(found.length).toBe(1);
      const swept = await sweep(cookie, [], origin);
      expect(swept.map((p) => p.pid)).toEqual(found);
    } finally {
      killAll(found);
    }
  });
});
