/**
 * `preferLocal`: a job finds the tools a project installs (`node_modules/.bin/eslint`) by name, as
 * npm scripts do, by putting every `node_modules/.bin` from its working directory up to the root
 * first on its `PATH`. Node looks a command up on the `PATH` of the environment the child gets, so
 * the lookup and the child's own children both see them.
 */
import { delimiter, dirname, join, resolve } from 'node:path';

/** Every `node_modules/.bin` from `cwd` up to the root, nearest first. */
export function localBinDirs(cwd: string): string[] {
  const dirs: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    dirs.push(join(dir, 'node_modules', '.bin'));
    if (dirname(dir) === dir) return dirs;
  }
}

/**
 * The name of the PATH variable: `PATH`, or on Windows, where names are case-insensitive, the
 * spelling already in use (`Path`).
 */
function pathKey(env: Readonly<Record<string, string | undefined>>, extendEnv: boolean): string {
  if (process.platform !== 'win32') return 'PATH';
  const names = [...Object.keys(env), ...(extendEnv ? Object.keys(process.env) : [])];
  return names.find((name) => name.toUpperCase() === 'PATH') ?? 'PATH';
}

/**
 * The job's `env` with the local bin directories of `cwd` (the host's working directory when
 * absent) first on `PATH`, ahead of the spec's own `PATH` or else, with `extendEnv`, the host's.
 */
export function preferLocalEnv(
  env: Readonly<Record<string, string | undefined>>,
  extendEnv: boolean,
  cwd: string | undefined,
): Record<string, string | undefined> {
  const key = pathKey(env, extendEnv);
  const inherited = key in env ? env[key] : extendEnv ? process.env[key] : undefined;
  const path = [...localBinDirs(cwd ?? process.cwd()), ...(inherited ? [inherited] : [])].join(delimiter);
  return { ...env, [key]: path };
}
