/**
 * pm.reload() and pm.scale() with real processes. The reload test runs constant HTTP load (a new
 * connection per request) against instances sharing a listening socket, and counts failed
 * requests: there must be none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidStateError, ProcessManager, StartFailedError, type ProcessSpec, type ProcvisorEvents } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { delay, fixture, freePort, NODE, track } from '../helpers.js';

const SERVER = fixture('sockets-http.mjs');
const posix = process.platform !== 'win32';


function web(port: number, instances?: number): ProcessSpec {
  return {
    name: 'web',
    command: NODE,
    args: [SERVER],
    sockets: [{ port, name: 'http' }],
    readiness: { type: 'log', pattern: /^listening \d+/ },
    shutdown: { timeout: '5s' },
    ...(instances === undefined ? {} : { instances }),
  };
}

/** Requests with a new connection each, back to back, until stopped; counts answers and failures. */
function load(port: number): { stop: () => Promise<{ ok: number; failed: number; pids: Set<string> }> } {
  let running = true;
  const pids = new Set<string>();
  let ok = 0;
  let failed = 0;
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
        pids.add(await res.text());
        ok++;
      } catch {
        failed++;
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { ok, failed, pids };
    },
  };
}

function record<E extends keyof ProcvisorEvents>(pm: ProcessManager, event: E): Parameters<ProcvisorEvents[E]>[0][] {
  const seen: Parameters<ProcvisorEvents[E]>[0][] = [];
  pm.on(event, ((payload: Parameters<ProcvisorEvents[E]>[0]) => seen.push(payload)) as never);
  return seen;
}

describe.runIf(posix)('reload', () => {
  it('replaces both instances under constant HTTP load with no failed request', async () => {
    const pm = track(new ProcessManager());
    const port = await freePort();
    await pm.start(web(port, 2));
    const before = [pm.get('web#0')?.pid, pm.get('web#1')?.pid];
    const reloads = record(pm, 'reload');
    const traffic = load(port);
    await pm.reload('web');
    const { ok, failed, pids } = await traffic.stop();
    const after = [pm.get('web#0')?.pid, pm.get('web#1')?.pid];
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(20);
    expect(after.every((pid, i) => pid !== undefined && pid !== before[i])).toBe(true);
    expect(reloads.map((e) => e.name)).toEqual(['web#0', 'web#1']);
    expect(reloads.every((e) => e.surge)).toBe(true);
    // The new incarnations answered, and no surge is left.
    expect([...after].some((pid) => pids.has(String(pid)))).toBe(true);
    expect(pm.get('web#0#surge')).toBeUndefined();
  });

  it('a single process: its surge serves while it restarts; the new incarnation is ready', async () => {
    const pm = track(new ProcessManager());
    const port = await freePort();
    const handle = await pm.start(web(port));
    const before = handle.pid;
    const traffic = load(port);
    await pm.reload('web');
    const { failed } = await traffic.stop();
    expect(failed).toBe(0);
    expect(handle.pid).not.toBe(before);
    expect(handle.state).toBe('running');
  });

  it('rolls back when the surge does not get ready: the old incarnation keeps serving, reload-failed says why', async () => {
    const pm = track(new ProcessManager());
    const port = await freePort();
    const handle = await pm.start({ ...web(port), startTimeout: '1500ms' });
    const before = handle.pid;
    const failures = record(pm, 'reload-failed');
    // A deploy that breaks the program: the next incarnations (they inherit this variable) never listen.
    process.env.PROCVISOR_RELOAD_TEST_BROKEN = '1';
    try {
      const error = await pm.reload('web').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StartFailedError);
    } finally {
      delete process.env.PROCVISOR_RELOAD_TEST_BROKEN;
    }
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ name: 'web', rolledBack: true });
    expect(handle.pid).toBe(before);
    expect(handle.state).toBe('running');
    expect(pm.get('web#surge')).toBeUndefined();
  });

  it('maxSurge 0 with maxUnavailable 1 restarts in place; both 0 is an error', async () => {
    const pm = track(new ProcessManager());
    const port = await freePort();
    await pm.start(web(port, 2));
    const reloads = record(pm, 'reload');
    await pm.reload('web', { maxSurge: 0, maxUnavailable: 1 });
    expect(reloads.map((e) => [e.name, e.surge])).toEqual([
      ['web#0', false],
      ['web#1', false],
    ]);
    await expect(pm.reload('web', { maxSurge: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(pm.reload('web', { maxsurge: 2 } as never)).rejects.toThrow(/unknown option `maxsurge`/);
  });

  it("watch with action 'reload': a file change reloads the process (a surge serves meanwhile)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procvisor-reload-watch-'));
    const watched = join(dir, 'app.js');
    writeFileSync(watched, '1');
    try {
      const pm = track(new ProcessManager());
      const port = await freePort();
      const handle = await pm.start({ ...web(port), watch: { paths: watched, debounce: 50, action: 'reload' } });
      const before = handle.pid;
      const reloaded = new Promise<Parameters<ProcvisorEvents['reload']>[0]>((resolve) => pm.once('reload', resolve));
      // The watcher arms asynchronously: change the file until the manager reports the change.
      let seen = false;
      pm.once('watch', () => (seen = true));
      for (let i = 0; i < 100 && !seen; i++) {
        writeFileSync(watched, String(i));
        await delay(50);
      }
      const event = await reloaded;
      expect(event).toMatchObject({ name: 'web', surge: true });
      expect(handle.pid).not.toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a scheduled restart of a process with sockets is a reload: a surge serves meanwhile', async () => {
    const start = Math.ceil(Date.now() / 10_000) * 10_000 + 100;
    const clock = new FakeClock(start);
    const pm = track(new ProcessManager({ clock }));
    const port = await freePort();
    const handle = await pm.start({ ...web(port), schedule: { restart: '*/5 * * * * *' } });
    const before = handle.pid;
    const reloaded = new Promise<Parameters<ProcvisorEvents['reload']>[0]>((resolve) => pm.once('reload', resolve));
    const scheduled = record(pm, 'schedule-due');
    await clock.advance(4900);
    expect(await reloaded).toMatchObject({ name: 'web', surge: true });
    expect(scheduled).toHaveLength(1);
    expect(handle.pid).not.toBe(before);
    expect(handle.state).toBe('running');
  });

  it('refuses a supervisor tree', async () => {
    const pm = track(new ProcessManager());
    await pm.start({ name: 'tree', strategy: 'one-for-one', children: [{ name: 'a', command: NODE, args: ['-e', 'setInterval(() => {}, 1000)'] }] });
    await expect(pm.reload('tree')).rejects.toBeInstanceOf(InvalidStateError);
  });
});

describe.runIf(posix)('scale', () => {
  it('grows and shrinks an instance group; new replicas share the socket and know their index', async () => {
    const pm = track(new ProcessManager());
    const port = await freePort();
    await pm.start(web(port, 1));
    const scales = record(pm, 'scale');
    await pm.scale('web', 3);
    expect(['web#0', 'web#1', 'web#2'].map((n) => pm.get(n)?.state)).toEqual(['running', 'running', 'running']);
    expect(pm.get('web#2')?.logs()[0]?.line).toMatch(/^listening \d+ 1 http$/);
    await pm.scale('web', 1);
    expect(pm.get('web#1')).toBeUndefined();
    expect(pm.get('web#2')).toBeUndefined();
    expect(pm.get('web#0')?.state).toBe('running');
    expect(scales.map((e) => [e.from, e.to])).toEqual([
      [1, 3],
      [3, 1],
    ]);
    // The group keeps serving on its socket.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(String(pm.get('web#0')?.pid));
  });

  it('a group scaled inside a tree keeps its size when the tree restarts', async () => {
    const pm = track(new ProcessManager());
    const idle = { command: NODE, args: ['-e', "console.log('up'); setInterval(() => {}, 1000)"], readiness: { type: 'log' as const, pattern: 'up' } };
    await pm.start({ name: 'tree', strategy: 'one-for-one', children: [{ name: 'web', ...idle, instances: 1 }] });
    await pm.scale('web', 2);
    await pm.restart('tree');
    expect(['web#0', 'web#1'].map((n) => pm.get(n)?.state)).toEqual(['running', 'running']);
  });

  it('refuses what is not an instance group, and a bad count', async () => {
    const pm = track(new ProcessManager());
    await pm.start({ name: 'solo', command: NODE, args: ['-e', 'setInterval(() => {}, 1000)'] });
    await expect(pm.scale('solo', 2)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(pm.scale('solo', 0)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
