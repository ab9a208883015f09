/**
 * Helpers for the health and IPC integration tests: a free local port, and specs for the Node child
 * using procvisor/child (it4-ipc.mjs) and for the shell child speaking output commands.
 */
import { fileURLToPath } from 'node:url';
import type { ProcessSpec } from '../../src/index.js';
import { fixture, NODE } from '../helpers.js';

/** The repository root: fixture programs resolve their dependencies from it. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export { freePort } from '../helpers.js';

/** What it4-ipc.mjs reads from its argument. */
export interface IpcChildConfig {
  readyData?: unknown;
  readyAfter?: number;
  beatEvery?: number;
  beatFor?: number;
  marker?: string;
}

/**
 * it4-ipc.mjs as an `ipc: true` child with readiness by `ready()`, run by plain `node` (its
 * procvisor/child comes from the bundle test/global-setup.ts builds).
 */
export function ipcSpec(name: string, config: IpcChildConfig = {}, extra: Omit<ProcessSpec, 'name' | 'command'> = {}): ProcessSpec {
  return {
    readiness: { type: 'ipc' },
    startTimeout: 20_000,
    ...extra,
    name,
    command: NODE,
    args: [fixture('it4-ipc.mjs'), JSON.stringify(config)],
    cwd: ROOT,
    ipc: true,
  };
}

/** A shell fixture with output commands on and readiness by `::procvisor::ready`. */
export function shSpec(name: string, script: string, args: string[] = [], extra: Omit<ProcessSpec, 'name' | 'command'> = {}): ProcessSpec {
  return {
    readiness: { type: 'ipc' },
    output: { commands: true },
    ...extra,
    name,
    command: 'sh',
    args: [fixture(script), ...args],
  };
}
