/**
 * The probe runner, with Kubernetes semantics: wait `initialDelay`, check, then wait `interval`
 * measured from the END of each check, so a slow check never makes probes run faster than their
 * interval. Waits are lengthened by at most a tenth (and at most 50 ms) so that probes of many
 * processes wake the host together (see `coalesced` in timers.ts). Each loop owns a controller
 * linked to the caller's signal: when the caller aborts (the incarnation ended, the start timed out)
 * or the loop finishes, every timer, socket and probe process of the loop is released at once.
 */
import type { Clock, HealthStatus, ProbeResult } from '../api/types.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import { systemClock } from '../util/clock.js';
import { levelForFailures, worstStatus } from './levels.js';
import { checkOnce, isEventDriven, type ProbeCheckContext } from './probes.js';
import { abortReason, coalesced, sleep } from './timers.js';

/**
 * Context of a probe loop: the incarnation and, optionally, the clock for delays, intervals and
 * check timeouts.
 */
export interface RunnerContext extends ProbeCheckContext {
  /**
   * Clock for `initialDelay`, `interval` and each check's `timeout` (default the system clock;
   * the waits between checks are unref'd).
   */
  readonly clock?: Clock;
  /**
   * Called after every check that was not cut short by the signal, with how long it took in ms
   * (real time, `performance.now()`: the latency of the check's own I/O, which an injected clock
   * cannot measure) and the index of its probe. Must not throw.
   */
  readonly onCheck?: (result: ProbeResult, duration: number, probeIndex: number) => void;
}


/** Callbacks of {@link startLiveness}; they must not throw. */
export interface LivenessCallbacks {
  /** The overall health changed (never called twice in a row with the same status). */
  onStatus(status: HealthStatus, result: ProbeResult, probeIndex: number): void;
  /** A probe reached its `failureThreshold`; called once, after `onStatus('failed')`. Every loop has stopped. */
  onFailed(result: ProbeResult, probeIndex: number): void;
}

/** Options of {@link startLiveness}. */
export interface LivenessContext extends RunnerContext {
  /** The health status before the first check (default `unknown`): no `onStatus` while it holds. */
  readonly initialStatus?: HealthStatus;
}

/** A running set of liveness loops. */
export interface LivenessRunner {
  /** Stops every loop and releases its timers and sockets; idempotent. */
  stop(): void;
  /** The current overall status. */
  readonly status: HealthStatus;
}

/** A controller aborted with `parent`; `dispose()` aborts it and forgets the parent. */
function linkedController(parent: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      parent.removeEventListener('abort', onAbort);
      controller.abort();
    },
  };
}

function assertPolled(probe: ResolvedProbe): void {
  if (isEventDriven(probe)) {
    throw new TypeError(`A ${probe.type} probe is driven by the child's events; the probe runner only polls`);
  }
}

/**
 * Resolves with the last passing result once `probe` passed `successThreshold` times in a row.
 * Failures only reset that count: `failureThreshold` plays no part in readiness, whose bound is the
 * caller's signal (`startTimeout`, the exit of the process). Rejects with the signal's reason when
 * `ctx.signal` aborts, and with a TypeError for `log` and `ipc` probes, which are not polled.
 */
export async function waitReady(probe: ResolvedProbe, ctx: RunnerContext): Promise<ProbeResult> {
  assertPolled(probe);
  const clock = ctx.clock ?? systemClock;
  const own = linkedController(ctx.signal);
  const check: ProbeCheckContext = { name: ctx.name, pid: ctx.pid, signal: own.signal, clock, cookie: ctx.cookie };
  try {
    if (probe.initialDelay > 0) await sleep(coalesced(probe.initialDelay, clock.now()), clock, own.signal);
    let passes = 0;
    for (;;) {
      const began = performance.now();
      const result = await checkOnce(probe, check);
      if (own.signal.aborted) throw abortReason(ctx.signal);
      ctx.onCheck?.(result, performance.now() - began, 0);
      passes = result.ok ? passes + 1 : 0;
      if (passes >= probe.successThreshold) return result;
      await sleep(coalesced(probe.interval, clock.now()), clock, own.signal);
    }
  } finally {
    own.dispose();
  }
}

/**
 * Starts one loop per probe. Per probe, the level follows its run of consecutive failures (see
 * `levels.ts`); a pass resets that run, and the probe is `healthy` again after `successThreshold`
 * passes in a row (until then it keeps its level). The overall status is the worst probe's, and
 * `onStatus` fires only when it changes. When a probe reaches `failed`, every loop stops and
 * `onFailed` fires once. Everything stops when `ctx.signal` aborts or `stop()` is called.
 */
export function startLiveness(
  probes: readonly ResolvedProbe[],
  ctx: LivenessContext,
  callbacks: LivenessCallbacks,
): LivenessRunner {
  probes.forEach(assertPolled);
  const clock = ctx.clock ?? systemClock;
  const own = linkedController(ctx.signal);
  const check: ProbeCheckContext = { name: ctx.name, pid: ctx.pid, signal: own.signal, clock, cookie: ctx.cookie };
  const levels: HealthStatus[] = probes.map(() => 'unknown');
  let status: HealthStatus = ctx.initialStatus ?? 'unknown';

  const record = (index: number, level: HealthStatus, result: ProbeResult): void => {
    levels[index] = level;
    const overall = worstStatus(levels);
    if (overall === 'unknown' || overall === status) return;
    status = overall;
    callbacks.onStatus(overall, result, index);
  };

  // Resolves false once aborted, so the only way a loop can reject is a throwing callback (a bug).
  const rest = (ms: number): Promise<boolean> =>
    sleep(coalesced(ms, clock.now()), clock, own.signal).then(
      () => true,
      () => false,
    );

  const loop = async (probe: ResolvedProbe, index: number): Promise<void> => {
    if (probe.initialDelay > 0 && !(await rest(probe.initialDelay))) return;
    let failures = 0;
    let passes = 0;
    for (;;) {
      const began = performance.now();
      const result = await checkOnce(probe, check);
      if (own.signal.aborted) return;
      ctx.onCheck?.(result, performance.now() - began, index);
      if (result.ok) {
        failures = 0;
        passes += 1;
        record(index, passes >= probe.successThreshold ? 'healthy' : (levels[index] ?? 'unknown'), result);
      } else {
        passes = 0;
        failures += 1;
        const level = levelForFailures(failures, probe.failureThreshold);
        if (level === 'failed') {
          own.dispose();
          record(index, level, result);
          callbacks.onFailed(result, index);
          return;
        }
        record(index, level, result);
      }
      if (!(await rest(probe.interval))) return;
    }
  };

  for (const [index, probe] of probes.entries()) void loop(probe, index);
  return {
    stop: () => own.dispose(),
    get status() {
      return status;
    },
  };
}
