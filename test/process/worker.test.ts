/**
 * The per-process state machine on its own (ProcessWorker) with real processes and a recording
 * host: state sequences, exits reported to the owner (and stops not), a stop that arrives while
 * spawning, starts that fail, and one incarnation at a time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StartError, StateError } from '../../src/api/errors.js';
import type { EventName, EventPayload } from '../../src/api/events.js';
import { StoppedWhileStartingError, ProcessWorker } from '../../src/process/worker.js';
import type { WorkerHost } from '../../src/process/worker.js';
import { resolveManagerOptions, resolveProcessSpec } from '../../src/spec/resolve.js';
import type { ExitInfo, ProcessSpec, ProcessState } from '../../src/api/types.js';
import { alive, delay, fixture, NODE, until } from '../helpers.js';

const DEFAULTS = resolveManagerOptions({}).defaults;

interface Recorder {
  host: WorkerHost;
  events: { event: EventName; payload: unknown }[];
  states: ProcessState[];
}

function recorder(): Recorder {
  const events: Recorder['events'] = [];
  const states: ProcessState[] = [];
  const host: WorkerHost = {
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) },
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => {
      events.push({ event, payload });
    },
    polledReadiness: () => Promise.reject(new Error('no polled probes in these tests')),
    stateChanged: (node) => {
      states.push(node.state);
    },
  };
  return { host, events, states };
}

const workers: ProcessWorker[] = [];

function worker(script: string, args: string[] = [], extra: Omit<ProcessSpec, 'name' | 'command'> = {}): { w: ProcessWorker; rec: Recorder } {
  const rec = recorder();
  const spec = resolveProcessSpec({ ...extra, name: 'w', command: NODE, args: [fixture(script), ...args] }, DEFAULTS);
  const w = new ProcessWorker(spec, ['w'], rec.host);
  workers.push(w);
  return { w, rec };
}

afterEach(async () => {
  for (const w of workers.splice(0)) {
    w.kill();
    await w.stop();
  }
});

const READY = { type: 'log', pattern: /^ready\b/ } as const;

describe('ProcessWorker', () => {
  it('goes idle → starting → running → stopping → stopped, and a stop is not an exit', async () => {
    const { w, rec } = worker('idle.mjs', [], { readiness: READY });
    const exits: ExitInfo[] = [];
    w.onExit = (exit) => exits.push(exit);
    expect(w.state).toBe('idle');
    await w.start();
    const pid = w.pid as number;
    expect(w.state).toBe('running');
    expect(alive(pid)).toBe(true);
    await w.stop();
    expect(rec.states).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(exits).toEqual([]);
    expect(alive(pid)).toBe(false);
    expect(w.pid).toBeUndefined();
    expect(w.lastPid).toBe(pid);
    expect(rec.events.map((e) => e.event).filter((e) => e !== 'output')).toEqual(['spawn', 'ready', 'stop']);
  });

  it('reports an exit it did not cause to its owner, classified', async () => {
    const { w, rec } = worker('exit-with.mjs', ['4']);
    const exits: ExitInfo[] = [];
    w.onExit = (exit) => exits.push(exit);
    await w.start();
    await until(() => exits.length > 0, 5000, 'the exit');
    expect(exits).toEqual([expect.objectContaining({ code: 4, signal: null, class: 'abnormal', reason: 'exit' })]);
    expect(w.state).toBe('exited');
    expect(w.lastExit).toEqual(exits[0]);
    expect(rec.events.map((e) => e.event)).not.toContain('stop');
  });

  it('refuses a second start while one incarnation lives', async () => {
    const { w } = worker('idle.mjs', [], { readiness: READY });
    await w.start();
    await expect(w.start()).rejects.toBeInstanceOf(StateError);
    const pid = w.pid;
    await w.stop();
    await w.start();
    expect(w.pid).not.toBe(pid);
  });

  it('a stop while spawning: start rejects as stopped-while-starting, state stopped, no failed-start', async () => {
    const { w, rec } = worker('idle.mjs');
    const starting = w.start();
    const stopping = w.stop(); // the spawn is still in flight
    const error = await starting.catch((e: unknown) => e);
    await stopping;
    expect(error).toBeInstanceOf(StoppedWhileStartingError);
    expect(error).toBeInstanceOf(StartError);
    await until(() => w.state === 'stopped', 2000, 'stopped');
    expect(rec.events.map((e) => e.event)).not.toContain('failed-start');
    const spawn = rec.events.find((e) => e.event === 'spawn')?.payload as { pid: number } | undefined;
    if (spawn) expect(alive(spawn.pid)).toBe(false);
  });

  it('a stop while waiting for readiness: same outcome, the process is gone', async () => {
    const { w, rec } = worker('slow-ready.mjs', ['20000'], { readiness: { type: 'log', pattern: 'listening' } });
    const starting = w.start();
    await until(() => rec.events.some((e) => e.event === 'spawn'), 5000, 'the spawn');
    const pid = w.pid as number;
    await w.stop();
    await expect(starting).rejects.toBeInstanceOf(StoppedWhileStartingError);
    expect(w.state).toBe('stopped');
    expect(alive(pid)).toBe(false);
    expect(rec.events.map((e) => e.event)).not.toContain('failed-start');
  });

  it('start timeout: rejects timedOut, kills the process, state failed', async () => {
    const { w, rec } = worker('slow-ready.mjs', ['20000'], { readiness: { type: 'log', pattern: 'listening' }, startTimeout: 300 });
    const exits: ExitInfo[] = [];
    w.onExit = (exit) => exits.push(exit);
    const error = await w.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as StartError).timedOut).toBe(true);
    expect(w.state).toBe('failed');
    const spawn = rec.events.find((e) => e.event === 'spawn')?.payload as { pid: number };
    expect(alive(spawn.pid)).toBe(false);
    expect(rec.events.map((e) => e.event)).toContain('failed-start');
    await delay(50);
    expect(exits).toEqual([]); // a failed start is the start's rejection, never also an exit
  });

  it('exit while starting: rejects with the exit, never also reports it as an exit', async () => {
    const { w } = worker('emit-lines.mjs', ['o:dying', 'exit:7'], { readiness: { type: 'log', pattern: 'listening' } });
    const exits: ExitInfo[] = [];
    w.onExit = (exit) => exits.push(exit);
    const error = await w.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as StartError).exitCode).toBe(7);
    expect(w.state).toBe('failed');
    await delay(50);
    expect(exits).toEqual([]);
  });

  it('ignores an old incarnation: a stopped incarnation never reports through onExit', async () => {
    const { w } = worker('term-exit.mjs', ['1'], { readiness: READY });
    const exits: ExitInfo[] = [];
    w.onExit = (exit) => exits.push(exit);
    await w.start();
    await w.stop(); // exits with code 1 on SIGTERM: an exit we caused
    await w.start();
    const second = w.pid as number;
    await delay(100);
    expect(exits).toEqual([]);
    expect(w.state).toBe('running');
    expect(alive(second)).toBe(true);
  });
});
