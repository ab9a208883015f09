/**
 * Public types of `procvisor/export`: what the exporters take, and the warning each one gives for
 * a field that cannot keep its meaning on the target engine.
 */
import type { ChildSpec } from '../api/types.js';
import type { ProcvisorConfig } from '../config/types.js';

/** The engine an export is for. */
export type ExportTarget = 'kubernetes' | 'compose' | 'systemd';

/**
 * A field of a spec that the target cannot express, or expresses with a different meaning. Every
 * such field gives one: nothing is dropped silently.
 */
export interface ExportWarning {
  /** The engine the export is for. */
  readonly target: ExportTarget;
  /** The process or supervisor the field belongs to; `'*'` for the export as a whole. */
  readonly process: string;
  /** The field path in the spec, such as `readiness` or `backoff.jitter`. */
  readonly field: string;
  /** What happens to it on the target, and what to do instead. */
  readonly message: string;
}

/** What every exporter takes: a config (as `procvisor.config.*` declares it) or a list of specs. */
export type ExportInput = ProcvisorConfig | readonly ChildSpec[];

/** Options of every exporter. */
export interface ExportOptions {
  /**
   * Receives each warning. Default: `process.emitWarning()` with the type `ProcvisorExportWarning`,
   * so a warning is never lost; pass a function to collect them instead.
   */
  onWarning?: (warning: ExportWarning) => void;
}

/** Options of the container targets (`toKubernetes`, `toCompose`). */
export interface ContainerExportOptions extends ExportOptions {
  /**
   * The container image every process runs in: it must hold the programs the commands name (and
   * the files under their `cwd`). Default {@link DEFAULT_IMAGE}, with a warning naming it.
   */
  image?: string;
}

/** Options of `toKubernetes`. */
export interface KubernetesExportOptions extends ContainerExportOptions {
  /** `metadata.namespace` of every object. Default: none (kubectl's current namespace). */
  namespace?: string;
}

/** Options of `toCompose`. */
export type ComposeExportOptions = ContainerExportOptions;

/** Options of `toSystemd`. */
export type SystemdExportOptions = ExportOptions;

/** The image used when `image` is not given: Debian-based Node 20, which has `sh`, `bash`, `curl`. */
export const DEFAULT_IMAGE = 'node:20';
