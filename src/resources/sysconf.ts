/**
 * System constants the `/proc` figures are expressed in. Each is asked of `getconf` once, at first
 * use, and cached: they cannot change while the host runs.
 */
import { childProcess } from '../util/builtins.js';

function getconf(name: string, fallback: number): number {
  try {
    const value = Number.parseInt(childProcess().execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }), 10);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

let ticks: number | undefined;
let page: number | undefined;

/** Clock ticks per second (`CLK_TCK`), the unit of CPU times in `/proc/<pid>/stat`. Default 100. */
export function clockTicks(): number {
  ticks ??= getconf('CLK_TCK', 100);
  return ticks;
}

/** Memory page size in bytes, the unit of RSS in `/proc/<pid>/stat`. Default 4096. */
export function pageSize(): number {
  page ??= getconf('PAGESIZE', 4096);
  return page;
}
