/**
 * Waiting until an incarnation is ready, by the spec's readiness probe. `log` and child-announced
 * readiness (`ipc`: `ready()` from procvisor/child, PM2's `process.send('ready')`, or a
 * `::procvisor::ready` output command) are driven by the incarnation's own events; the polled kinds
 * go through the probe runner.
 *
 * While it waits, every kind keeps what it saw last in a {@link ReadinessTrace}: a start that is
 * never ready then says why (`ECONNREFUSED 127.0.0.1:3000`, `HTTP 404`, the custom probe's
 * message), not only that the time ran out.
 */
import type { ProbeReport } from '../api/errors.js';
import type { ProbeResult } from '../api/types.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import type { Incarnation } from './incarnation.js';

/** What the readiness probe of one start saw last, and how often it looked. */
export class ReadinessTrace {
  /** Checks made (for `log`: output lines read). */
  private checks = 0;
  private last: string;

  constructor(readonly probe: ResolvedProbe) {
    this.last = initialMessage(probe);
  }

  /** One polled check ended with `result`. */
  result(result: ProbeResult): void {
    this.checks += 1;
    this.last = resultMessage(this.probe, result);
  }

  /** One output line was read and did not match (`log`). */
  line(): void {
    this.checks += 1;
  }

  /** The probe's last result, for StartFailedError's `lastProbe`. */
  report(): ProbeReport {
    return { type: this.probe.type, message: this.last, checks: this.checks };
  }
}

function initialMessage(probe: ResolvedProbe): string {
  switch (probe.type) {
    case 'log':
      return `no ${probe.stream === 'both' ? '' : `${probe.stream} `}line matched ${String(probe.pattern)} yet`;
    case 'ipc':
      return 'no ready message yet';
    default:
      return 'no check finished yet';
  }
}

/** A result's message; the kinds that pass or fail silently get words for it. */
function resultMessage(probe: ResolvedProbe, result: ProbeResult): string {
  if (result.message !== undefined && result.message !== '') return result.message;
  if (result.ok) return 'passed';
  return probe.type === 'custom' ? 'returned false' : 'failed';
}

/**
 * The sentence a start timeout quotes about the probe, e.g. `the http probe's last result was
 * ECONNREFUSED 127.0.0.1:1 (12 checks)`.
 */
export function describeProbe(report: ProbeReport): string {
  const { type, message, checks } = report;
  if (type === 'ipc') return `the ipc probe got ${message.replace(/ yet$/, '')}`;
  if (type === 'log') return `the log probe's last result was ${message} (${plural(checks, 'line')} read)`;
  if (checks === 0) return `the ${type} probe had no result yet: no check finished in time`;
  return `the ${type} probe's last result was ${message} (${plural(checks, 'check')})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function byLog(probe: Extract<ResolvedProbe, { type: 'log' }>, inc: Incarnation, trace: ReadinessTrace | undefined): Promise<RegExpMatchArray> {
  return new Promise((resolve) => {
    const stop = inc.watchLines((line, stream) => {
      if (probe.stream !== 'both' && probe.stream !== stream) return;
      probe.pattern.lastIndex = 0;
      const match = probe.pattern.exec(line);
      if (!match) {
        trace?.line();
        return;
      }
      stop();
      resolve(match);
    });
    inc.end.on(stop);
  });
}

function byAnnouncement(inc: Incarnation): Promise<unknown> {
  return new Promise((resolve) => {
    const stop = inc.watchAnnouncements((data) => {
      stop();
      resolve(data);
    });
    inc.end.on(stop);
  });
}

/** What the polled readiness runner is told about the incarnation it probes. */
export interface PolledReadinessContext {
  readonly name: string;
  readonly pid: number;
  readonly signal: AbortSignal;
  readonly cookie: string | undefined;
  /**
   * Called after every check with how long it took in ms: the `probe-checked` event, and the last
   * result a start that times out quotes.
   */
  readonly onCheck?: (result: ProbeResult, duration: number) => void;
}

/** The probe runner for polled readiness kinds, installed by the health module. */
export type PolledReadiness = (probe: ResolvedProbe, ctx: PolledReadinessContext) => Promise<unknown>;

/**
 * Resolves with the readiness data once `probe` passes for this incarnation; rejects with the
 * signal's reason when `signal` aborts (start timeout, exit, stop). `trace`, when given, keeps
 * what the probe saw last.
 */
export function awaitReadiness(
  probe: ResolvedProbe | undefined,
  inc: Incarnation,
  name: string,
  signal: AbortSignal,
  polled: PolledReadiness,
  trace?: ReadinessTrace,
  onCheck?: (result: ProbeResult, duration: number) => void,
): Promise<unknown> {
  if (probe === undefined) return Promise.resolve(undefined);
  let waiting: Promise<unknown>;
  switch (probe.type) {
    case 'log':
      waiting = byLog(probe, inc, trace);
      break;
    case 'ipc':
      waiting = byAnnouncement(inc);
      break;
    default:
      waiting = polled(probe, {
        name,
        pid: inc.pid,
        signal,
        cookie: inc.cookie,
        ...(trace || onCheck
          ? {
              onCheck: (result: ProbeResult, duration: number) => {
                onCheck?.(result, duration);
                trace?.result(result);
              },
            }
          : {}),
      });
  }
  return Promise.race([waiting, aborted(signal)]);
}

/** The fields of a `probe-checked` event that come from the check itself. */
export function checked(result: ProbeResult, duration: number): { ok: boolean; duration: number; message?: string } {
  return { ok: result.ok, duration, ...(result.message === undefined ? {} : { message: result.message }) };
}
