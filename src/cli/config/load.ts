/**
 * Finding and loading a config. Without a file named on the command line, the working directory
 * and then each parent is searched for `procvisor.config.{ts,mts,js,mjs,json}` (in that order of
 * preference) or, failing those, a `Procfile`; the nearest directory that has one wins. Modules are
 * loaded with jiti (TypeScript included, on Node 20), their default export being the config; JSON
 * is parsed; anything else named explicitly is read as a Procfile.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ConfigIssue } from './issues.js';
import { parseProcfile } from './procfile.js';

/** Config file names, most preferred first. */
export const CONFIG_FILES: readonly string[] = Object.freeze([
  'procvisor.config.ts',
  'procvisor.config.mts',
  'procvisor.config.js',
  'procvisor.config.mjs',
  'procvisor.config.json',
]);

/** How a config file is read. */
export type ConfigKind = 'module' | 'json' | 'procfile';

/** A config file found on disk. */
export interface FoundConfig {
  /** Absolute path. */
  readonly file: string;
  readonly kind: ConfigKind;
}

/** A config as read from its file: the object (not yet validated) and what kept it from being read. */
export interface LoadedConfig extends FoundConfig {
  /** The directory processes run in unless their spec says otherwise. */
  readonly dir: string;
  /** The config object: a module's default export, the JSON value, or `{ processes }` of a Procfile. */
  readonly config: unknown;
  /** Problems reading the file (a syntax error, a malformed Procfile line). */
  readonly issues: ConfigIssue[];
}

/** A problem that stops a command before any config is read (no file found, a missing file). */
export class ConfigNotFoundError extends Error {}
ConfigNotFoundError.prototype.name = 'ConfigNotFoundError';

const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** How a file is read, from its name. */
export function kindOf(file: string): ConfigKind {
  const ext = extname(file).toLowerCase();
  if (MODULE_EXTENSIONS.includes(ext)) return 'module';
  if (ext === '.json') return 'json';
  return 'procfile';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The config of one directory: a config file first, else a Procfile; undefined when it has neither. */
function configIn(dir: string): FoundConfig | undefined {
  for (const name of CONFIG_FILES) {
    const file = join(dir, name);
    if (isFile(file)) return { file, kind: kindOf(file) };
  }
  const procfile = join(dir, 'Procfile');
  return isFile(procfile) ? { file: procfile, kind: 'procfile' } : undefined;
}

/** Searches `startDir` and then each parent directory; undefined when none has a config. */
export function findConfig(startDir: string): FoundConfig | undefined {
  for (let dir = resolve(startDir); ; dir = dirname(dir)) {
    const found = configIn(dir);
    if (found) return found;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The config a command uses: `file` when given (a directory is searched as the working directory
 * is), else the one discovery finds from `cwd`.
 * @throws ConfigNotFoundError when there is none
 */
export function locateConfig(file: string | undefined, cwd: string): FoundConfig {
  if (file === undefined) {
    const found = findConfig(cwd);
    if (!found) {
      throw new ConfigNotFoundError(
        `No config found in ${cwd} or any parent directory: create ${CONFIG_FILES.join(', ')} or a Procfile, or name the file (\`procvisor start path/to/config\`)`,
      );
    }
    return found;
  }
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new ConfigNotFoundError(`No such file: ${path}`);
  if (statSync(path).isDirectory()) {
    const found = findConfig(path);
    if (!found) throw new ConfigNotFoundError(`No config found in ${path} or any parent directory`);
    return found;
  }
  return { file: path, kind: kindOf(path) };
}

/** What a failed import or parse says, without the stack. */
function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads a config file. Never throws for the file's content: what is wrong with it is an issue. */
export async function loadConfig(found: FoundConfig): Promise<LoadedConfig> {
  const { file, kind } = found;
  const dir = dirname(file);
  const loaded = (config: unknown, issues: ConfigIssue[] = []): LoadedConfig => ({ file, kind, dir, config, issues });
  if (kind === 'module') {
    try {
      // Loaded only for a module config: jiti (with its TypeScript transform) is most of the
      // command's start-up cost, which a JSON config or a Procfile does not need.
      const { createJiti } = await import('jiti');
      const jiti = createJiti(import.meta.url);
      return loaded(await jiti.import(file, { default: true }));
    } catch (error) {
      return loaded(undefined, [{ path: '', message: `could not load ${basename(file)}: ${reason(error)}` }]);
    }
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return loaded(undefined, [{ path: '', message: `could not read ${basename(file)}: ${reason(error)}` }]);
  }
  if (kind === 'json') {
    try {
      return loaded(JSON.parse(text) as unknown);
    } catch (error) {
      return loaded(undefined, [{ path: '', message: `${basename(file)} is not valid JSON: ${reason(error)}` }]);
    }
  }
  const { processes, issues } = parseProcfile(text);
  return loaded({ processes }, issues);
}
