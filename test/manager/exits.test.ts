/**
 * Exit classification and restart types (SEMANTICS: exit classification, restart types) with real
 * exits: every restart type against clean codes, failure codes, successExitCodes, a self-sent
 * SIGTERM and SIGKILL.
 */
import { describe, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import type { ExitClass, RestartType, Signal } from '../../src/index.js';
import { FakeClock } from '../clock.js';
import { track } from '../helpers.js';
import { nextEvent, nodeSpec, payloads, READY_LINE, record } from './support.js';

interface Outcome {
  label: string;
  /** Arguments of exit-with.mjs. */
  how: string;
  successExitCodes?: number[];
  code: number | null;
  signal: Signal | null;
  class: ExitClass;
}

const OUTCOMES: Outcome[] = [
  { label: 'exit code 0', how: '0', code: 0, signal: null, class: 'normal' },
  { label: 'exit code 1', how: '1', code: 1, signal: null, class: 'abnormal' },
  { label: 'a code listed in successExitCodes', how: '3', successExitCodes: [3], code: 3, signal: null, class: 'normal' },
  { label: 'a SIGTERM it sent itself', how: 'SIGTERM', code: null, signal: 'SIGTERM', class: 'shutdown' },
  { label: 'a SIGINT it sent itself', how: 'SIGINT', code: null, signal: 'SIGINT', class: 'shutdown' },
  { label: 'SIGKILL', how: 'SIGKILL', code: null, signal: 'SIGKILL', class: 'abnormal' },
];

const TYPES: RestartType[] = ['permanent', 'transient', 'temporary'];

function restarts(type: RestartType, cls: ExitClass): boolean {
  return type === 'permanent' || (type === 'transient' && cls === 'abnormal');
}

const CASES = TYPES.flatMap((type) => OUTCOMES.map((outcome) => ({ type, outcome, willRestart: restarts(type, outcome.class) })));

describe.concurrent('restart types × exit classes', () => {
  it.for(CASES)('$type after $outcome.label: willRestart=$willRestart', async ({ type, outcome, willRestart }, { expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock, backoff: { type: 'fixed', delay: 20 }, intensity: { maxRestarts: 100, period: '10s' } }));
    const seen = record(pm, ['spawn', 'exit', 'restart']);
    const name = `${type}-${outcome.how}`;
    const exited = nextEvent(pm, 'exit');
    const handle = await pm.start(
      nodeSpec(name, 'exit-with.mjs', [outcome.how], {
        restart: type,
        ...(outcome.successExitCodes ? { successExitCodes: outcome.successExitCodes } : {}),
      }),
    );
    const pid = handle.pid;
    const exit = await exited;
    expect(exit).toMatchObject({
      name,
      pid,
      path: [name],
      exitCode: outcome.code,
      signal: outcome.signal,
      class: outcome.class,
      reason: 'exit',
      willRestart,
    });
    expect(exit.time).toBeTypeOf('number');

    if (willRestart) {
      const respawned = nextEvent(pm, 'spawn');
      await clock.advance(20); // the backoff delay
      const second = await respawned;
      expect(second.pid).not.toBe(pid);
      expect(second.restarts).toBe(1);
      expect(payloads(seen, 'restart')).toEqual([expect.objectContaining({ name, attempt: 1, delay: 20 })]);
      expect(handle.lastExit).toMatchObject({ exitCode: outcome.code, signal: outcome.signal, class: outcome.class });
      await pm.stop(name);
      return;
    }
    if (type === 'transient') {
      expect(handle.state).toBe('exited');
      expect(pm.get(name)).toBeDefined();
      expect(pm.list()).toEqual([expect.objectContaining({ name, state: 'exited', lastExit: expect.objectContaining({ class: outcome.class }) })]);
    } else {
      // Removed from the registry, but the handle keeps the evidence of how it ended.
      expect(pm.get(name)).toBeUndefined();
      expect(pm.list()).toEqual([]);
      expect(handle.state).toBe('exited');
      expect(handle.lastExit).toMatchObject({ exitCode: outcome.code, signal: outcome.signal, class: outcome.class });
    }
    // Nothing is scheduled, and time passing brings no restart.
    expect(clock.pending).toBe(0);
    await clock.advance(200);
    expect(payloads(seen, 'spawn')).toHaveLength(1);
    expect(payloads(seen, 'restart')).toEqual([]);
  });
});

describe('exits the supervisor did not decide on', () => {
  it('an exit during a stop is only recorded: no exit event, no restart, state stopped', async ({ expect }) => {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock, backoff: { type: 'fixed', delay: 20 } }));
    const seen = record(pm, ['spawn', 'exit', 'restart', 'stop']);
    // term-exit.mjs answers SIGTERM with exit code 1, which would be abnormal had it been unasked.
    const handle = await pm.start(nodeSpec('t', 'term-exit.mjs', ['1'], { readiness: READY_LINE }));
    await pm.stop('t');
    expect(handle.state).toBe('stopped');
    expect(payloads(seen, 'stop')).toEqual([expect.objectContaining({ name: 't', exitCode: 1, signal: null })]);
    expect(clock.pending).toBe(0);
    await clock.advance(200);
    expect(payloads(seen, 'exit')).toEqual([]);
    expect(payloads(seen, 'restart')).toEqual([]);
    expect(payloads(seen, 'spawn')).toHaveLength(1);
  });
});
