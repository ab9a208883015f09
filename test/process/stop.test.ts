/**
 * The termination ladder on its own (runLadder) against real detached processes: the signal, the
 * escalation, `'kill'`, whole trees, a target that never reports its exit, and the sweep by tree
 * cookie of a descendant that lost its parent link.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { newTreeCookie, TREE_COOKIE_ENV } from '../../src/os/cookie.js';
import { WalkBurst } from '../../src/os/tree.js';
import { runLadder } from '../../src/process/stop.js';
import type { LadderTarget } from '../../src/process/stop.js';
import { FakeClock } from '../clock.js';
import { alive, firstLine, fixture, NODE, until } from '../helpers.js';

/** Spawns a fixture as the leader of its own group and waits for its first line. */
async function leader(script: string, ...args: string[]): Promise<{ child: ChildProcess; first: string }> {
  const child = spawn(NODE, [fixture(script), ...args], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  return { child, first: await firstLine(child, script) };
}

/** test/fixtures/unlinked-tree.sh carrying `cookie`: a leader, and a setsid `sleep` whose parent is gone. */
async function unlinked(cookie: string): Promise<{ child: ChildProcess; unlinked: number }> {
  const env = { ...process.env, [TREE_COOKIE_ENV]: cookie };
  const child = spawn('sh', [fixture('unlinked-tree.sh')], { detached: true, stdio: ['ignore', 'pipe', 'inherit'], env });
  return { child, unlinked: Number(await firstLine(child, 'unlinked-tree.sh')) };
}

function target(child: ChildProcess, cookie?: string): LadderTarget {
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
  return { pid: child.pid as number, exited, cookie };
}

function kill(pids: readonly number[]): void {
  for (const pid of pids) {
    for (const t of [-pid, pid]) {
      try {
        process.kill(t, 'SIGKILL');
      } catch {}
    }
  }
}

describe('runLadder', () => {
  it('stops a process that honours SIGTERM without escalating', async () => {
    const { child } = await leader('idle.mjs');
    const kills: number[][] = [];
    try {
      const outcome = await runLadder(target(child), { signal: 'SIGTERM', timeout: 3000 }, { unstoppedGrace: 500, onKill: (p) => kills.push(p) });
      expect(outcome).toEqual({ escalated: false, unstopped: [], swept: [] });
      expect(kills).toEqual([]);
      expect(child.signalCode).toBe('SIGTERM');
    } finally {
      kill([child.pid as number]);
    }
  });

  it('escalates to SIGKILL after the timeout and reports the pids', async () => {
    const { child } = await leader('ignore-sigterm.mjs');
    const pid = child.pid as number;
    const kills: number[][] = [];
    try {
      const started = performance.now();
      const outcome = await runLadder(target(child), { signal: 'SIGTERM', timeout: 250 }, { unstoppedGrace: 1000, onKill: (p) => kills.push(p) });
      expect(performance.now() - started).toBeGreaterThanOrEqual(240);
      expect(outcome).toEqual({ escalated: true, unstopped: [], swept: [] });
      expect(kills).toHaveLength(1);
      expect(kills[0]).toContain(pid);
      expect(child.signalCode).toBe('SIGKILL');
    } finally {
      kill([pid]);
    }
  });

  it("'kill' sends SIGKILL at once", async () => {
    const { child } = await leader('ignore-sigterm.mjs');
    try {
      const started = performance.now();
      const outcome = await runLadder(target(child), 'kill', { unstoppedGrace: 1000 });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(outcome.escalated).toBe(true);
      expect(child.signalCode).toBe('SIGKILL');
    } finally {
      kill([child.pid as number]);
    }
  });

  it.runIf(process.platform === 'linux')('ends the whole tree, the setsid grandchild included', async () => {
    const { child, first } = await leader('fork-tree.mjs');
    const tree = JSON.parse(first) as { pid: number; group: number[]; setsid: number };
    const pids = [tree.pid, ...tree.group, tree.setsid];
    try {
      expect(pids.every((pid) => alive(pid))).toBe(true);
      await runLadder(target(child), { signal: 'SIGTERM', timeout: 3000 }, { unstoppedGrace: 1000 });
      expect(pids.filter((pid) => alive(pid))).toEqual([]);
    } finally {
      kill(pids);
    }
  });

  it.runIf(process.platform === 'linux')('with a burst of stops, signals the whole tree from their shared scan', async () => {
    const { child, first } = await leader('fork-tree.mjs');
    const tree = JSON.parse(first) as { pid: number; group: number[]; setsid: number };
    const pids = [tree.pid, ...tree.group, tree.setsid];
    try {
      const burst = new WalkBurst(1_000_000);
      expect(burst.scan()?.links.has(tree.setsid)).toBe(true);
      const outcome = await runLadder(target(child), { signal: 'SIGTERM', timeout: 3000 }, { unstoppedGrace: 1000, burst });
      // Gone on the graceful signal: the member in its own session got it as well.
      expect(outcome).toEqual({ escalated: false, unstopped: [], swept: [] });
      expect(pids.filter((pid) => alive(pid))).toEqual([]);
    } finally {
      kill(pids);
    }
  });

  it('finishes after the grace when the exit is never reported, and says so', async () => {
    const { child } = await leader('ignore-sigterm.mjs');
    const pid = child.pid as number;
    const unstopped: number[][] = [];
    try {
      const never = new Promise<void>(() => {});
      const started = performance.now();
      const outcome = await runLadder({ pid, exited: never }, { signal: 'SIGTERM', timeout: 100 }, { unstoppedGrace: 300, onUnstopped: (p) => unstopped.push(p) });
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(390);
      expect(took).toBeLessThan(3000);
      expect(outcome.escalated).toBe(true);
      expect(unstopped).toHaveLength(1);
      // The SIGKILL did land: nothing is actually left alive.
      expect(outcome.unstopped).toEqual([]);
      expect(alive(pid)).toBe(false);
    } finally {
      kill([pid]);
    }
  });

  describe('on an injected clock', () => {
    it('waits out shutdown.timeout on its clock before escalating', async () => {
      const { child } = await leader('ignore-sigterm.mjs');
      const pid = child.pid as number;
      const clock = new FakeClock();
      const kills: number[][] = [];
      let outcome: unknown;
      try {
        const ladder = runLadder(target(child), { signal: 'SIGTERM', timeout: 60_000 }, { unstoppedGrace: 60_000, clock, onKill: (p) => kills.push(p) }).then(
          (o) => (outcome = o),
        );
        // The process ignores SIGTERM: the ladder waits, on its clock only.
        expect(clock.nextDue).toBe(60_000);
        await clock.advance(59_999);
        expect(kills).toEqual([]);
        expect(outcome).toBeUndefined();
        expect(alive(pid)).toBe(true);
        await clock.advance(1);
        expect(kills).toHaveLength(1);
        expect(kills[0]).toContain(pid);
        // The kill lands for real; the exit is reported well within the grace, which never passes.
        await ladder;
        expect(outcome).toEqual({ escalated: true, unstopped: [], swept: [] });
        expect(child.signalCode).toBe('SIGKILL');
        expect(clock.pending).toBe(0);
      } finally {
        kill([pid]);
      }
    });

    it('waits out unstoppedGrace on its clock when the exit is never reported', async () => {
      const { child } = await leader('ignore-sigterm.mjs');
      const pid = child.pid as number;
      const clock = new FakeClock();
      const unstopped: number[][] = [];
      let outcome: unknown;
      try {
        const never = new Promise<void>(() => {});
        const ladder = runLadder({ pid, exited: never }, 'kill', { unstoppedGrace: 5000, clock, onUnstopped: (p) => unstopped.push(p) }).then(
          (o) => (outcome = o),
        );
        await until(() => !alive(pid), 5000, 'the SIGKILL to land');
        await clock.advance(4999);
        expect(outcome).toBeUndefined();
        await clock.advance(1);
        await ladder;
        // Reported as not seen to stop (its exit never came), though nothing is left alive.
        expect(unstopped).toHaveLength(1);
        expect(outcome).toEqual({ escalated: true, unstopped: [], swept: [] });
      } finally {
        kill([pid]);
      }
    });
  });

  describe.runIf(process.platform === 'linux')('the sweep by tree cookie', () => {
    it('SIGKILLs, after a graceful stop, a descendant that lost its parent link', async () => {
      const cookie = newTreeCookie();
      const { child, unlinked: escapee } = await unlinked(cookie);
      try {
        const outcome = await runLadder(target(child, cookie), { signal: 'SIGTERM', timeout: 3000 }, { unstoppedGrace: 1000 });
        expect(outcome).toEqual({ escalated: false, unstopped: [], swept: [escapee] });
        expect(child.signalCode).toBe('SIGTERM');
        expect(alive(escapee)).toBe(false);
      } finally {
        kill([child.pid as number, escapee]);
      }
    });

    it("sweeps it with `'kill'` too", async () => {
      const cookie = newTreeCookie();
      const { child, unlinked: escapee } = await unlinked(cookie);
      try {
        const outcome = await runLadder(target(child, cookie), 'kill', { unstoppedGrace: 1000 });
        expect(outcome).toEqual({ escalated: true, unstopped: [], swept: [escapee] });
        expect(alive(escapee)).toBe(false);
      } finally {
        kill([child.pid as number, escapee]);
      }
    });

    it('without a cookie, nothing finds it: it survives the stop', async () => {
      const { child, unlinked: escapee } = await unlinked(newTreeCookie());
      try {
        const outcome = await runLadder(target(child), 'kill', { unstoppedGrace: 1000 });
        expect(outcome.swept).toEqual([]);
        expect(alive(escapee)).toBe(true);
      } finally {
        kill([child.pid as number, escapee]);
      }
    });
  });
});
