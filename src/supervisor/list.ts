/**
 * `pm.list()`: plain, serialisable snapshots of every child, depth first in start order. It only
 * reads records and facts.
 */
import type { Snapshot, Usage } from '../api/types.js';
import type { ChildRecord } from './record.js';
import type { Supervisor } from './supervisor.js';

/** Snapshots of the top-level entries (the children of their supervisors) and everything below them. */
export function listChildren(tops: readonly Supervisor[], usageOf: (record: ChildRecord) => Usage | undefined): Snapshot[] {
  const out: Snapshot[] = [];
  const visit = (record: ChildRecord, parent: Supervisor | undefined, depth: number, startOrder: number): void => {
    const { child } = record;
    const usage = usageOf(record);
    out.push({
      name: child.name,
      kind: child.kind,
      state: record.state,
      parent: parent?.name,
      path: [...child.path],
      depth,
      startOrder,
      pid: child.pid,
      restarts: record.restarts,
      startedAt: child.startedAt,
      lastExit: record.lastExit ? { ...record.lastExit } : undefined,
      health: child.health,
      usage: usage ? copyUsage(usage) : undefined,
    });
    if (child.kind === 'supervisor') child.children.forEach((nested, order) => visit(nested, child, depth + 1, order));
  };
  tops.forEach((top, order) => {
    const record = top.children[0];
    if (record) visit(record, undefined, 0, order);
  });
  return out;
}

/**
 * A copy of a usage sample the caller may keep or change: its two nested objects copied too. Not
 * `structuredClone`, which took half of `pm.list()` for 500 sampled processes (a scrape's floor).
 */
function copyUsage(usage: Usage): Usage {
  const copy: Usage = { ...usage, tree: { ...usage.tree } };
  if (usage.io) copy.io = { ...usage.io };
  return copy;
}
