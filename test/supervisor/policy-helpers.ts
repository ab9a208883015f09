/**
 * Helpers of the restart-policy tests (min-uptime, schedule, restart budget, recover): a recorder
 * of every event kind they look at, and typed payload filters.
 */
import type { EventName, EventPayload, ProcessManager } from '../../src/index.js';

/** The events the restart-policy tests follow. */
const KINDS: EventName[] = [
  'spawn', 'ready', 'exit', 'restart', 'stop', 'give-up', 'start-failed', 'error',
  'schedule-due', 'restart-delayed', 'recover-scheduled', 'recover',
];

/** One recorded event. */
export interface Seen {
  readonly event: EventName;
  readonly payload: EventPayload<EventName>;
}

/** Records the events in `KINDS`, in order. */
export function recordPolicy(pm: ProcessManager): Seen[] {
  const seen: Seen[] = [];
  for (const event of KINDS) pm.on(event, (payload: EventPayload<EventName>) => seen.push({ event, payload }));
  return seen;
}

/** Payloads of one event kind (of one child, when `name` is given), in order. */
export function of<E extends EventName>(seen: readonly Seen[], event: E, name?: string): EventPayload<E>[] {
  return seen.filter((s) => s.event === event && (name === undefined || s.payload.name === name)).map((s) => s.payload as EventPayload<E>);
}

/** `event:name` of the recorded events of the given kinds, in order. */
export function steps(seen: readonly Seen[], kinds: EventName[]): string[] {
  return seen.filter((s) => kinds.includes(s.event)).map((s) => `${s.event}:${s.payload.name}`);
}
