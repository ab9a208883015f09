/**
 * Bad input through the manager: a InvalidSpecError before anything spawns, a typed SpawnFailedError for
 * a missing binary, a bad cwd or a file that is not executable — the manager stays usable and no
 * promise is left rejected unhandled — and TimeoutError from waits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ProcessManager, SpawnFailedError, TimeoutError, InvalidSpecError } from '../../src/index.js';
import type { ProcessSpec } from '../../src/index.js';
import { delay, fixture, track } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from './support.js';

function manager(): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 10 } }));
}

/** Every unhandled rejection while a test runs. */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('validation', () => {
  it.for([
    { label: 'a bad restart type', spec: { restart: 'sometimes' }, path: 'restart' },
    { label: 'a bad duration', spec: { shutdown: { timeout: 'soon' } }, path: 'shutdown.timeout' },
    { label: 'a bad readiness pattern', spec: { readiness: { type: 'log', pattern: 42 } }, path: 'readiness.pattern' },
    { label: 'an unknown key', spec: { comand: 'x' }, path: 'comand' },
  ])('rejects $label with a InvalidSpecError naming the field, before spawning', async ({ spec, path }) => {
    const pm = manager();
    const seen = record(pm, ['spawn']);
    const bad = { ...nodeSpec('bad', 'idle.mjs'), ...spec } as unknown as ProcessSpec;
    expect(() => pm.add(bad)).toThrow(InvalidSpecError);
    const error = await pm.start(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSpecError);
    const validation = error as InvalidSpecError;
    expect(validation.code).toBe('INVALID_SPEC');
    expect(validation.path).toBe(path);
    expect(validation.message).toContain(path);
    expect(pm.list()).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('suggests the closest known key for a typo', () => {
    const pm = manager();
    const bad = { ...nodeSpec('bad', 'idle.mjs'), startTimeot: 100 } as unknown as ProcessSpec;
    expect(() => pm.add(bad)).toThrow(/did you mean `startTimeout`/);
  });
});

describe('spawn failures', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  const cases: { label: string; spec: () => ProcessSpec; errno: string; message: RegExp }[] = [
    { label: 'a missing binary', spec: () => ({ name: 'x', command: 'procvisor-no-such-binary' }), errno: 'ENOENT', message: /not found/ },
    {
      label: 'a missing cwd',
      spec: () => ({ ...nodeSpec('x', 'idle.mjs'), cwd: join(tmpdir(), 'procvisor-no-such-dir-7d1c') }),
      errno: 'ENOENT',
      message: /does not exist/,
    },
    { label: 'a cwd that is a file', spec: () => ({ ...nodeSpec('x', 'idle.mjs'), cwd: fixture('idle.mjs') }), errno: 'ENOTDIR', message: /not a directory/ },
    { label: 'a file that is not executable', spec: () => ({ name: 'x', command: fixture('idle.mjs') }), errno: 'EACCES', message: /permission denied/ },
  ];

  it.for(cases)('$label: SpawnFailedError, state failed, start-failed, manager still usable', async ({ spec, errno, message }) => {
    const pm = manager();
    const seen = record(pm, ['start-failed', 'spawn', 'error']);
    const error = await pm.start(spec()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    const spawnError = error as SpawnFailedError;
    expect(spawnError.code).toBe('SPAWN_FAILED');
    expect(spawnError.errno).toBe(errno);
    expect(spawnError.processName).toBe('x');
    expect(spawnError.message).toMatch(message);
    expect(pm.get('x')?.state).toBe('failed');
    expect(payloads(seen, 'start-failed')).toEqual([expect.objectContaining({ name: 'x', error })]);
    expect(payloads(seen, 'spawn')).toEqual([]);

    // Still usable: another child starts, the failed one can be removed.
    const ok = await pm.start(nodeSpec('ok', 'idle.mjs', [], { readiness: READY_LINE }));
    expect(ok.state).toBe('running');
    await pm.remove('x');
    await pm.shutdown();
    await delay(50); // let any stray rejection surface
    expect(unhandled).toEqual([]);
    expect(payloads(seen, 'error')).toEqual([]);
  });

  it('a spawn failure during automatic restarts ends in give-up, never an unhandled rejection', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'procvisor-cwd-'));
    const pm = manager();
    const seen = record(pm, ['start-failed', 'give-up', 'error']);
    await pm.start(nodeSpec('vanishing', 'crash-after.mjs', ['100'], { cwd: scratch, intensity: { maxRestarts: 3, period: '10s' } }));
    rmSync(scratch, { recursive: true, force: true }); // every restart now fails to spawn
    const giveup = await nextEvent(pm, 'give-up', () => true, 10_000);
    expect(giveup.name).toBe('vanishing');
    expect(pm.get('vanishing')?.state).toBe('failed');
    const failures = payloads(seen, 'start-failed');
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure.error).toBeInstanceOf(SpawnFailedError);
    await delay(50);
    expect(unhandled).toEqual([]);
    expect(payloads(seen, 'error')).toEqual([]);
  });
});

describe('waits', () => {
  it('handle.waitFor and pm.waitFor reject with TimeoutError after their timeout', async () => {
    const pm = manager();
    const handle = pm.add(nodeSpec('idle', 'idle.mjs'));
    const started = performance.now();
    const error = await handle.waitFor('running', { timeout: 150 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('TIMEOUT');
    expect((error as Error).message).toMatch(/idle/);
    await expect(pm.waitFor('idle', 'running', { timeout: '100ms' })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('handle.waitFor of a removed child rejects with NotFoundError instead of throwing', async () => {
    const pm = manager();
    const handle = pm.add(nodeSpec('gone', 'idle.mjs'));
    await pm.remove('gone');
    let promise: Promise<void> | undefined;
    expect(() => {
      promise = handle.waitFor('running', { timeout: 100 });
    }).not.toThrow();
    await expect(promise).rejects.toBeInstanceOf(NotFoundError);
  });

  it('waitFor resolves when the state is reached, and at once when it already holds', async () => {
    const pm = manager();
    const handle = pm.add(nodeSpec('w', 'idle.mjs', [], { readiness: READY_LINE }));
    const running = handle.waitFor('running', { timeout: 5000 });
    await pm.start('w');
    await running;
    await handle.waitFor('running', { timeout: 1 });
    await pm.stop('w');
  });
});
