/**
 * `pm.list()` hands out copies: changing a snapshot, its last exit or its usage sample (nested
 * objects included) changes nothing the manager holds.
 */
import { describe, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import { NODE, track, until } from '../helpers.js';

describe('pm.list()', () => {
  it('returns copies of usage samples, nested objects included', async ({ expect }) => {
    const pm = track(new ProcessManager({ sampling: { interval: 30 } }));
    try {
      const handle = await pm.start({ name: 'sampled', command: NODE, args: ['-e', 'setInterval(() => {}, 1e6)'] });
      await until(() => handle.usage !== undefined, 10_000, 'a resource sample');
      const first = pm.list()[0]?.usage;
      if (!first) throw new Error('no usage in the snapshot');
      const memory = first.memory;
      const treePids = first.tree.pids;
      first.memory = -1;
      first.tree.pids = -1;
      const again = pm.list()[0]?.usage;
      // The same sample (sampling is every 30 ms, so compare what a newer sample cannot make negative).
      expect(again?.memory).toBeGreaterThan(0);
      expect(again?.tree.pids).toBeGreaterThan(0);
      expect([memory, treePids].every((n) => n > 0)).toBe(true);
    } finally {
      await pm.shutdown();
    }
  });
});
