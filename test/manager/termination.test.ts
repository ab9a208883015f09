/**
 * The termination ladder through the manager: the signal, escalation to SIGKILL with a `kill`
 * event, `shutdown: 'kill'`, `timeout: Infinity`, and whole trees — including a grandchild that
 * made itself a session leader, even one whose parent died (found by its tree cookie only) — gone
 * after a stop or when the leader crashes.
 */
import { describe, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import type { ProcessSpec } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { alive, fixture, track, until } from '../helpers.js';
import { killAll, living, nextEvent, nodeSpec, payloads, READY_LINE, record, TREE_READY, treeOf, treePids } from './support.js';

const linux = process.platform === 'linux';

describe.concurrent('the ladder', () => {
  it('sends SIGTERM and stops without escalating when it is honoured', async ({ expect }) => {
    const pm = track(new ProcessManager({ shutdown: { timeout: 5000 } }));
    const seen = record(pm, ['stop', 'kill']);
    const handle = await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE }));
    const pid = handle.pid as number;
    const started = performance.now();
    await pm.stop('a');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(alive(pid)).toBe(false);
    expect(payloads(seen, 'kill')).toEqual([]);
    expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ name: 'a', pid, exitCode: null, signal: 'SIGTERM' })]);
  });

  it('sends the configured signal', async ({ expect }) => {
    const pm = track(new ProcessManager());
    const seen = record(pm, ['stop']);
    await pm.start(nodeSpec('a', 'idle.mjs', [], { readiness: READY_LINE, shutdown: { signal: 'SIGINT', timeout: 3000 } }));
    await pm.stop('a');
    expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ name: 'a', signal: 'SIGINT' })]);
  });

  it('SIGKILLs a process that ignores SIGTERM after shutdown.timeout, with a kill event', async ({ expect }) => {
    const pm = track(new ProcessManager());
    const seen = record(pm, ['stop', 'kill', 'output']);
    const handle = await pm.start(nodeSpec('stubborn', 'ignore-sigterm.mjs', [], { readiness: READY_LINE, shutdown: { timeout: 300 } }));
    const pid = handle.pid as number;
    try {
      const started = performance.now();
      await pm.stop('stubborn');
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(300 + 3000);
      expect(alive(pid)).toBe(false);
      expect(payloads(seen, 'output').map((e) => e.line)).toContain('got SIGTERM');
      const [kill] = payloads(seen, 'kill');
      expect(kill).toMatchObject({ name: 'stubborn', pid });
      expect(kill?.pids).toContain(pid);
      expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ name: 'stubborn', signal: 'SIGKILL' })]);
      expect(seen.findIndex((r) => r.event === 'kill')).toBeLessThan(seen.findIndex((r) => r.event === 'stop'));
    } finally {
      killAll([pid]);
    }
  });

  it("`shutdown: 'kill'` SIGKILLs at once", async ({ expect }) => {
    const pm = track(new ProcessManager());
    const seen = record(pm, ['stop', 'output']);
    const handle = await pm.start(nodeSpec('k', 'ignore-sigterm.mjs', [], { readiness: READY_LINE, shutdown: 'kill' }));
    const pid = handle.pid as number;
    try {
      const started = performance.now();
      await pm.stop('k');
      expect(performance.now() - started).toBeLessThan(2000);
      expect(alive(pid)).toBe(false);
      expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ name: 'k', signal: 'SIGKILL' })]);
      // No SIGTERM was sent first.
      expect(payloads(seen, 'output').map((e) => e.line)).not.toContain('got SIGTERM');
    } finally {
      killAll([pid]);
    }
  });

  it('`timeout: Infinity` never escalates: the stop waits until the process ends', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock }));
    const seen = record(pm, ['stop', 'kill']);
    const handle = await pm.start(nodeSpec('patient', 'ignore-sigterm.mjs', [], { readiness: READY_LINE, shutdown: { timeout: Infinity } }));
    const pid = handle.pid as number;
    try {
      let stopped = false;
      const stopping = pm.stop('patient').then(() => (stopped = true));
      await until(() => payloads(seen, 'kill').length > 0 || handle.state === 'stopping', 2000, 'stopping');
      // No escalation is scheduled at all, and an hour passing brings none.
      expect(clock.pending).toBe(0);
      await clock.advance(3_600_000);
      expect(stopped).toBe(false);
      expect(handle.state).toBe('stopping');
      expect(alive(pid)).toBe(true);
      expect(payloads(seen, 'kill')).toEqual([]);
      process.kill(pid, 'SIGKILL'); // someone else ends it: the stop completes
      await stopping;
      expect(handle.state).toBe('stopped');
      expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ signal: 'SIGKILL' })]);
    } finally {
      killAll([pid]);
    }
  });

  it('shutdown({ timeout }) kills whatever still runs after it', async ({ expect }) => {
    const pm = track(new ProcessManager());
    const handle = await pm.start(nodeSpec('patient', 'ignore-sigterm.mjs', [], { readiness: READY_LINE, shutdown: { timeout: Infinity } }));
    const pid = handle.pid as number;
    try {
      const started = performance.now();
      await pm.shutdown({ timeout: 300 });
      expect(performance.now() - started).toBeLessThan(300 + 4000);
      expect(alive(pid)).toBe(false);
    } finally {
      killAll([pid]);
    }
  });
});

describe.runIf(linux).concurrent('whole trees', () => {
  it('a stop leaves nothing of the tree, the setsid grandchild included', async ({ expect }) => {
    const pm = track(new ProcessManager({ shutdown: { timeout: 3000 } }));
    const handle = await pm.start(nodeSpec('tree', 'fork-tree.mjs', [], { readiness: TREE_READY }));
    const pids = treePids(treeOf(handle.readyData));
    try {
      expect(living(pids)).toEqual(pids);
      await pm.stop('tree');
      expect(living(pids)).toEqual([]);
    } finally {
      killAll(pids);
    }
  });

  it("`shutdown: 'kill'` kills the whole tree too", async ({ expect }) => {
    const pm = track(new ProcessManager());
    const handle = await pm.start(nodeSpec('tree', 'fork-tree.mjs', [], { readiness: TREE_READY, shutdown: 'kill' }));
    const pids = treePids(treeOf(handle.readyData));
    try {
      await pm.stop('tree');
      expect(living(pids)).toEqual([]);
    } finally {
      killAll(pids);
    }
  });

  it('shutdown leaves nothing of any tree', async ({ expect }) => {
    const pm = track(new ProcessManager({ shutdown: { timeout: 3000 } }));
    const a = await pm.start(nodeSpec('a', 'fork-tree.mjs', [], { readiness: TREE_READY }));
    const b = await pm.start(nodeSpec('b', 'fork-tree.mjs', [], { readiness: TREE_READY }));
    const pids = [...treePids(treeOf(a.readyData)), ...treePids(treeOf(b.readyData))];
    try {
      await pm.shutdown();
      expect(living(pids)).toEqual([]);
    } finally {
      killAll(pids);
    }
  });

  it('kills the group members a crashed leader left behind', async ({ expect }) => {
    const pm = track(new ProcessManager());
    const exited = nextEvent(pm, 'exit');
    const handle = await pm.start(nodeSpec('tree', 'fork-tree.mjs', ['200'], { readiness: TREE_READY, restart: 'temporary' }));
    const tree = treeOf(handle.readyData);
    try {
      expect(living(tree.group)).toEqual(tree.group);
      expect(await exited).toMatchObject({ name: 'tree', pid: tree.pid, exitCode: 1 });
      await until(() => living(tree.group).length === 0, 2000, 'the group members to die');
    } finally {
      killAll(treePids(tree));
    }
  });

  // The setsid grandchild lost its parent link when the leader died: only its cookie finds it.
  it('kills the setsid grandchild a crashed leader left behind', async () => {
    const pm = track(new ProcessManager());
    const exited = nextEvent(pm, 'exit');
    const handle = await pm.start(nodeSpec('tree', 'fork-tree.mjs', ['200'], { readiness: TREE_READY, restart: 'temporary' }));
    const tree = treeOf(handle.readyData);
    try {
      await exited;
      await until(() => !alive(tree.setsid), 2000, 'the setsid grandchild to die');
    } finally {
      killAll(treePids(tree));
    }
  });

  /** test/fixtures/unlinked-tree.sh: a setsid `sleep` whose parent (an intermediate sh) exited. */
  const unlinkedSpec = (name: string, ...args: string[]): ProcessSpec => ({
    name,
    command: 'sh',
    args: [fixture('unlinked-tree.sh'), ...args],
    readiness: { type: 'log', pattern: /^\d+$/ },
  });
  const unlinkedPid = (readyData: unknown): number => Number((readyData as RegExpMatchArray)[0]);

  it('a stop leaves nothing, not even a setsid grandchild whose parent died', async ({ expect }) => {
    const pm = track(new ProcessManager({ shutdown: { timeout: 3000 } }));
    const handle = await pm.start(unlinkedSpec('unlinked'));
    const leader = handle.pid as number;
    const escapee = unlinkedPid(handle.readyData);
    try {
      expect(living([leader, escapee])).toEqual([leader, escapee]);
      await pm.stop('unlinked');
      expect(living([leader, escapee])).toEqual([]);
    } finally {
      killAll([leader, escapee]);
    }
  });

  it('a tree stop and a group restart leave no unlinked grandchild of any child (one sweep after the last stop)', async ({ expect }) => {
    const pm = track(new ProcessManager({ shutdown: { timeout: 3000 } }));
    const handle = await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      children: [unlinkedSpec('a'), unlinkedSpec('b'), { name: 'c', command: 'sh', args: [fixture('sup-puppet.sh')], readiness: { type: 'log', pattern: 'ready' } }],
    });
    const escapees = () => ['a', 'b'].map((name) => unlinkedPid(pm.get(name)?.readyData));
    const first = escapees();
    const spawnedAgain = new Promise<unknown[]>((resolve) => {
      const seen: unknown[] = [];
      pm.on('spawn', (e) => {
        // When the group starts again, every bystander's escapee is already gone.
        if (e.name === 'a') seen.push(living(first));
        if (e.name === 'c') resolve(seen);
      });
    });
    let second: number[] = [];
    try {
      expect(living(first)).toEqual(first);
      process.kill(pm.get('c')?.pid as number, 'SIGUSR1');
      expect(await spawnedAgain).toEqual([[]]);
      await pm.waitFor('tree', 'running');
      await until(() => ['a', 'b'].every((name) => pm.get(name)?.readyData !== undefined), 5000, 'the group to be ready again');
      second = escapees();
      expect(living(second)).toEqual(second);
      await pm.stop(handle.name);
      expect(living(second)).toEqual([]);
    } finally {
      killAll([...first, ...second]);
    }
  });

  it('shutdown() resolves once the unlinked grandchildren its final sweep found are gone', async ({ expect }) => {
    const pm = track(new ProcessManager({ shutdown: { timeout: 3000 } }));
    const escapees: number[] = [];
    try {
      for (const name of ['u1', 'u2', 'u3']) escapees.push(unlinkedPid((await pm.start(unlinkedSpec(name))).readyData));
      expect(living(escapees)).toEqual(escapees);
      await pm.shutdown();
      expect(living(escapees)).toEqual([]);
    } finally {
      killAll(escapees);
    }
  });

  it('kills the setsid grandchild whose parent died, when the leader crashes', async () => {
    const pm = track(new ProcessManager());
    const exited = nextEvent(pm, 'exit');
    const handle = await pm.start({ ...unlinkedSpec('unlinked', 'crash'), restart: 'temporary' });
    const leader = handle.pid as number;
    const escapee = unlinkedPid(handle.readyData);
    try {
      await exited;
      await until(() => !alive(escapee), 2000, 'the unlinked grandchild to die');
    } finally {
      killAll([leader, escapee]);
    }
  });
});
