/**
 * One supervised process on its own (ProcessWorker) with real processes and a recording host and
 * listener: the facts it reports (exits it did not cause, never its stops), a stop that arrives
 * while spawning, starts that fail, and one incarnation at a time. The worker keeps no supervision
 * state: that is its owner's (supervisor/record.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StartFailedError, InvalidStateError } from '../../src/api/errors.js';
import type { EventName, EventPayload } from '../../src/api/events.js';
import { ProcessWorker } from '../../src/process/worker.js';
import type { WorkerHost } from '../../src/process/worker.js';
import { resolveManagerOptions, resolveProcessSpec } from '../../src/spec/resolve.js';
import type { ExitInfo, ProcessSpec } from '../../src/api/types.js';
import type { ChildListener } from '../../src/supervisor/child.js';
import { alive, fixture, NODE, until } from '../helpers.js';

const DEFAULTS = resolveManagerOptions({}).defaults;

interface Recorder {
  host: WorkerHost;
  events: { event: EventName; payload: unknown }[];
  /** What the worker reported to its owner. */
  facts: string[];
  exits: ExitInfo[];
  listener: ChildListener;
}

function recorder(): Recorder {
  const events: Recorder['events'] = [];
  const facts: string[] = [];
  const exits: ExitInfo[] = [];
  const host: WorkerHost = {
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) },
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => {
      events.push({ event, payload });
    },
    polledReadiness: () => Promise.reject(new Error('no polled probes in these tests')),
  };
  const listener: ChildListener = {
    exited: (exit) => {
      facts.push('exited');
      exits.push(exit);
    },
    ending: () => facts.push('ending'),
  };
  return { host, events, facts, exits, listener };
}

/** The event names a recorder saw, output lines left out. */
function names(rec: Recorder): EventName[] {
  return rec.events.map((e) => e.event).filter((e) => e !== 'output');
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
  it('spawns, becomes ready, stops; a stop is not an exit and is never reported to the owner', async () => {
    const { w, rec } = worker('idle.mjs', [], { readiness: READY });
    expect(w.pid).toBeUndefined();
    await w.start(rec.listener);
    const pid = w.pid as number;
    expect(alive(pid)).toBe(true);
    expect(w.readyData).toEqual(expect.arrayContaining(['ready']));
    await w.stop();
    expect(rec.facts).toEqual([]);
    expect(alive(pid)).toBe(false);
    expect(w.pid).toBeUndefined();
    expect(w.lastPid).toBe(pid);
    expect(w.lastOsExit).toBeDefined();
    expect(names(rec)).toEqual(['spawn', 'ready', 'health', 'stop']);
  });

  it('reports an exit it did not cause to its owner, classified', async () => {
    const { w, rec } = worker('exit-with.mjs', ['4']);
    await w.start(rec.listener);
    await until(() => rec.exits.length > 0, 5000, 'the exit');
    expect(rec.exits).toEqual([expect.objectContaining({ exitCode: 4, signal: null, class: 'abnormal', reason: 'exit' })]);
    expect(w.pid).toBeUndefined();
    expect(rec.events.map((e) => e.event)).not.toContain('stop');
  });

  it('refuses a second start while one incarnation lives', async () => {
    const { w, rec } = worker('idle.mjs', [], { readiness: READY });
    await w.start(rec.listener);
    await expect(w.start(rec.listener)).rejects.toBeInstanceOf(InvalidStateError);
    const pid = w.pid;
    await w.stop();
    await w.start(rec.listener);
    expect(w.pid).not.toBe(pid);
  });

  it('a stop while spawning: start rejects as stopped-while-starting, no start-failed', async () => {
    const { w, rec } = worker('idle.mjs');
    const starting = w.start(rec.listener);
    const stopping = w.stop(); // the spawn is still in flight
    const error = await starting.catch((e: unknown) => e);
    await stopping;
    expect(error).toBeInstanceOf(StartFailedError);
    expect(error).toMatchObject({ reason: 'stopped' });
    await until(() => w.pid === undefined, 2000, 'no live incarnation');
    expect(rec.facts).toEqual([]);
    expect(rec.events.map((e) => e.event)).not.toContain('start-failed');
    const spawn = rec.events.find((e) => e.event === 'spawn')?.payload as { pid: number } | undefined;
    if (spawn) expect(alive(spawn.pid)).toBe(false);
  });

  it('a stop while waiting for readiness: same outcome, the process is gone', async () => {
    const { w, rec } = worker('slow-ready.mjs', ['20000'], { readiness: { type: 'log', pattern: 'listening' } });
    const starting = w.start(rec.listener);
    await until(() => rec.events.some((e) => e.event === 'spawn'), 5000, 'the spawn');
    const pid = w.pid as number;
    await w.stop();
    await expect(starting).rejects.toMatchObject({ name: 'StartFailedError', reason: 'stopped' });
    expect(alive(pid)).toBe(false);
    expect(rec.facts).toEqual([]);
    expect(rec.events.map((e) => e.event)).not.toContain('start-failed');
  });

  it('start timeout: rejects with reason timeout and kills the process; the failure is never also an exit', async () => {
    const { w, rec } = worker('slow-ready.mjs', ['20000'], { readiness: { type: 'log', pattern: 'listening' }, startTimeout: 300 });
    const error = await w.start(rec.listener).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    expect((error as StartFailedError).reason).toBe('timeout');
    const spawn = rec.events.find((e) => e.event === 'spawn')?.payload as { pid: number };
    expect(alive(spawn.pid)).toBe(false);
    expect(w.lastOsExit).toBeDefined(); // the ladder has run to its end: nothing is left to report
    expect(names(rec)).toEqual(['spawn', 'start-failed']);
    expect(rec.facts).toEqual([]); // a failed start is the start's rejection, never also an exit
  });

  it('exit while starting: rejects with the exit, never also reports it as an exit', async () => {
    const { w, rec } = worker('emit-lines.mjs', ['o:dying', 'exit:7'], { readiness: { type: 'log', pattern: 'listening' } });
    const error = await w.start(rec.listener).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    expect((error as StartFailedError).exitCode).toBe(7);
    expect((error as StartFailedError).lastOutput.map((l) => l.line)).toEqual(['dying']);
    // The exit is known (lastOsExit) before start rejects, so a report could only have come already.
    expect(w.lastOsExit).toEqual({ code: 7, signal: null });
    expect(rec.facts).toEqual([]);
  });

  it('a stopped incarnation never reports, even when it exits with an error code', async () => {
    const { w, rec } = worker('term-exit.mjs', ['1'], { readiness: READY });
    await w.start(rec.listener);
    await w.stop(); // exits with code 1 on SIGTERM: an exit we caused
    expect(w.lastOsExit).toEqual({ code: 1, signal: null });
    await w.start(rec.listener);
    const second = w.pid as number;
    expect(rec.facts).toEqual([]);
    expect(alive(second)).toBe(true);
  });

  it('terminate(reason) tells the owner it is ending, then reports an abnormal exit with that reason', async () => {
    const { w, rec } = worker('idle.mjs', [], { readiness: READY });
    await w.start(rec.listener);
    const pid = w.pid as number;
    await w.terminate('liveness');
    expect(rec.facts).toEqual(['ending', 'exited']);
    expect(rec.exits).toEqual([expect.objectContaining({ class: 'abnormal', reason: 'liveness' })]);
    expect(alive(pid)).toBe(false);
  });
});
