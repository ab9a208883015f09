/**
 * Exit classification and the restart decision (SEMANTICS: exit classification, restart types).
 */
import type { ExitClass, RestartType, Signal } from '../api/types.js';

/** Signals that count as a clean shutdown when the supervisor did not send them (systemd's view). */
const CLEAN_SIGNALS: ReadonlySet<string> = new Set(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGPIPE']);

/** Classifies an exit the supervisor did not cause. */
export function classifyExit(code: number | null, signal: Signal | null, successExitCodes: readonly number[]): ExitClass {
  if (signal !== null) return CLEAN_SIGNALS.has(signal) ? 'shutdown' : 'abnormal';
  // Exit code 0 is always a success; successExitCodes adds codes to it (systemd's SuccessExitStatus).
  if (code === 0 || (code !== null && successExitCodes.includes(code))) return 'normal';
  return 'abnormal';
}

/** What happens to a child after it ended by itself. */
export type RestartDecision = 'restart' | 'keep' | 'remove';

/** The restart decision for a restart type and an exit class. */
export function decideRestart(restart: RestartType, exitClass: ExitClass): RestartDecision {
  switch (restart) {
    case 'permanent':
      return 'restart';
    case 'transient':
      return exitClass === 'abnormal' ? 'restart' : 'keep';
    case 'temporary':
      return 'remove';
    case 'never':
      return 'keep';
  }
}
