/**
 * Shared test helpers: fixture paths, managers that are always shut down, and event waits.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a fixture script in test/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** The Node binary running the tests, so fixtures run under the same version. */
export const NODE = process.execPath;

interface Disposable {
  shutdown(): Promise<void>;
}
const live = new Set<Disposable>();

/** Registers something with `shutdown()` to be disposed after the test file. */
export function track<T extends Disposable>(value: T): T {
  live.add(value);
  return value;
}

/** Shuts down every tracked manager. */
export async function disposeManagers(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((m) => m.shutdown()));
}

/** Resolves after `ms`; only for deliberate waits inside fixtures or bounded polling. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every 20 ms until it is true or `timeout` ms pass, then throws. */
export async function until(predicate: () => boolean, timeout = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await delay(20);
  }
}

/** True while a PID exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform === 'linux') {
    try {
      return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    } catch {
      return false;
    }
  }
  return true;
}
