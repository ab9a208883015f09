/**
 * What a supervisor holds: a process worker or a nested supervisor, behind one small interface.
 * A child starts, stops and is killed on request, and reports facts (its end) through the
 * callback given to `start`; it never writes its supervisor's record.
 */
import type { ExitInfo, HealthStatus, OutputLine } from '../api/types.js';
import type { TreeOrigin } from '../os/cookie.js';
import type { ResolvedChildSpec } from '../spec/resolved.js';

/** Facts a child reports to its supervisor while it runs. */
export interface ChildListener {
  /** The run ended without the supervisor stopping it (a crash, an exit, a liveness failure, a give-up). */
  exited(exit: ExitInfo): void;
  /** The child began ending by itself for a supervision reason (liveness, limit, give-up): it is stopping. */
  ending(): void;
  /** The child asks to be stopped by hand (a resource limit with action `stop`). */
  stopRequested?(): void;
}

/** Facts about the start of one run, from the supervisor. */
export interface RunInfo {
  /** Restarts of this child so far (0 for the first run). */
  readonly restarts: number;
}

/** A process worker or a nested supervisor. */
export interface Child {
  readonly kind: 'process' | 'supervisor';
  readonly name: string;
  readonly path: readonly string[];
  readonly spec: ResolvedChildSpec;
  /** PID of the live incarnation (processes only). */
  readonly pid: number | undefined;
  /** PID of the most recent incarnation, live or not (processes only). */
  readonly lastPid: number | undefined;
  /** When the current run started (ms since epoch). */
  readonly startedAt: number | undefined;
  /** Overall health of the live incarnation (`unknown` for supervisors). */
  readonly health: HealthStatus;
  /**
   * Starts one run and resolves once it is started (spawned and ready; for a supervisor, every
   * child started in order). Rejects when it could not start; `listener` hears of its end.
   */
  start(listener: ChildListener, info?: RunInfo): Promise<void>;
  /**
   * Stops the run; resolves when it and everything it started are gone, except for the cookie
   * sweep a process leaves to `deferSweep` when given (a supervisor stopping several children in a
   * row sweeps once after the last). Never rejects.
   */
  stop(deferSweep?: DeferSweep): Promise<void>;
  /** Cancels at once whatever would start a process (a start in flight, pending restarts). */
  cancel(): void;
  /** SIGKILLs every process of the child at once. */
  kill(): void;
  /** The retained output (processes), oldest first. */
  logs(n?: number): OutputLine[];
}

/** Takes over a stop's final cookie sweep (returns true) or leaves it to the stop (false). */
export type DeferSweep = (cookie: string, origin: TreeOrigin | undefined) => boolean;
