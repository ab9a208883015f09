/**
 * File watching for `watch` specs, on chokidar 4. Changes are collected and reported as one batch
 * once the files have been quiet for `debounce` ms, so a build writing fifty files restarts a
 * process once. chokidar is imported on first use: a manager that watches nothing never loads it.
 */
import type { FSWatcher } from 'chokidar';
import { dirname } from 'node:path';
import type { Clock, ClockTimer } from '../api/types.js';
import type { ResolvedWatch } from '../spec/resolved.js';
import { fs } from '../util/builtins.js';
import { systemClock } from '../util/clock.js';
import { compileWatch } from './matcher.js';

/** A running watcher. */
export interface Watcher {
  /** Resolves once the initial scan is done and changes are being reported; never rejects. */
  readonly ready: Promise<void>;
  /** Stops watching; no batch is reported after it is called. Idempotent. */
  close(): Promise<void>;
}

/** Optional hooks of a watcher. */
export interface WatcherOptions {
  /** Watching problems (permissions, too many files) and errors thrown by `onChange`. */
  readonly onError?: (error: Error) => void;
  /** Clock for the debounce timer (default the system clock). */
  readonly clock?: Clock;
}

const CHANGE_EVENTS: ReadonlySet<string> = new Set(['add', 'change', 'unlink', 'addDir', 'unlinkDir']);

/**
 * What to hand to chokidar: each root, or its nearest existing ancestor while it does not exist.
 * chokidar 4 picks up a missing path once at best, so the ancestor is watched instead and the
 * matcher keeps to the paths on the way down to the root.
 */
function watchTargets(roots: readonly string[]): string[] {
  const targets = roots.map((root) => {
    let path = root;
    while (!fs().existsSync(path) && dirname(path) !== path) path = dirname(path);
    return path;
  });
  return [...new Set(targets)];
}

/**
 * Watches `spec.paths` (relative to `cwd`, else the host's working directory) and calls `onChange`
 * with the absolute paths that changed, once per quiet period of `spec.debounce` ms. Files that
 * exist when watching starts are not reported; `spec.ignore` patterns are never reported.
 */
export function createWatcher(spec: ResolvedWatch, cwd: string | undefined, onChange: (paths: string[]) => void, options: WatcherOptions = {}): Watcher {
  const matcher = compileWatch(spec, cwd);
  const clock = options.clock ?? systemClock;
  const pending = new Set<string>();
  let timer: ClockTimer | undefined;
  let closed = false;
  let fsWatcher: FSWatcher | undefined;

  let markClosed: () => void = () => {};
  const closedNow = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  // Without an `onError` a problem becomes a process warning: visible, and never a crash.
  const report = (error: unknown): void => {
    const err = error instanceof Error ? error : new Error(String(error));
    if (options.onError) options.onError(err);
    else process.emitWarning(err);
  };
  const flush = (): void => {
    timer = undefined;
    if (closed || pending.size === 0) return;
    const paths = [...pending];
    pending.clear();
    try {
      onChange(paths);
    } catch (error) {
      report(error);
    }
  };
  const changed = (event: string, path: string): void => {
    if (closed || !CHANGE_EVENTS.has(event) || !matcher.accepts(path) || matcher.ignores(path)) return;
    pending.add(path);
    // Trailing debounce: every change pushes the batch back until the files are quiet.
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(flush, spec.debounce);
  };

  const ready = (async () => {
    const { watch } = await import('chokidar');
    if (closed) return;
    const watcher = watch(watchTargets(matcher.roots), {
      ignoreInitial: true,
      persistent: true,
      // Ignored directories are not even descended into; neither are directories off the way to a
      // root (when an ancestor stands in for a missing one); files outside a glob are not watched.
      ignored: (path, stats) =>
        !matcher.relevant(path) || matcher.ignores(path) || (stats?.isFile() === true && !matcher.accepts(path)),
    });
    fsWatcher = watcher;
    watcher.on('all', changed);
    watcher.on('error', (error) => report(error));
    // A close during the initial scan must not wait for the scan to finish.
    await Promise.race([new Promise<void>((resolve) => watcher.once('ready', () => resolve())), closedNow]);
  })().catch((error: unknown) => {
    if (!closed) report(error);
  });

  let closing: Promise<void> | undefined;
  return {
    ready,
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        markClosed();
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        pending.clear();
        // A close during the lazy import waits for it, then closes what it made.
        await ready;
        await fsWatcher?.close();
      })();
      return closing;
    },
  };
}
