/**
 * One probe check, of any polled kind. Every check is bounded twice: by the probe's own `timeout`
 * and by the incarnation's abort signal. Whatever happens inside (refused connection, a hung
 * server, a throwing custom function), `checkOnce` resolves with a failed result and never rejects,
 * and the kind's socket, process or timer is released before or right after it resolves.
 */
import type { Clock, ProbeResult } from '../api/types.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import { systemClock } from '../util/clock.js';
import { Ending } from '../util/ending.js';
import { whenAborted } from './check-end.js';
import { checkCustom } from './check-custom.js';
import { checkExec } from './check-exec.js';
import { checkHttp } from './check-http.js';
import { checkTcp } from './check-tcp.js';

/** What a check needs to know about the incarnation it probes. */
export interface ProbeCheckContext {
  /** Name of the process being probed. */
  readonly name: string;
  /** PID of the current incarnation. */
  readonly pid: number | undefined;
  /** The incarnation's signal: aborting it ends the check at once (and every later one). */
  readonly signal: AbortSignal;
  /** Clock for the check's `timeout` (default the system clock). */
  readonly clock?: Clock;
  /**
   * The incarnation's tree cookie: exec probe commands carry it in their environment, so whatever
   * finds the incarnation's tree after a host death (the reaper, a sweep) finds them too.
   */
  readonly cookie?: string | undefined;
}

/** Probe kinds that are checked by polling. */
export type PolledProbe = Exclude<ResolvedProbe, { readonly type: 'log' | 'ipc' }>;

/** Probe kinds driven by the child's own events (an output line, `ready()`): not polled. */
export type EventProbe = Extract<ResolvedProbe, { readonly type: 'log' | 'ipc' }>;

/** True for `log` and `ipc` probes, which the incarnation's events drive instead of a poll loop. */
export function isEventDriven(probe: ResolvedProbe): probe is EventProbe {
  return probe.type === 'log' || probe.type === 'ipc';
}

/** Runs the kind's check; `owner` is the incarnation's signal (it owns the HTTP keep-alive agent). */
function runKind(probe: PolledProbe, ctx: ProbeCheckContext, end: Ending): Promise<ProbeResult> {
  switch (probe.type) {
    case 'http':
      return checkHttp(probe, end, ctx.signal);
    case 'tcp':
      return checkTcp(probe, end);
    case 'exec':
      return checkExec(probe, end, ctx.cookie);
    case 'custom':
      return checkCustom(probe, { name: ctx.name, pid: ctx.pid, signal: end.signal });
  }
}

/**
 * Runs one check of `probe`. Resolves with `{ ok: false }` on failure, once `probe.timeout` passed
 * on `ctx.clock` (the message says it timed out) and when `ctx.signal` aborts (message `aborted`);
 * never rejects. `log` and `ipc` probes cannot be polled and yield a failed result saying so.
 */
export async function checkOnce(probe: ResolvedProbe, ctx: ProbeCheckContext): Promise<ProbeResult> {
  if (isEventDriven(probe)) {
    return { ok: false, message: `A ${probe.type} probe is driven by the child's events and cannot be polled` };
  }
  if (ctx.signal.aborted) return { ok: false, message: 'aborted' };

  // The kind sees only `end`, which fires on timeout, on the incarnation's abort, and in `finally`
  // once the result is in (releasing anything left over). Settle first, then fire: a kind resolves
  // its own `aborted` result synchronously when cut, and the race must report why it was cut.
  const end = new Ending();
  let settle!: (result: ProbeResult) => void;
  const cut = new Promise<ProbeResult>((resolve) => {
    settle = resolve;
  });
  const forget = whenAborted(ctx.signal, () => {
    settle({ ok: false, message: 'aborted' });
    end.fire(ctx.signal.reason);
  });
  // Kept referenced on purpose (the system clock's timers are): it is bounded by `probe.timeout`,
  // and a pending check is real work.
  const clock = ctx.clock ?? systemClock;
  const timer = clock.setTimeout(() => {
    const message = `timed out after ${probe.timeout} ms`;
    settle({ ok: false, message });
    end.fire(new Error(message));
  }, probe.timeout);
  try {
    return await Promise.race([runKind(probe, ctx, end), cut]);
  } catch (error) {
    // The kinds resolve their own failures; this is a last guard so a check can never crash the host.
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    clock.clearTimeout(timer);
    forget();
    end.fire();
  }
}
