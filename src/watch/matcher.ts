/**
 * What a watch spec means for one path: which directories to hand to chokidar, whether a changed
 * path belongs to the spec, and whether it is ignored. Everything works on absolute `/`-separated
 * paths; relative paths and patterns are relative to the process's working directory.
 */
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import type { ResolvedWatch } from '../spec/resolved.js';
import { globBase, globToRegExp, hasGlob } from './glob.js';

/** The compiled form of a watch spec. */
export interface WatchMatcher {
  /** Absolute paths to watch (glob bases and plain paths). */
  readonly roots: readonly string[];
  /** True when `path` (absolute) is named by a plain path or matches a glob of the spec. */
  accepts(path: string): boolean;
  /** True when `path` (absolute) is a root, inside one, or a directory on the way to one. */
  relevant(path: string): boolean;
  /** True when `path` (absolute) or a directory above it is ignored. */
  ignores(path: string): boolean;
}

const toSlashes = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));

/** `path` and every directory above it, deepest first, down to (not including) the filesystem root. */
function selfAndAncestors(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== '' && p !== '/' && p !== '.'; p = posix.dirname(p)) {
    out.push(p);
    if (posix.dirname(p) === p) break;
  }
  return out;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A glob as a RegExp on absolute paths. Its static part is joined to `cwd` literally, so a working
 * directory whose name has glob or RegExp characters (`my[app]`) is not read as a pattern.
 */
function anchoredGlob(pattern: string, cwd: string): RegExp {
  const glob = toSlashes(pattern);
  const staticPart = globBase(glob);
  const rest = staticPart === '.' && !glob.startsWith('./') ? glob : glob.slice(staticPart.length).replace(/^\/+/, '');
  const literal = isAbsolute(staticPart) ? posix.normalize(staticPart) : posix.join(cwd, staticPart);
  if (rest === '') return new RegExp(`^${escapeRegExp(literal)}$`);
  const prefix = literal.endsWith('/') ? literal : `${literal}/`;
  return new RegExp(`^${escapeRegExp(prefix)}${globToRegExp(rest).source.slice(1)}`);
}

/** A copy of `pattern` without `g`/`y`, whose `test` keeps no state between calls. */
function stateless(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

/**
 * One ignore pattern as a predicate on `(absolute, relative)` paths:
 * - a RegExp is tested against both the relative and the absolute path;
 * - a string without `/` is a glob for any single name (`node_modules`, `*.log`);
 * - a string with `/` is a glob anchored at the working directory (or absolute);
 * a string that matches a directory ignores everything below it.
 */
function ignorePredicate(pattern: string | RegExp, cwd: string): (abs: string, rel: string) => boolean {
  if (pattern instanceof RegExp) {
    const re = stateless(pattern);
    return (abs, rel) => re.test(rel) || re.test(abs);
  }
  const trimmed = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!trimmed.includes('/')) {
    const re = globToRegExp(trimmed);
    return (_abs, rel) => rel.split('/').some((name) => name !== '..' && re.test(name));
  }
  const re = anchoredGlob(trimmed, cwd);
  return (abs) => selfAndAncestors(abs).some((p) => re.test(p));
}

/** Compiles `spec` for paths relative to `cwd` (the host's working directory when undefined). */
export function compileWatch(spec: ResolvedWatch, cwd: string | undefined): WatchMatcher {
  const base = toSlashes(resolve(cwd ?? process.cwd()));
  const absolute = (p: string): string => (isAbsolute(p) ? posix.normalize(toSlashes(p)) : posix.join(base, toSlashes(p)));
  const roots: string[] = [];
  const plain: string[] = [];
  const globs: RegExp[] = [];
  for (const path of spec.paths) {
    if (hasGlob(path)) {
      roots.push(absolute(globBase(toSlashes(path))));
      globs.push(anchoredGlob(path, base));
    } else {
      roots.push(absolute(path));
      plain.push(absolute(path));
    }
  }
  const ignored = spec.ignore.map((pattern) => ignorePredicate(pattern, base));
  const inside = (path: string, dir: string): boolean => path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
  const unique = [...new Set(roots)];
  return {
    roots: unique,
    relevant: (path) => {
      const abs = toSlashes(path);
      return unique.some((root) => abs === root || inside(abs, root) || inside(root, abs));
    },
    accepts: (path) => {
      const abs = toSlashes(path);
      return plain.some((root) => abs === root || inside(abs, root)) || globs.some((re) => re.test(abs));
    },
    ignores: (path) => {
      if (ignored.length === 0) return false;
      const abs = toSlashes(path);
      const rel = toSlashes(relative(base, abs)) || '.';
      return ignored.some((test) => test(abs, rel));
    },
  };
}
