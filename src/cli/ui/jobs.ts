/**
 * The lines `procvisor run` writes of its own: how each command ended, and its restarts.
 */
import type { EventPayload } from '../../api/events.js';
import type { ProcessManager } from '../../manager.js';
import type { Colors } from './colors.js';
import { TAG } from './events.js';

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** How one command ended, from its `job` event: `build exited with code 0 after 1.2 s`. */
export function describeJobEnd(e: EventPayload<'job'>): string {
  const after = e.attempts > 0 ? ` after ${seconds(e.durationMs)}` : '';
  const how = e.signal === null ? (e.exitCode === null ? undefined : `with code ${e.exitCode}`) : `by ${e.signal}`;
  switch (e.status) {
    case 'succeeded':
      return `${e.name} exited ${how ?? 'successfully'}${after}`;
    case 'cancelled':
      return e.attempts === 0 ? `${e.name} was not started` : `${e.name} was stopped${how === undefined ? '' : ` (it exited ${how})`}${after}`;
    case 'timed-out':
      return `${e.name} timed out${how === undefined ? '' : ` (it exited ${how})`}${after}`;
    default:
      if (how === undefined && e.error) return `${e.name} failed: ${e.error.message.split('\n')[0] ?? ''}`;
      return `${e.name} exited ${how ?? 'without an exit code'}${after}`;
  }
}

/** Writes a line when a command ends or restarts; returns the unsubscribe. */
export function attachJobLines(pm: ProcessManager, write: (line: string) => void, c: Colors): () => void {
  const onJob = (e: EventPayload<'job'>): void => {
    const paint = e.status === 'succeeded' ? (text: string) => text : e.status === 'cancelled' ? c.dim : c.red;
    write(`${c.dim(TAG)} ${paint(describeJobEnd(e))}`);
  };
  // A retry's `restart` event follows the `exit` event of the attempt that failed: say how it ended.
  const endings = new Map<string, string>();
  const onExit = (e: EventPayload<'exit'>): void => {
    if (e.job) endings.set(e.name, e.signal === null ? `exited with code ${e.exitCode ?? '?'}` : `was ended by ${e.signal}`);
  };
  const onRestart = (e: EventPayload<'restart'>): void => {
    if (!e.job) return;
    const how = endings.get(e.name) ?? 'failed';
    write(`${c.dim(TAG)} ${c.yellow(`${e.name} ${how}; restarting in ${seconds(e.delay)} (attempt ${e.attempt + 1})`)}`);
  };
  pm.on('job', onJob);
  pm.on('exit', onExit);
  pm.on('restart', onRestart);
  return () => {
    pm.off('job', onJob);
    pm.off('exit', onExit);
    pm.off('restart', onRestart);
  };
}
