/**
 * Helpers shared by the supervisor tests: puppet specs, an event recorder, and waits on the registry.
 */
import { ProcessManager } from '../../src/index.js';
import type { EventName, EventPayload, ManagerOptions, ProcessSpec, State } from '../../src/index.js';
import { fixture, track, until } from '../helpers.js';

/** A puppet process spec (test/fixtures/sup-puppet.sh) that is started once it prints `ready`. */
export function puppet(name: string, args: string[] = [], extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    name,
    command: 'sh',
    args: [fixture('sup-puppet.sh'), ...args],
    readiness: { type: 'log', pattern: /^ready$/ },
    shutdown: { timeout: 3000 },
    startTimeout: 10_000,
    ...extra,
  };
}

/** A manager with a short fixed backoff, shut down after the file. */
export function manager(options: ManagerOptions = {}): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 10 }, ...options }));
}

/** One recorded event. */
export interface Recorded {
  event: EventName;
  name: string;
  payload: EventPayload<EventName>;
}

const RECORDED: EventName[] = [
  'spawn', 'ready', 'exit', 'restart', 'stop', 'give-up', 'start-failed',
  'supervisor:restart', 'supervisor:give-up', 'supervisor:auto-shutdown', 'error',
];

/** Records the lifecycle events of a manager, in order. */
export function record(pm: ProcessManager): Recorded[] {
  const events: Recorded[] = [];
  for (const event of RECORDED) {
    pm.on(event, (payload: EventPayload<EventName>) => events.push({ event, name: payload.name, payload }));
  }
  return events;
}

/** `event:name` strings of the recorded events of the given kinds, in order. */
export function trace(events: readonly Recorded[], kinds: EventName[]): string[] {
  return events.filter((e) => kinds.includes(e.event)).map((e) => `${e.event}:${e.name}`);
}

/** PID of a running child; throws when it has none. */
export function pidOf(pm: ProcessManager, name: string): number {
  const pid = pm.get(name)?.pid;
  if (pid === undefined) throw new Error(`\`${name}\` has no pid (state ${pm.get(name)?.state})`);
  return pid;
}

/** Makes a puppet exit by itself: `SIGUSR1` exits with code 1, `SIGUSR2` with code 0. */
export function poke(pm: ProcessManager, name: string, signal: 'SIGUSR1' | 'SIGUSR2' = 'SIGUSR1'): number {
  const pid = pidOf(pm, name);
  process.kill(pid, signal);
  return pid;
}

/** States of the named children (undefined when not registered). */
export function states(pm: ProcessManager, names: string[]): Record<string, State | undefined> {
  return Object.fromEntries(names.map((n) => [n, pm.get(n)?.state]));
}

/** Waits until every named child is running with a pid other than the one given for it. */
export async function runningAgain(pm: ProcessManager, old: Record<string, number>, timeout = 10_000): Promise<void> {
  await until(
    () => Object.entries(old).every(([n, pid]) => pm.get(n)?.state === 'running' && pm.get(n)?.pid !== undefined && pm.get(n)?.pid !== pid),
    timeout,
    `${Object.keys(old).join(', ')} running again`,
  );
}

/** Waits until the named child is in `state`. */
export function reach(pm: ProcessManager, name: string, state: State, timeout = 10_000): Promise<void> {
  return until(() => pm.get(name)?.state === state, timeout, `\`${name}\` ${state} (is ${pm.get(name)?.state})`);
}

/** Current PIDs of the named children. */
export function pids(pm: ProcessManager, names: string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, pidOf(pm, n)]));
}
