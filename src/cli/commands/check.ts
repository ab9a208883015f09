/**
 * `procvisor check [file]`: loads and validates a config as `start` would (same discovery, same
 * environment variables), prints every problem with its field path, and starts nothing.
 */
import { relative } from 'node:path';
import { EXIT } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { formatIssue } from '../config/issues.js';
import { ConfigNotFoundError } from '../config/load.js';
import { prepareConfig, type PreparedConfig, type PrepareInput } from '../config/prepare.js';
import { colorEnabled, colors } from '../ui/colors.js';

/** Options of `check`. */
export interface CheckOptions {
  color?: boolean;
}

/** The file as the user sees it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/** The report of a config with problems: one line per problem, then a count (painted by `paint`). */
export function renderIssues(prepared: PreparedConfig, cwd: string, outcome = 'nothing was started', paint: (line: string) => string = (line) => line): string {
  const file = displayPath(prepared.loaded.file, cwd);
  const count = prepared.issues.length;
  return [...prepared.issues.map((issue) => formatIssue(issue)), paint(`${file}: ${count} ${count === 1 ? 'problem' : 'problems'}, ${outcome}`)].join('\n');
}

/** How a command reports a config it cannot use. */
export interface ConfigReport {
  /** The count line's end: `nothing was started`, `nothing was exported`. */
  readonly outcome: string;
  /** Paints the not-found message and (with `paintCount`) the count line. */
  readonly red: (text: string) => string;
  readonly paintCount: boolean;
}

/**
 * The config of a command (found, loaded, merged and validated), or the exit code after telling
 * on stderr why there is none: no config found, or the problems of the one found.
 */
export async function prepareOrReport(input: PrepareInput, io: CommandIo, report: ConfigReport): Promise<PreparedConfig | number> {
  let prepared: PreparedConfig;
  try {
    prepared = await prepareConfig(input);
  } catch (error) {
    if (!(error instanceof ConfigNotFoundError)) throw error;
    io.stderr.write(`${report.red(error.message)}\n`);
    return EXIT.failure;
  }
  if (prepared.issues.length > 0) {
    io.stderr.write(`${renderIssues(prepared, io.cwd, report.outcome, report.paintCount ? report.red : undefined)}\n`);
    return EXIT.failure;
  }
  return prepared;
}

/** Runs `check`; resolves with the exit code. */
export async function checkCommand(file: string | undefined, options: CheckOptions, io: CommandIo): Promise<number> {
  const c = colors(colorEnabled(options.color, io.stdout, io.env));
  const prepared = await prepareOrReport({ file, cwd: io.cwd, env: io.env, flags: {} }, io, { outcome: 'nothing was started', red: c.red, paintCount: true });
  if (typeof prepared === 'number') return prepared;
  const { names } = prepared.validated;
  const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')}, …` : names.join(', ');
  io.stdout.write(`${c.green('✔')} ${displayPath(prepared.loaded.file, io.cwd)} is valid: ${shown} (${names.length})\n`);
  return EXIT.ok;
}
