/**
 * The success rule of `runAll()`, as concurrently's `CompletionListener.isSuccess`: judged over the
 * commands that started, in the order they ended. A command that never started is left out; with
 * none started at all the run succeeds. Besides the verdict it names the command to blame, whose
 * exit code becomes the run's.
 */
import type { SuccessCondition } from '../api/runner.js';

/** One command that started and ended, as the rule sees it. */
export interface Ended {
  readonly name: string;
  readonly index: number;
  /** Whether it succeeded (its exit counts as normal). */
  readonly success: boolean;
  readonly exitCode: number | null;
}

/** The verdict, and the command to blame when it fails (none when no command can be blamed). */
export interface Verdict {
  readonly ok: boolean;
  readonly blamed: Ended | undefined;
}

const COMMAND = /^(!?)command-(.+)$/s;

/** For `command-X` and `!command-X`: X and whether it is negated; undefined for other rules. */
export function commandTarget(rule: string): { readonly target: string; readonly negated: boolean } | undefined {
  const match = COMMAND.exec(rule);
  return match ? { target: match[2] as string, negated: match[1] === '!' } : undefined;
}

/** Whether `target` (of `command-X`) names the command: by its name, or by its index written in digits. */
export function targets(target: string, command: { readonly name: string; readonly index: number }): boolean {
  return command.name === target || (/^\d+$/.test(target) && command.index === Number(target));
}

/** Judges `ended` (in the order the commands ended) by `rule`. */
export function judge(rule: SuccessCondition, ended: readonly Ended[]): Verdict {
  if (ended.length === 0) return { ok: true, blamed: undefined };
  const one = (command: Ended | undefined): Verdict => ({ ok: command?.success === true, blamed: command?.success === true ? undefined : command });
  if (rule === 'first') return one(ended[0]);
  if (rule === 'last') return one(ended.at(-1));
  const command = commandTarget(rule);
  if (command === undefined) {
    const failed = ended.find((e) => !e.success);
    return { ok: failed === undefined, blamed: failed };
  }
  const chosen = ended.filter((e) => targets(command.target, e));
  if (command.negated) {
    const failed = ended.find((e) => !chosen.includes(e) && !e.success);
    return { ok: failed === undefined, blamed: failed };
  }
  // The named commands must have ended, and well: one that never started fails the rule.
  if (chosen.length === 0) return { ok: false, blamed: undefined };
  const failed = chosen.find((e) => !e.success);
  return { ok: failed === undefined, blamed: failed };
}

/** The run's exit code: 0 when ok, else the blamed command's code, or 1 when it has none (or 0). */
export function exitCodeOf(verdict: Verdict): number {
  if (verdict.ok) return 0;
  const code = verdict.blamed?.exitCode;
  return code === null || code === undefined || code === 0 ? 1 : code;
}
