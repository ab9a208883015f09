import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, firstLine, fixture, NODE, until } from '../../helpers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface HostReport {
  host: number;
  reaper: number | null;
  mode: string;
  tree: { root: number; sleepers: number[]; setsid: number; ignoreTerm: number; orphan: number };
}

/** Starts test/fixtures/reaper-host.mjs and waits for its pid report. */
async function startHost(...args: string[]): Promise<{ host: ChildProcess; report: HostReport }> {
  const host = spawn(NODE, [fixture('reaper-host.mjs'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let errors = '';
  host.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    host.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    host.on('exit', (code) => {
      if (!text.includes('\n')) reject(new Error(`reaper-host exited (${code}) before reporting: ${errors}`));
    });
  });
  return { host, report: JSON.parse(line) as HostReport };
}

/** Every tree pid the host reported (the reaper excluded). */
function treePids(report: HostReport): number[] {
  const { root, sleepers, setsid, ignoreTerm, orphan } = report.tree;
  return [root, ...sleepers, setsid, ignoreTerm, orphan];
}

/** SIGKILLs everything a host reported, whatever the test did. */
function cleanup(host: ChildProcess | undefined, report: HostReport | undefined): void {
  const targets = report ? [-report.tree.root, ...treePids(report), report.reaper ?? 0] : [];
  if (host?.pid) targets.push(host.pid);
  for (const target of targets) {
    if (target === 0) continue;
    try {
      process.kill(target, 'SIGKILL');
    } catch {}
  }
}

/** Waits until the host is gone, then at most 2 s for the whole tree and the reaper to go. */
async function expectAllGoneWithin2s(host: ChildProcess, report: HostReport): Promise<void> {
  if (host.exitCode === null && host.signalCode === null) await once(host, 'exit');
  const pids = [...treePids(report), ...(report.reaper ? [report.reaper] : [])];
  const started = performance.now();
  await until(() => pids.every((pid) => !alive(pid)), 2000, `every pid of ${JSON.stringify(report)} to die`);
  expect(performance.now() - started).toBeLessThan(2000);
}

function vmRssKb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return Number(match?.[1]);
}

describe.runIf(process.platform === 'linux')('reaper, end to end', () => {
  it('has the children a host forked in one run of its code before anything queued after them runs', async () => {
    const host = spawn(NODE, [fixture('reaper-burst-host.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let report: { host: number; reaper: number; pids: number[] } | undefined;
    try {
      const line = await firstLine(host, 'reaper-burst-host.mjs');
      report = JSON.parse(line) as { host: number; reaper: number; pids: number[] };
      if (host.exitCode === null && host.signalCode === null) await once(host, 'exit');
      expect(host.signalCode).toBe('SIGKILL');
      // No cookie to find them by: the reaper knew them from their registrations alone.
      const pids = report.pids;
      await until(() => pids.every((pid) => !alive(pid)), 5000, `the host's children ${pids.join(', ')} to die`);
      await until(() => !alive(report?.reaper as number), 5000, 'the reaper to exit');
    } finally {
      for (const pid of [...(report?.pids ?? []), report?.reaper ?? 0, host.pid ?? 0]) {
        if (pid === 0) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
  });

  it('kills every tracked tree within 2 s of the host being SIGKILLed', async () => {
    let host: ChildProcess | undefined;
    let report: HostReport | undefined;
    try {
      ({ host, report } = await startHost('idle'));
      expect(report.mode).toBe('process');
      expect(report.reaper).toBeTypeOf('number');
      for (const pid of treePids(report)) expect(alive(pid)).toBe(true);
      // Cheap: an idle sh, not another Node.
      expect(vmRssKb(report.reaper as number)).toBeLessThan(8 * 1024);
      // Interrupts reach a terminal's whole group; the reaper must outlive them.
      process.kill(report.reaper as number, 'SIGINT');
      process.kill(report.reaper as number, 'SIGHUP');
      host.kill('SIGKILL');
      await expectAllGoneWithin2s(host, report);
    } finally {
      cleanup(host, report);
    }
  });

  it('kills them when the host exits normally', async () => {
    let host: ChildProcess | undefined;
    let report: HostReport | undefined;
    try {
      ({ host, report } = await startHost('exit'));
      await expectAllGoneWithin2s(host, report);
      expect(host.exitCode).toBe(0);
    } finally {
      cleanup(host, report);
    }
  });

  it('kills them when the host dies of an uncaught exception', async () => {
    let host: ChildProcess | undefined;
    let report: HostReport | undefined;
    try {
      ({ host, report } = await startHost('throw'));
      await expectAllGoneWithin2s(host, report);
      expect(host.exitCode).toBe(1);
    } finally {
      cleanup(host, report);
    }
  });

  it('without a reaper, the exit hook kills them on a normal exit', async () => {
    let host: ChildProcess | undefined;
    let report: HostReport | undefined;
    try {
      ({ host, report } = await startHost('exit', '--hook-only'));
      expect(report.mode).toBe('exit-hook');
      expect(report.reaper).toBeNull();
      await expectAllGoneWithin2s(host, report);
    } finally {
      cleanup(host, report);
    }
  });

  describe('a descendant that lost its parent link (found by its tree cookie)', () => {
    interface UnlinkedReport {
      host: number;
      reaper: number | null;
      mode: string;
      leader: number;
      unlinked: number;
    }

    /** Starts test/fixtures/reaper-unlinked-host.mjs and waits for its report. */
    async function startUnlinkedHost(...args: string[]): Promise<{ host: ChildProcess; report: UnlinkedReport }> {
      const host = spawn(NODE, [fixture('reaper-unlinked-host.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let errors = '';
      host.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      const line = await new Promise<string>((resolve, reject) => {
        host.stdout?.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          const end = text.indexOf('\n');
          if (end >= 0) resolve(text.slice(0, end));
        });
        host.on('exit', (code) => {
          if (!text.includes('\n')) reject(new Error(`reaper-unlinked-host exited (${code}) before reporting: ${errors}`));
        });
      });
      return { host, report: JSON.parse(line) as UnlinkedReport };
    }

    function cleanupUnlinked(host: ChildProcess | undefined, report: UnlinkedReport | undefined): void {
      const targets = report ? [-report.leader, report.leader, report.unlinked, report.reaper ?? 0] : [];
      if (host?.pid) targets.push(host.pid);
      for (const target of targets) {
        if (target === 0) continue;
        try {
          process.kill(target, 'SIGKILL');
        } catch {}
      }
    }

    async function expectGoneWithin2s(host: ChildProcess, report: UnlinkedReport): Promise<void> {
      if (host.exitCode === null && host.signalCode === null) await once(host, 'exit');
      const pids = [report.leader, report.unlinked, ...(report.reaper ? [report.reaper] : [])];
      const started = performance.now();
      await until(() => pids.every((pid) => !alive(pid)), 2000, `every pid of ${JSON.stringify(report)} to die`);
      expect(performance.now() - started).toBeLessThan(2000);
    }

    it('is gone within 2 s of the host being SIGKILLed', async () => {
      let host: ChildProcess | undefined;
      let report: UnlinkedReport | undefined;
      try {
        ({ host, report } = await startUnlinkedHost('idle'));
        expect(report.mode).toBe('process');
        // Own session, parent gone: neither its group nor a parent link leads to it.
        const text = readFileSync(`/proc/${report.unlinked}/stat`, 'latin1');
        const [, ppid, , sid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
        expect(Number(ppid)).not.toBe(report.leader);
        expect(Number(sid)).toBe(report.unlinked);
        expect(alive(report.unlinked)).toBe(true);
        host.kill('SIGKILL');
        await expectGoneWithin2s(host, report);
      } finally {
        cleanupUnlinked(host, report);
      }
    });

    it('without a reaper, the exit hook kills it on a normal exit', async () => {
      let host: ChildProcess | undefined;
      let report: UnlinkedReport | undefined;
      try {
        ({ host, report } = await startUnlinkedHost('exit', '--hook-only'));
        expect(report.mode).toBe('exit-hook');
        await expectGoneWithin2s(host, report);
      } finally {
        cleanupUnlinked(host, report);
      }
    });
  });
});
