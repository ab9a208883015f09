/**
 * `procvisor/export`: the same specs, carried to an engine built for many hosts. Each exporter
 * takes a config (or a list of specs), resolves it as a manager would, and returns what the engine
 * reads; each field the engine cannot express gives a warning (docs/export.md).
 * @packageDocumentation
 */
export { toKubernetes, type KubernetesObject } from './kubernetes.js';
export { toCompose, type ComposeFile } from './compose.js';
export { toSystemd } from './systemd.js';
export { formatWarning, WARNING_TYPE } from './warnings.js';
export {
  DEFAULT_IMAGE,
  type ComposeExportOptions,
  type ContainerExportOptions,
  type ExportInput,
  type ExportOptions,
  type ExportTarget,
  type ExportWarning,
  type KubernetesExportOptions,
  type SystemdExportOptions,
} from './types.js';
