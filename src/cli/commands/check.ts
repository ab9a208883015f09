/**
 * `procvisor check [file]`: loads and validates a config as `start` would (same discovery, same
 * environment variables), prints every problem with its field path, and starts nothing.
 */
import { relative } from 'node:path';
import { EXIT } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { formatIssue } from '../config/issues.js';
import { ConfigNotFoundError } from '../config/load.js';
import { prepareConfig, type PreparedConfig } from '../config/prepare.js';
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

/** The report of a config with problems: one line per problem, then a count. */
export function renderIssues(prepared: PreparedConfig, cwd: string): string {
  const file = displayPath(prepared.loaded.file, cwd);
  const count = prepared.issues.length;
  return [
    ...prepared.issues.map((issue) => formatIssue(issue)),
    `${file}: ${count} ${count === 1 ? 'problem' : 'problems'}, nothing was started`,
  ].join('\n');
}

/** Runs `check`; resolves with the exit code. */
export async function checkCommand(file: string | undefined, options: CheckOptions, io: CommandIo): Promise<number> {
  const c = colors(colorEnabled(options.color, io.stdout, io.env));
  let prepared: PreparedConfig;
  try {
    prepared = await prepareConfig({ file, cwd: io.cwd, env: io.env, flags: {} });
  } catch (error) {
    if (!(error instanceof ConfigNotFoundError)) throw error;
    io.stderr.write(`${c.red(error.message)}\n`);
    return EXIT.failure;
  }
  if (prepared.issues.length > 0) {
    io.stderr.write(`${renderIssues(prepared, io.cwd).replace(/[^\n]+$/, (last) => c.red(last))}\n`);
    return EXIT.failure;
  }
  const { names } = prepared.validated;
  const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')}, …` : names.join(', ');
  io.stdout.write(`${c.green('✔')} ${displayPath(prepared.loaded.file, io.cwd)} is valid: ${shown} (${names.length})\n`);
  return EXIT.ok;
}
