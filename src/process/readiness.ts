/**
 * Waiting until an incarnation is ready, by the spec's readiness probe. `log` and child-announced
 * readiness (`ipc`: `ready()` from procvisor/child, or a `::procvisor::ready` output command) are
 * driven by the incarnation's own events; the polled kinds go through the probe runner.
 */
import type { ResolvedProbe } from '../spec/resolved.js';
import type { Incarnation } from './incarnation.js';

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function byLog(probe: Extract<ResolvedProbe, { type: 'log' }>, inc: Incarnation): Promise<RegExpMatchArray> {
  return new Promise((resolve) => {
    const stop = inc.watchLines((line, stream) => {
      if (probe.stream !== 'both' && probe.stream !== stream) return;
      probe.pattern.lastIndex = 0;
      const match = probe.pattern.exec(line);
      if (!match) return;
      stop();
      resolve(match);
    });
    inc.signal.addEventListener('abort', stop, { once: true });
  });
}

function byAnnouncement(inc: Incarnation): Promise<unknown> {
  return new Promise((resolve) => {
    const stop = inc.watchAnnouncements((data) => {
      stop();
      resolve(data);
    });
    inc.signal.addEventListener('abort', stop, { once: true });
  });
}

/** The probe runner for polled readiness kinds, installed by the health module. */
export type PolledReadiness = (probe: ResolvedProbe, ctx: { name: string; pid: number; signal: AbortSignal; cookie: string | undefined }) => Promise<unknown>;

/**
 * Resolves with the readiness data once `probe` passes for this incarnation; rejects with the
 * signal's reason when `signal` aborts (start timeout, exit, stop).
 */
export function awaitReadiness(
  probe: ResolvedProbe | undefined,
  inc: Incarnation,
  name: string,
  signal: AbortSignal,
  polled: PolledReadiness,
): Promise<unknown> {
  if (probe === undefined) return Promise.resolve(undefined);
  let waiting: Promise<unknown>;
  switch (probe.type) {
    case 'log':
      waiting = byLog(probe, inc);
      break;
    case 'ipc':
      waiting = byAnnouncement(inc);
      break;
    default:
      waiting = polled(probe, { name, pid: inc.pid, signal, cookie: inc.cookie });
  }
  return Promise.race([waiting, aborted(signal)]);
}
