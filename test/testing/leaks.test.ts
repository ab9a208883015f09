/**
 * assertNoLeaks (src/testing/leaks.ts): resolves once every fixture and what it started is gone;
 * otherwise kills what it found and rejects with a FixtureLeakError naming each process — a fixture
 * still running, its grandchild, and (Linux) a grandchild that left the tree by setsid and lost its
 * parent (found by its tree cookie).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FixtureLeakError } from '../../src/index.js';
import { assertNoLeaks, startFixture, type Fixture } from '../../src/testing/index.js';
import { alive, fixture, NODE, until } from '../helpers.js';
import { killAll } from '../manager/support.js';

interface TreeReport {
  pid: number;
  grandchild: number;
}

/** A fixture running testing-tree.mjs, ready on its JSON line, with the pids it reports. */
async function startTree(name: string, how: 'plain' | 'escape' = 'plain'): Promise<{ fixture: Fixture; report: TreeReport }> {
  const started = await startFixture({
    name,
    command: NODE,
    args: [fixture('testing-tree.mjs'), how],
    readiness: { type: 'log', pattern: /^\{"pid".*\}$/ },
  });
  const report = JSON.parse((started.handle.readyData as RegExpMatchArray)[0]) as TreeReport;
  return { fixture: started, report };
}

/** The error assertNoLeaks rejects with (fails the test when it resolves). */
async function leakError(): Promise<FixtureLeakError> {
  const error = await assertNoLeaks().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'assertNoLeaks() resolved').toBeInstanceOf(FixtureLeakError);
  return error as FixtureLeakError;
}

describe('assertNoLeaks', () => {
  it('resolves when every fixture was stopped (its grandchild with it)', async () => {
    let started: Awaited<ReturnType<typeof startTree>> | undefined;
    try {
      started = await startTree('stopped-tree');
      expect(alive(started.report.grandchild)).toBe(true);
      await started.fixture.stop();
      await expect(assertNoLeaks()).resolves.toBeUndefined();
      expect(alive(started.report.pid)).toBe(false);
      expect(alive(started.report.grandchild)).toBe(false);
    } finally {
      await started?.fixture.stop();
      if (started) killAll([started.report.pid, started.report.grandchild]);
    }
  });

  it('a fixture left running: rejects with FIXTURE_LEAK naming the fixture and its grandchild, kills both, and the next call resolves', async () => {
    let started: Awaited<ReturnType<typeof startTree>> | undefined;
    try {
      started = await startTree('left-running');
      const { pid, grandchild } = started.report;
      expect(started.fixture.pid).toBe(pid);
      const error = await leakError();
      expect(error.code).toBe('FIXTURE_LEAK');
      expect(error.leaks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ fixture: 'left-running', pid, kind: 'fixture' }),
          expect.objectContaining({ fixture: 'left-running', pid: grandchild, kind: 'descendant' }),
        ]),
      );
      expect(error.leaks).toHaveLength(2);
      if (process.platform === 'linux') {
        expect(error.leaks.find((l) => l.pid === grandchild)?.command).toBe('sleep 1000');
        expect(error.leaks.find((l) => l.pid === pid)?.command).toContain('testing-tree.mjs');
      }
      expect(error.message).toContain(`pid ${pid}`);
      expect(error.message).toContain(`pid ${grandchild}`);
      expect(error.message).toContain('`left-running`');
      expect(error.message).toMatch(/never stopped/);
      // Killed: both are gone (SIGKILL; polled, they are reaped asynchronously).
      await until(() => !alive(pid) && !alive(grandchild), 2000, 'the leaked processes to die');
      // And unregistered: the name is free again and nothing is left to report.
      await expect(assertNoLeaks()).resolves.toBeUndefined();
      const again = await startFixture({ name: 'left-running', command: NODE, args: ['-e', 'setInterval(() => {}, 1 << 30)'] });
      try {
        expect(again.name).toBe('left-running');
      } finally {
        await again.stop();
      }
    } finally {
      await started?.fixture.stop();
      if (started) killAll([started.report.pid, started.report.grandchild]);
    }
  });

  describe.runIf(process.platform === 'linux')('a grandchild that escaped the tree', () => {
    it('setsid and re-parented (its parent exited): still found by its tree cookie, named and killed', async () => {
      let started: Awaited<ReturnType<typeof startTree>> | undefined;
      try {
        started = await startTree('escaper', 'escape');
        const { pid, grandchild } = started.report;
        expect(alive(grandchild)).toBe(true);
        // It really left: neither a child of the fixture nor in its process group or session.
        const stat = (p: number): string[] => {
          const text = readStat(p);
          return text.slice(text.lastIndexOf(') ') + 2).split(' ');
        };
        const [, ppid, pgid, sid] = stat(grandchild);
        expect(Number(ppid)).not.toBe(pid);
        expect(Number(pgid)).toBe(grandchild);
        expect(Number(sid)).toBe(grandchild);
        const error = await leakError();
        expect(error.leaks).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ fixture: 'escaper', pid, kind: 'fixture' }),
            expect.objectContaining({ fixture: 'escaper', pid: grandchild, kind: 'descendant', command: 'sleep 1000' }),
          ]),
        );
        expect(error.message).toContain(`pid ${pid}`);
        expect(error.message).toContain(`pid ${grandchild}`);
        await until(() => !alive(pid) && !alive(grandchild), 2000, 'the leaked processes to die');
        await expect(assertNoLeaks()).resolves.toBeUndefined();
      } finally {
        await started?.fixture.stop();
        if (started) killAll([started.report.pid, started.report.grandchild]);
      }
    });

    it('stopping the fixture takes the escaped grandchild too (the stop sweeps its cookie): no leak', async () => {
      let started: Awaited<ReturnType<typeof startTree>> | undefined;
      try {
        started = await startTree('escaper-stopped', 'escape');
        const { pid, grandchild } = started.report;
        await started.fixture.stop();
        await expect(assertNoLeaks()).resolves.toBeUndefined();
        expect(alive(pid)).toBe(false);
        expect(alive(grandchild)).toBe(false);
      } finally {
        await started?.fixture.stop();
        if (started) killAll([started.report.pid, started.report.grandchild]);
      }
    });
  });
});

function readStat(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'latin1');
}
