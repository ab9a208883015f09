/**
 * The exit codes of the `procvisor` command (docs/cli.md#exit-codes).
 */
import { constants } from 'node:os';

export const EXIT = Object.freeze({
  /** `run`: the success rule was met. `start`: everything stopped cleanly. `check`: the config is valid. */
  ok: 0,
  /** An invalid config, flag or variable; no config found; `start`: a process had to be SIGKILLed. */
  failure: 1,
});

/** 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
