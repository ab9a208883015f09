/**
 * The raw baseline of the memory and scale probes: N idle `sleep`s spawned with plain
 * child_process, stdout and stderr piped and drained the way a supervisor holds them.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Spawns `n` idle children and resolves with them once every one is running. */
export async function spawnIdle(n: number): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: n }, () => {
      const child = spawn('sleep', ['600'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.stdout?.on('data', () => {});
      child.stderr?.on('data', () => {});
      children.push(child);
      return new Promise((resolve) => child.once('spawn', resolve));
    }),
  );
  return children;
}
