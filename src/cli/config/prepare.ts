/**
 * Everything `start` and `check` do before running anything: find and load the config, merge the
 * settings (defaults < file < environment < flags), and validate it all, collecting every issue.
 */
import type { LoadedConfig } from './load.js';
import { loadConfig, locateConfig } from './load.js';
import type { ConfigIssue } from './issues.js';
import { mergeSettings, type SettingFlags, type Settings } from './merge.js';
import { readShape, validateConfig, type Validated } from './validate.js';

/** What to prepare. */
export interface PrepareInput {
  /** The file named on the command line, if any. */
  readonly file: string | undefined;
  /** Where discovery starts, and what a relative `file` is relative to. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: SettingFlags;
}

/** A config ready to run when `issues` is empty. */
export interface PreparedConfig {
  readonly loaded: LoadedConfig;
  readonly settings: Settings;
  readonly validated: Validated;
  /** Every issue: reading the file, its shape, the variables and flags, the options and each spec. */
  readonly issues: readonly ConfigIssue[];
}

/**
 * Finds, loads, merges and validates.
 * @throws ConfigNotFoundError when there is no config to read
 */
export async function prepareConfig({ file, cwd, env, flags }: PrepareInput): Promise<PreparedConfig> {
  const loaded = await loadConfig(locateConfig(file, cwd));
  const shape = loaded.config === undefined && loaded.issues.length > 0 ? { processes: [], manager: undefined, issues: [] } : readShape(loaded.config);
  const settings = mergeSettings({ file: shape.manager, env, flags });
  const validated = validateConfig(shape.processes, settings, loaded.dir);
  return { loaded, settings, validated, issues: [...loaded.issues, ...shape.issues, ...settings.issues, ...validated.issues] };
}
