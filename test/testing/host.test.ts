/**
 * procvisor/testing in a real test process (test/fixtures/testing-host.mjs, which starts a fixture
 * with a grandchild and never stops it): such a process still exits by itself and takes its fixture
 * along; and when it is killed together with its reaper, `reapLeftovers()` of a later run kills
 * what it left — never what a run still in progress holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reapLeftovers } from '../../src/testing/index.js';
import { ledgerDir } from '../../src/testing/ledger.js';
import { alive, fixture, NODE, until } from '../helpers.js';
import { killAll, living } from '../manager/support.js';

interface HostReport {
  host: number;
  reaper: number | null;
  fixture: number;
  grandchild: number;
}

interface Host {
  child: ChildProcess;
  report: HostReport;
}

/** A fresh project directory (a package.json and nothing else), so the host's ledger is its own. */
function tempProject(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'procvisor-testing-host-')));
  writeFileSync(join(dir, 'package.json'), '{}\n');
  return dir;
}

/** The ledger files of a project's runs. */
function ledgers(project: string): string[] {
  try {
    return readdirSync(ledgerDir(project));
  } catch {
    return [];
  }
}

function removeProject(dir: string): void {
  rmSync(ledgerDir(dir), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

/** Starts testing-host.mjs in `cwd` and resolves with its report line. */
async function startHost(how: 'drain' | 'idle', cwd: string, started: ChildProcess[]): Promise<Host> {
  const child = spawn(NODE, [fixture('testing-host.mjs'), how], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    child.once('exit', (code, signal) => {
      if (!out.includes('\n')) reject(new Error(`testing-host.mjs ended (${code ?? signal}) before reporting:\n${err}`));
    });
  });
  return { child, report: JSON.parse(line) as HostReport };
}

function ended(child: ChildProcess): Promise<unknown> {
  return child.exitCode === null && child.signalCode === null ? once(child, 'exit') : Promise.resolve();
}

/** Last-resort cleanup: every host started, and every pid they reported. */
function killEverything(hosts: readonly ChildProcess[], reports: readonly HostReport[]): void {
  killAll(hosts.map((h) => h.pid));
  killAll(reports.flatMap((r) => [r.fixture, r.grandchild, r.reaper ?? undefined]));
}

describe.runIf(process.platform !== 'win32')('a test process using procvisor/testing', () => {
  it('a host that never stops its fixture exits by itself (code 0), and its fixture and grandchild die within 2 s', async () => {
    const project = tempProject();
    const hosts: ChildProcess[] = [];
    const reports: HostReport[] = [];
    try {
      const from = performance.now();
      const { child, report } = await startHost('drain', project, hosts);
      reports.push(report);
      expect(report.host).toBe(child.pid);
      expect(report.reaper).toBeTypeOf('number');
      // (Whether they still live when the report is read is a race: the host is exiting already.)
      for (const pid of [report.fixture, report.grandchild]) expect(Number.isInteger(pid) && pid > 1 && pid !== report.host).toBe(true);
      await ended(child);
      expect(child.exitCode).toBe(0);
      expect(performance.now() - from).toBeLessThan(5000);
      const exitedAt = performance.now();
      await until(() => living([report.fixture, report.grandchild]).length === 0, 2000, 'the fixture and its grandchild to die');
      expect(performance.now() - exitedAt).toBeLessThan(2000);
      // It exited by itself: its ledger went with it, nothing is left to reap.
      expect(ledgers(project)).toEqual([]);
      expect(await reapLeftovers({ cwd: project })).toBe(0);
    } finally {
      killEverything(hosts, reports);
      removeProject(project);
    }
  });

  it('reapLeftovers() kills what a host killed together with its reaper left, and only once', async () => {
    const project = tempProject();
    const hosts: ChildProcess[] = [];
    const reports: HostReport[] = [];
    try {
      const { child, report } = await startHost('idle', project, hosts);
      reports.push(report);
      const { fixture: fixturePid, grandchild, reaper } = report;
      expect(reaper).toBeTypeOf('number');
      expect(living([fixturePid, grandchild, reaper as number])).toHaveLength(3);
      // Nothing may take the fixture down: the host is stopped first (a reaper that lived a while
      // is replaced the moment it dies, by a live host), then the reaper and the host are SIGKILLed.
      child.kill('SIGSTOP');
      process.kill(reaper as number, 'SIGKILL');
      await until(() => !alive(reaper as number), 2000, 'the reaper to die');
      child.kill('SIGKILL');
      await ended(child);
      expect(child.signalCode).toBe('SIGKILL');
      // Left behind: no hook ran, no reaper is there; the ledger names them.
      expect(living([fixturePid, grandchild])).toEqual([fixturePid, grandchild]);
      expect(ledgers(project)).toEqual([expect.stringMatching(new RegExp(`^${report.host}-`))]);
      // Another project's reap touches none of it.
      const other = tempProject();
      try {
        expect(await reapLeftovers({ cwd: other })).toBe(0);
      } finally {
        removeProject(other);
      }
      expect(living([fixturePid, grandchild])).toEqual([fixturePid, grandchild]);
      const count = await reapLeftovers({ cwd: project });
      expect(count).toBeGreaterThanOrEqual(2);
      // Resolved once they are gone; the ledger is done with.
      expect(living([fixturePid, grandchild])).toEqual([]);
      expect(ledgers(project)).toEqual([]);
      expect(await reapLeftovers({ cwd: project })).toBe(0);
    } finally {
      killEverything(hosts, reports);
      removeProject(project);
    }
  });

  it('reapLeftovers() leaves the ledger of a live host alone', async () => {
    const project = tempProject();
    const hosts: ChildProcess[] = [];
    const reports: HostReport[] = [];
    try {
      const { child, report } = await startHost('idle', project, hosts);
      reports.push(report);
      expect(ledgers(project)).toHaveLength(1);
      expect(await reapLeftovers({ cwd: project })).toBe(0);
      expect(living([report.host, report.fixture, report.grandchild])).toEqual([report.host, report.fixture, report.grandchild]);
      expect(ledgers(project)).toHaveLength(1);
      // Its end is its reaper's business: SIGKILL the host, the reaper takes the fixture.
      child.kill('SIGKILL');
      await ended(child);
      await until(() => living([report.fixture, report.grandchild]).length === 0, 2000, 'the reaper to take the fixture');
      expect(await reapLeftovers({ cwd: project })).toBe(0);
    } finally {
      killEverything(hosts, reports);
      removeProject(project);
    }
  });
});
