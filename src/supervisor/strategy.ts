/**
 * Which children a restart touches (SEMANTICS: strategies), as a pure function over start order.
 */
import type { Strategy } from '../api/types.js';

/**
 * Indexes (in start order) of the children restarted when the child at `failed` ends and is to be
 * restarted. `active[i]` says whether child i is running, starting or waiting to restart: children
 * stopped by hand or ended for good are not touched by a group restart.
 */
export function affectedChildren(strategy: Strategy, failed: number, active: readonly boolean[]): number[] {
  const picked: number[] = [];
  for (let i = 0; i < active.length; i++) {
    const inScope = strategy === 'one-for-all' || (strategy === 'rest-for-one' && i > failed);
    if (i === failed || (inScope && active[i])) picked.push(i);
  }
  return picked;
}
