/**
 * No orphans, end to end: a real host program (test/fixtures/host-manager.mjs) supervises a child
 * that forks grandchildren, one of them a session leader. However the host ends — SIGKILL, a normal
 * exit, an uncaught exception, SIGINT — every one of them is gone within 2 s; with `orphans: 'keep'` the
 * child outlives the host.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { delay, fixture, NODE, until } from '../helpers.js';
import { ProcessManager } from '../../src/index.js';
import { killAll, living, treePids } from './support.js';
import type { ForkTree } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface HostReport {
  host: number;
  reaper: number | null;
  tree: ForkTree;
}

/** Starts the host and resolves with its report line. */
async function startHost(how: 'idle' | 'exit' | 'throw' | 'signals' | 'drain', orphans: 'kill' | 'keep' = 'kill'): Promise<{ host: ChildProcess; report: HostReport }> {
  const host = spawn(NODE, [fixture('host-manager.mjs'), how, orphans], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  host.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    host.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    host.once('exit', (code, signal) => {
      if (!out.includes('\n')) reject(new Error(`host-manager ended (${code ?? signal}) before reporting:\n${err}`));
    });
  });
  return { host, report: JSON.parse(line) as HostReport };
}

function pidsOf(report: HostReport): number[] {
  return [...treePids(report.tree), ...(report.reaper === null ? [] : [report.reaper])];
}

async function hostEnded(host: ChildProcess): Promise<void> {
  if (host.exitCode === null && host.signalCode === null) await once(host, 'exit');
}

/** After the host ended, every pid it reported must be gone within 2 s. */
async function expectGoneWithin2s(host: ChildProcess, report: HostReport): Promise<void> {
  await hostEnded(host);
  const from = performance.now();
  const pids = pidsOf(report);
  await until(() => living(pids).length === 0, 2000, `${JSON.stringify(living(pids))} of ${JSON.stringify(report)} to die`);
  expect(performance.now() - from).toBeLessThan(2000);
}

describe.runIf(process.platform === 'linux')('no orphans when the host ends', () => {
  it('SIGKILL of the host: the child, its grandchildren and the setsid one die within 2 s', async () => {
    let started: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      started = await startHost('idle');
      const { host, report } = started;
      expect(report.reaper).toBeTypeOf('number');
      expect(living(treePids(report.tree))).toEqual(treePids(report.tree));
      host.kill('SIGKILL');
      await expectGoneWithin2s(host, report);
    } finally {
      if (started) killAll([started.host.pid, ...pidsOf(started.report)]);
    }
  });

  it('keepAlive: false — a host with nothing else to do exits by itself, code 0, and its tree dies', async () => {
    let started: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      started = await startHost('drain');
      const { host, report } = started;
      const [code] = (await (host.exitCode === null ? once(host, 'exit') : [host.exitCode])) as [number | null];
      expect(code).toBe(0);
      await expectGoneWithin2s(host, report);
    } finally {
      if (started) killAll([started.host.pid, ...pidsOf(started.report)]);
    }
  });

  it('SIGINT to the host (interrupted, no signal handling of its own)', async () => {
    let started: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      started = await startHost('idle');
      started.host.kill('SIGINT');
      await expectGoneWithin2s(started.host, started.report);
      expect(started.host.signalCode).toBe('SIGINT');
    } finally {
      if (started) killAll([started.host.pid, ...pidsOf(started.report)]);
    }
  });

  it('a normal process.exit of the host', async () => {
    let started: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      started = await startHost('exit');
      await expectGoneWithin2s(started.host, started.report);
      expect(started.host.exitCode).toBe(0);
    } finally {
      if (started) killAll([started.host.pid, ...pidsOf(started.report)]);
    }
  });

  it('an uncaught exception in the host', async () => {
    let started: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      started = await startHost('throw');
      await expectGoneWithin2s(started.host, started.report);
      expect(started.host.exitCode).not.toBe(0);
    } finally {
      if (started) killAll([started.host.pid, ...pidsOf(started.report)]);
    }
  });

  it("with `orphans: 'keep'` the child outlives a SIGKILLed host", async () => {
    let started: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      started = await startHost('idle', 'keep');
      const { host, report } = started;
      expect(report.reaper).toBeNull();
      host.kill('SIGKILL');
      await hostEnded(host);
      // No reaper was started (report.reaper is null) and a SIGKILLed host runs no exit hook: nothing
      // is left that could kill the tree. A reaper kills within a few ms of the host's death
      // (bench: reaper close() → a tree of 10 gone in ~60 ms), so this wait would catch one.
      await delay(100);
      expect(living(treePids(report.tree))).toEqual(treePids(report.tree));
    } finally {
      if (started) killAll([started.host.pid, ...pidsOf(started.report)]);
    }
  });

  it('handleSignals: SIGTERM to the host shuts the manager down, then the host exits 143', async () => {
    // orphans: 'keep', so only the manager's own shutdown can have stopped the tree.
    const { host, report } = await startHost('signals', 'keep');
    try {
      host.kill('SIGTERM');
      const [code] = (await once(host, 'exit')) as [number | null];
      expect(code).toBe(143);
      const pids = treePids(report.tree);
      await until(() => living(pids).length === 0, 2000, 'the tree to be stopped by shutdown()');
    } finally {
      host.kill('SIGKILL');
      killAll(treePids(report.tree));
    }
  });
});

describe.runIf(process.platform === 'linux')('nested hosts: a procvisor host supervised by another', () => {
  interface NestedReport {
    host: number;
    reaper: number | null;
    leader: number;
    escapee: number;
  }

  it.each([
    ['with handleSignals (the inner host shuts down gracefully)', 'signals', { timeout: 5000 }],
    ['without (SIGTERM kills the inner host; its reaper cleans up)', 'plain', { timeout: 5000 }],
    ["with shutdown 'kill' (everything SIGKILLed at once; the nested cookie still finds the daemon)", 'signals', 'kill'],
  ] as const)('stopping the outer entry leaves nothing of the inner tree, %s', async (_label, mode, shutdown) => {
    const outer = new ProcessManager();
    let report: NestedReport | undefined;
    try {
      const handle = await outer.start({
        name: 'inner-host',
        command: NODE,
        args: [fixture('nested-host.mjs'), mode],
        cwd: ROOT,
        readiness: { type: 'log', pattern: /^\{"host".*\}$/ },
        shutdown,
        startTimeout: 20_000,
      });
      report = JSON.parse((handle.readyData as RegExpMatchArray)[0]) as NestedReport;
      const all = [report.host, report.leader, report.escapee, ...(report.reaper === null ? [] : [report.reaper])];
      expect(living(all)).toEqual(all);
      await outer.stop('inner-host');
      // The outer stop resolves once its own tree is gone; the inner reaper may finish a moment later.
      await until(() => living(all).length === 0, 3000, `the inner tree to go (alive: ${living(all).join(' ')})`);
    } finally {
      await outer.shutdown();
      if (report) killAll([report.host, report.leader, report.escapee, report.reaper ?? undefined]);
    }
  });
});
