/**
 * One line per lifecycle event (spawn, ready, exit, restart, give-up, failed start, stop, kill, …),
 * so that a log — a CI job's, a terminal's scrollback — tells what happened to every process.
 * `formatLifecycle` is pure; `attachLifecycle` subscribes it to a manager.
 */
import type { EventName, EventPayload } from '../../api/events.js';
import type { ProcessManager } from '../../manager.js';
import type { Colors } from './colors.js';

/** The events that get a line. */
export const LIFECYCLE_EVENTS = [
  'spawn',
  'ready',
  'exit',
  'restart',
  'give-up',
  'start-failed',
  'stop',
  'kill',
  'unstopped',
  'limit',
  'warning',
  'error',
  'supervisor:restart',
  'supervisor:give-up',
  'supervisor:auto-shutdown',
] as const satisfies readonly EventName[];

/** An event that gets a line. */
export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[number];

/** The tag in front of every line the command itself writes. */
export const TAG = '[procvisor]';

function ms(value: number): string {
  return value >= 1000 && value % 1000 === 0 ? `${value / 1000} s` : `${Math.round(value)} ms`;
}

function ending(code: number | null, signal: string | null): string {
  if (signal !== null) return `by ${signal}`;
  return code === null ? 'without an exit code' : `with code ${code}`;
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0] ?? '';
}

/** The text of one event (without the tag); undefined for events not shown. */
export function describeLifecycle<E extends LifecycleEventName>(event: E, payload: EventPayload<E>): string | undefined {
  const p = payload as EventPayload<LifecycleEventName> & Record<string, unknown>;
  const { name } = p;
  switch (event) {
    case 'spawn': {
      const e = payload as EventPayload<'spawn'>;
      return `${name} spawned (pid ${e.pid}${e.restarts > 0 ? `, restart ${e.restarts}` : ''})`;
    }
    case 'ready':
      return `${name} is ready`;
    case 'exit': {
      const e = payload as EventPayload<'exit'>;
      const why = e.reason === 'exit' ? '' : ` (${e.reason})`;
      return `${name} exited ${ending(e.exitCode, e.signal)}${why}; ${e.willRestart ? 'it will be restarted' : 'not restarted'}`;
    }
    case 'restart': {
      const e = payload as EventPayload<'restart'>;
      return `${name} restarts in ${ms(e.delay)} (attempt ${e.attempt})`;
    }
    case 'give-up': {
      const e = payload as EventPayload<'give-up'>;
      return `${name} gave up: more than ${e.maxRestarts} restarts within ${ms(e.period)}`;
    }
    case 'start-failed':
      return `${name} failed to start: ${firstLine((payload as EventPayload<'start-failed'>).error)}`;
    case 'stop': {
      const e = payload as EventPayload<'stop'>;
      return `${name} stopped (${e.signal ?? (e.exitCode === null ? 'no exit code' : `code ${e.exitCode}`)})`;
    }
    case 'kill':
      return `${name} did not stop in time: SIGKILL sent to ${(payload as EventPayload<'kill'>).pids.length} process(es)`;
    case 'unstopped':
      return `${name} did not report its exit after SIGKILL (pids ${(payload as EventPayload<'unstopped'>).pids.join(', ')})`;
    case 'limit': {
      const e = payload as EventPayload<'limit'>;
      const value = e.resource === 'memory' ? `${Math.round(e.value / 1e6)} MB` : `${e.value.toFixed(1)}%`;
      const limit = e.resource === 'memory' ? `${Math.round(e.limit / 1e6)} MB` : `${e.limit}%`;
      return `${name} ${e.resource} ${value} over its ${e.level} level ${limit}${e.level === 'limit' ? `: ${e.action}` : ''}`;
    }
    case 'warning':
      return `${name === '' ? '' : `${name}: `}warning: ${(payload as EventPayload<'warning'>).message}`;
    case 'error':
      return `${name === '' ? '' : `${name}: `}error: ${firstLine((payload as EventPayload<'error'>).error)}`;
    case 'supervisor:restart': {
      const e = payload as EventPayload<'supervisor:restart'>;
      return `${name} (${e.strategy}) restarts ${e.children.join(', ')} after ${e.child} ended`;
    }
    case 'supervisor:give-up': {
      const e = payload as EventPayload<'supervisor:give-up'>;
      return `${name} gave up after ${e.child}: more than ${e.maxRestarts} restarts within ${ms(e.period)}`;
    }
    case 'supervisor:auto-shutdown':
      return `${name} shut itself down after ${(payload as EventPayload<'supervisor:auto-shutdown'>).child} ended`;
    default:
      return undefined;
  }
}

function paint(c: Colors, event: LifecycleEventName): (text: string) => string {
  switch (event) {
    case 'give-up':
    case 'start-failed':
    case 'kill':
    case 'unstopped':
    case 'error':
    case 'supervisor:give-up':
      return c.red;
    case 'exit':
    case 'restart':
    case 'limit':
    case 'warning':
      return c.yellow;
    default:
      return (text) => text;
  }
}

/** One event as a line: `[procvisor] web spawned (pid 123)`, without the line end. */
export function formatLifecycle<E extends LifecycleEventName>(event: E, payload: EventPayload<E>, c: Colors): string | undefined {
  const text = describeLifecycle(event, payload);
  return text === undefined ? undefined : `${c.dim(TAG)} ${paint(c, event)(text)}`;
}

/** Writes a line for every lifecycle event of `pm` (jobs' events left out); returns the unsubscribe. */
export function attachLifecycle(pm: ProcessManager, write: (line: string) => void, c: Colors): () => void {
  const subscriptions = LIFECYCLE_EVENTS.map((event) => {
    const listener = (payload: EventPayload<typeof event>): void => {
      if (payload.job) return;
      const line = formatLifecycle(event, payload, c);
      if (line !== undefined) write(line);
    };
    (pm.on as (event: LifecycleEventName, fn: typeof listener) => unknown).call(pm, event, listener);
    return () => (pm.off as (event: LifecycleEventName, fn: typeof listener) => unknown).call(pm, event, listener);
  });
  return () => {
    for (const off of subscriptions) off();
  };
}
