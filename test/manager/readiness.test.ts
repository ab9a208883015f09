/**
 * Readiness by log line and the start timeout, through the manager with real processes: a start
 * resolves only on the line, the match is `readyData`, only the current incarnation's lines count,
 * and a start that times out or exits fails with a StartFailedError and leaves nothing running.
 */
import { describe, it } from 'vitest';
import { ProcessManager, StartFailedError } from '../../src/index.js';
import type { ManagerOptions } from '../../src/index.js';
import { FakeClock, flushPromises } from '../clock.js';
import { alive, track } from '../helpers.js';
import { killAll, nextEvent, nodeSpec, payloads, record } from './support.js';

function manager(options: ManagerOptions = {}): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 20 }, shutdown: { timeout: 2000 }, ...options }));
}

describe.concurrent('readiness by log', () => {
  it('resolves start only once the line appears; a string pattern matches literally', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['output', 'ready']);
    const started = performance.now();
    const handle = await pm.start(
      nodeSpec('web', 'slow-ready.mjs', ['300', 'stdout', 'listening on (4242).'], { readiness: { type: 'log', pattern: 'on (4242).' } }),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(handle.state).toBe('running');
    expect((handle.readyData as RegExpMatchArray)[0]).toBe('on (4242).');
    // The ready event follows the output line that made it ready.
    const order = seen.map((r) => (r.event === 'output' ? `output ${(r.payload as { line: string }).line}` : r.event));
    expect(order).toEqual(['output booting', 'output listening on (4242).', 'ready']);
    expect(payloads(seen, 'ready')[0]?.data).toBe(handle.readyData);
    await pm.stop('web');
  });

  it('exposes a RegExp match, groups included, as readyData', async ({ expect }) => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('web', 'slow-ready.mjs', ['50'], { readiness: { type: 'log', pattern: /listening on (?<port>\d+)/ } }));
    const match = handle.readyData as RegExpMatchArray;
    expect(match[0]).toBe('listening on 4242');
    expect(match[1]).toBe('4242');
    expect(match.groups?.port).toBe('4242');
    await pm.stop('web');
  });

  it('honours the stream filter', async ({ expect }) => {
    const pm = manager();
    const onStderr = await pm.start(
      nodeSpec('err', 'slow-ready.mjs', ['50', 'stderr'], { readiness: { type: 'log', pattern: 'listening', stream: 'stderr' } }),
    );
    expect(onStderr.state).toBe('running');
    const starting = pm
      .start(nodeSpec('wrong', 'slow-ready.mjs', ['50', 'stderr'], { readiness: { type: 'log', pattern: 'listening', stream: 'stdout' } }))
      .catch((e: unknown) => e);
    // The line arrives — on the other stream — and the start still waits.
    await nextEvent(pm, 'output', (e) => e.name === 'wrong' && e.stream === 'stderr' && e.line === 'listening on 4242', 10_000);
    // Readiness sees each line before its `output` event: had it matched, the start would be over.
    await flushPromises();
    expect(pm.get('wrong')?.state).toBe('starting');
    await pm.stop('wrong');
    expect(await starting).toBeInstanceOf(StartFailedError);
    await pm.stop('err');
  });

  it("counts only the current incarnation's lines: a restart waits for its own ready line", async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['output', 'ready', 'spawn']);
    const handle = await pm.start(nodeSpec('web', 'slow-ready.mjs', ['400'], { readiness: { type: 'log', pattern: 'listening' } }));
    // The first incarnation's ready line is in the buffer; the next must not be ready by it.
    expect(handle.logs().map((l) => l.line)).toContain('listening on 4242');
    seen.length = 0;
    const started = performance.now();
    await pm.restart('web');
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    const pid = payloads(seen, 'spawn')[0]?.pid;
    const readyAt = seen.findIndex((r) => r.event === 'ready');
    const lineAt = seen.findIndex((r) => r.event === 'output' && (r.payload as { line: string; pid: number }).line === 'listening on 4242');
    expect(lineAt).toBeGreaterThanOrEqual(0);
    expect((seen[lineAt]?.payload as { pid: number }).pid).toBe(pid);
    expect(readyAt).toBeGreaterThan(lineAt);
    await pm.stop('web');
  });
});

describe.concurrent('start failures', () => {
  it('startTimeout: StartFailedError with reason timeout, the process is killed, state failed', async ({ expect }) => {
    const pm = manager();
    const seen = record(pm, ['spawn', 'start-failed']);
    const started = performance.now();
    const error = await pm
      .start(nodeSpec('late', 'slow-ready.mjs', ['20000'], { readiness: { type: 'log', pattern: 'listening' }, startTimeout: 400 }))
      .catch((e: unknown) => e);
    const pid = payloads(seen, 'spawn')[0]?.pid as number;
    try {
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      expect(error).toBeInstanceOf(StartFailedError);
      const start = error as StartFailedError;
      expect(start.code).toBe('START_FAILED');
      expect(start.reason).toBe('timeout');
      expect(start.processName).toBe('late');
      // Under load the fixture may not have printed `booting` yet; whatever it printed is kept.
      for (const line of start.lastOutput) expect(line.line).toBe('booting');
      expect(alive(pid)).toBe(false);
      expect(pm.get('late')?.state).toBe('failed');
      expect(payloads(seen, 'start-failed')).toEqual([expect.objectContaining({ name: 'late', error })]);
    } finally {
      killAll([pid]);
    }
  });

  it('exit while starting: StartFailedError with the exit code and the last output', async ({ expect }) => {
    const pm = manager();
    const failed = nextEvent(pm, 'start-failed');
    const error = await pm
      .start(nodeSpec('boom', 'emit-lines.mjs', ['o:loading config', 'e:fatal: no config', 'exit:3'], { readiness: { type: 'log', pattern: 'listening' } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    const start = error as StartFailedError;
    expect(start.exitCode).toBe(3);
    expect(start.signal).toBeNull();
    expect(start.reason).toBe('exited');
    expect(start.message).toMatch(/exited with code 3/);
    expect(start.message).toContain('fatal: no config');
    // Two pipes: their relative order is not defined.
    expect(start.lastOutput.map((l) => `${l.stream}:${l.line}`).sort()).toEqual(['stderr:fatal: no config', 'stdout:loading config']);
    expect((await failed).error).toBe(error);
    expect(pm.get('boom')?.state).toBe('failed');
  });

  it('a failed start is not retried and the entry can be started again', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = manager({ clock });
    const seen = record(pm, ['spawn', 'restart']);
    await pm
      .start(nodeSpec('boom', 'emit-lines.mjs', ['exit:1'], { readiness: { type: 'log', pattern: 'listening' } }))
      .catch(() => undefined);
    expect(clock.pending).toBe(0); // nothing scheduled: no retry
    await clock.advance(200);
    expect(payloads(seen, 'spawn')).toHaveLength(1);
    expect(payloads(seen, 'restart')).toEqual([]);
    await expect(pm.start('boom')).rejects.toBeInstanceOf(StartFailedError);
    expect(payloads(seen, 'spawn')).toHaveLength(2);
  });
});
