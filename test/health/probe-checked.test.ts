/**
 * The `probe-checked` event: one per check of a polled probe, readiness while starting and each
 * liveness probe while running, with its role, its type as written (an `ipc` liveness probe too),
 * the result and how long the check took.
 */
import { createServer, type Server } from 'node:http';
import { describe, it } from 'vitest';
import { ProcessManager, type ProbeCheckedEvent } from '../../src/index.js';
import { NODE, track, until } from '../helpers.js';

const idle = { command: NODE, args: ['-e', 'setInterval(() => {}, 1e6)'] };

function listen(status: () => number): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.statusCode = status();
    res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

describe.concurrent('probe-checked', () => {
  it('reports each readiness check of an http probe, failed ones with their message, and how long it took', async ({ expect }) => {
    let answers = 0;
    const { server, url } = await listen(() => (++answers === 1 ? 503 : 200));
    const pm = track(new ProcessManager());
    const seen: ProbeCheckedEvent[] = [];
    pm.on('probe-checked', (e) => seen.push(e));
    try {
      const handle = await pm.start({ name: 'web', ...idle, readiness: { type: 'http', url, interval: '10ms' } });
      expect(seen.map((e) => [e.name, e.role, e.type, e.ok, e.pid])).toEqual([
        ['web', 'readiness', 'http', false, handle.pid],
        ['web', 'readiness', 'http', true, handle.pid],
      ]);
      expect(seen[0]?.message).toMatch(/503/);
      for (const e of seen) {
        expect(e.duration).toBeGreaterThan(0);
        expect(e.duration).toBeLessThan(5000);
        expect(e.path).toEqual(['web']);
      }
    } finally {
      await pm.shutdown();
      server.close();
    }
  });

  it('reports liveness checks by probe, an ipc probe by its own type', async ({ expect }) => {
    const pm = track(new ProcessManager());
    const seen: ProbeCheckedEvent[] = [];
    pm.on('probe-checked', (e) => seen.push(e));
    try {
      await pm.start({
        name: 'live',
        command: NODE,
        args: ['-e', "setInterval(() => console.log('::procvisor::heartbeat'), 5)"],
        ipc: true,
        liveness: [
          { type: 'custom', interval: '10ms', check: () => Promise.resolve({ ok: false, message: 'not yet' }), failureThreshold: 1000 },
          { type: 'ipc', interval: '20ms' },
        ],
      });
      await until(() => seen.filter((e) => e.type === 'custom').length >= 2 && seen.some((e) => e.type === 'ipc'), 10_000, 'checks of both probes');
      expect(new Set(seen.map((e) => e.role))).toEqual(new Set(['liveness']));
      expect(seen.find((e) => e.type === 'custom')).toMatchObject({ ok: false, message: 'not yet' });
    } finally {
      await pm.shutdown();
    }
  });
});
