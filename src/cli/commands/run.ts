/**
 * `procvisor run [options] -- "cmd one" "cmd two" …`: commands side by side, through a shell, with
 * their output prefixed, as concurrently runs them. The rules (kill-others, the success rule,
 * restarts, the limit) are `pm.runAll()`'s; the output is `pm.pipeOutput()`'s. The exit code is
 * 0 when the success rule is met, else the blamed command's exit code (1 when it has none);
 * 128 + the signal's number after SIGINT or SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcvisorError } from '../../api/errors.js';
import type { KillOthersOn, SuccessCondition } from '../../api/runner.js';
import type { Duration, JobSpec } from '../../api/types.js';
import { ProcessManager } from '../../manager.js';
import { EXIT, signalExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { CommandExpansionError, expandCommands, type NamedCommand } from '../run/commands.js';
import { onTermination } from '../signals.js';
import { colorEnabled, colors } from '../ui/colors.js';
import { TAG } from '../ui/events.js';
import { attachJobLines } from '../ui/jobs.js';

/** Options of `run`, as commander parses them (numbers already checked). */
export interface RunOptions {
  names?: string;
  killOthers?: boolean;
  killOthersOnFail?: boolean;
  success?: string;
  restartTries?: number;
  restartAfter?: Duration;
  maxProcesses?: number;
  raw?: boolean;
  timestamps?: boolean;
  prefix?: string;
  color?: boolean;
}

/** Whether any command is a shortcut with a wildcard, which needs ./package.json. */
function needsScripts(commands: readonly string[]): boolean {
  return commands.some((command) => /^(npm|pnpm|yarn|bun):\S*\*/.test(command.trim()));
}

/** The `scripts` of `dir`/package.json, or undefined when there is none to read. */
export function readScripts(dir: string): Record<string, unknown> | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: unknown };
    return typeof pkg.scripts === 'object' && pkg.scripts !== null ? (pkg.scripts as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The outcomes that stop the others. */
function killOthersOn(options: RunOptions): KillOthersOn[] {
  if (options.killOthers) return ['success', 'failure'];
  return options.killOthersOnFail ? ['failure'] : [];
}

/** The job specs of the commands: each through a shell, told to colour as the command does. */
export function jobSpecs(commands: readonly NamedCommand[], color: boolean | undefined): JobSpec[] {
  return commands.map(({ name, command }) => ({ name, command, shell: true, color: color === false ? false : 'auto' }));
}

/** Runs `run`; resolves with the exit code. */
export async function runCommand(commands: readonly string[], options: RunOptions, io: CommandIo): Promise<number> {
  const color = colorEnabled(options.color, io.stdout, io.env);
  const c = colors(color);
  let expanded: NamedCommand[];
  try {
    const names = options.names === undefined ? [] : options.names.split(',');
    expanded = expandCommands(commands, names, needsScripts(commands) ? readScripts(io.cwd) : undefined);
  } catch (error) {
    if (!(error instanceof CommandExpansionError)) throw error;
    io.stderr.write(`${c.red(error.message)}\n`);
    return EXIT.failure;
  }
  const specs = jobSpecs(expanded, options.color).map((spec) => ({ ...spec, cwd: io.cwd }));
  io.stdout.on('error', () => {});
  // Every command is a job: the manager must let all of them run at once (`--max-processes` is runAll's).
  const pm = new ProcessManager({ maxConcurrentJobs: Math.max(1, specs.length) });
  let detachOutput: () => void;
  try {
    detachOutput = pm.pipeOutput(io.stdout, {
      prefix: options.raw ? '' : (options.prefix ?? '[{name}]'),
      color,
      timestamps: options.timestamps === true,
      names: specs.map((spec) => spec.name),
    });
  } catch (error) {
    // Only the template can be wrong here.
    if (!isProcvisorError(error)) throw error;
    io.stderr.write(`${c.red(`--prefix: ${error.message}`)}\n`);
    await pm.shutdown();
    return EXIT.failure;
  }
  const note = (line: string): void => void io.stdout.write(`${line}\n`);
  const detachLines = options.raw ? undefined : attachJobLines(pm, note, c);

  const stop = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const removeSignals = onTermination({
    first: (signal) => {
      interrupted = signal;
      if (!options.raw) note(`${c.dim(TAG)} ${signal}: stopping every command (again to kill them at once)`);
      stop.abort();
    },
    // Kills every tree at once: a shutdown given an aborted signal SIGKILLs what still runs.
    again: () => void pm.shutdown({ signal: AbortSignal.abort() }).catch(() => {}),
  });
  try {
    const result = await pm.runAll(specs, {
      killOthersOn: killOthersOn(options),
      signal: stop.signal,
      ...(options.success === undefined ? {} : { success: options.success as SuccessCondition }),
      ...(options.restartTries === undefined ? {} : { restartTries: options.restartTries }),
      ...(options.restartAfter === undefined ? {} : { restartDelay: options.restartAfter }),
      ...(options.maxProcesses === undefined ? {} : { maxConcurrent: options.maxProcesses }),
    });
    return interrupted ? signalExitCode(interrupted) : result.exitCode;
  } catch (error) {
    if (!isProcvisorError(error)) throw error;
    io.stderr.write(`${c.red(error.message)}\n`);
    return interrupted ? signalExitCode(interrupted) : EXIT.failure;
  } finally {
    await pm.shutdown().catch(() => {});
    removeSignals();
    detachLines?.();
    detachOutput();
  }
}
