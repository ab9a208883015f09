/**
 * What one scrape sees: `pm.list()` read once, shared by every metric read in the same synchronous
 * pass. prom-client's `registry.metrics()` asks every metric for its values (`getForPromString()`,
 * `get()`, a Histogram's `collect()`) in one loop, so the snapshot is cached until the next
 * microtask; a later scrape reads a fresh one.
 */
import type { Snapshot } from '../api/types.js';
import type { ProcessManager } from '../manager.js';

/** The snapshots of one scrape, and the names registered at that moment. */
export interface ScrapeView {
  readonly snapshots: readonly Snapshot[];
  readonly names: ReadonlySet<string>;
}

/** The manager's `list()`. */
export type Lister = Pick<ProcessManager, 'list'>;

/** Returns a reader of the current scrape's view: `list()` at most once per synchronous pass. */
export function scrapeView(pm: Lister): () => ScrapeView {
  let current: ScrapeView | undefined;
  return () => {
    if (current) return current;
    const snapshots = pm.list();
    const view: ScrapeView = { snapshots, names: new Set(snapshots.map((s) => s.name)) };
    current = view;
    queueMicrotask(() => {
      current = undefined;
    });
    return view;
  };
}
