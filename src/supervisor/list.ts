/**
 * `pm.list()`: plain, serialisable snapshots of a tree, depth first in start order.
 */
import type { Supervisor } from './supervisor.js';
import type { Snapshot } from '../api/types.js';

/** Snapshots of every child under `root` (the manager's root is not itself listed). */
export function listChildren(root: Supervisor): Snapshot[] {
  const out: Snapshot[] = [];
  const walk = (supervisor: Supervisor, depth: number): void => {
    supervisor.slots.forEach((slot, startOrder) => {
      const node = slot.node;
      out.push({
        name: node.name,
        kind: node.kind,
        state: node.state,
        parent: supervisor === root ? undefined : supervisor.name,
        path: [...node.path],
        depth,
        startOrder,
        pid: node.pid,
        restarts: node.restarts,
        startedAt: node.startedAt,
        lastExit: node.lastExit ? { ...node.lastExit } : undefined,
        health: node.kind === 'process' ? node.health : 'unknown',
        usage: node.kind === 'process' && node.usage ? structuredClone(node.usage) : undefined,
      });
      if (node.kind === 'supervisor') walk(node, depth + 1);
    });
  };
  walk(root, 0);
  return out;
}
