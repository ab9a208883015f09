/**
 * The shape of a procvisor config file (`procvisor.config.{ts,mts,js,mjs,json}`), read by the
 * `procvisor` command and typed by `defineConfig()`. The JSON Schema shipped as
 * `procvisor/schema.json` is generated from {@link ProcvisorConfig}.
 */
import type { ChildSpec, ManagerOptions } from '../api/types.js';

/** What a config file declares: the processes (and supervisors) to run, and the manager's options. */
export interface ProcvisorConfig {
  /** A JSON config's schema, for editors: `./node_modules/procvisor/dist/schema.json`. Ignored. */
  $schema?: string;
  /** Process and supervisor specs, started in this order and stopped in reverse. */
  processes: ChildSpec[];
  /** Options of the manager that runs them (defaults for every child, `orphans`, `sampling`, …). */
  manager?: ManagerOptions;
}
