/**
 * `defineConfig()`: the identity function that types a config file.
 */
import type { ProcvisorConfig } from './types.js';

/**
 * Types a config file's default export; returns it unchanged (validation happens when the
 * `procvisor` command loads it, or with `procvisor check`).
 *
 * ```ts
 * // procvisor.config.ts
 * import { defineConfig } from 'procvisor';
 * export default defineConfig({
 *   processes: [{ name: 'api', command: 'node', args: ['server.js'] }],
 *   manager: { shutdown: { timeout: '10s' } },
 * });
 * ```
 */
export function defineConfig<const C extends ProcvisorConfig>(config: C): C {
  return config;
}
