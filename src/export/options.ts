/**
 * Validation of the exporters' options, with the project's one message template (field, value,
 * type): a malformed option fails before anything is exported.
 */
import { InvalidArgumentError } from '../api/errors.js';
import { buildModel, type ExportModel } from './model.js';
import { DEFAULT_IMAGE, type ExportInput, type ExportOptions, type ExportTarget, type KubernetesExportOptions } from './types.js';
import { createWarn, type Warn } from './warnings.js';

function describe(value: unknown): string {
  return `\`${typeof value === 'string' ? `'${value}'` : String(value)}\` (${typeof value})`;
}

/** Checks `image`, `namespace` and `onWarning`, whichever the options have. */
export function checkOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('', options, `Expected export options to be an object, got ${describe(options)}`);
  const { image, namespace, onWarning } = options as KubernetesExportOptions;
  if (image !== undefined && (typeof image !== 'string' || image.trim() === '')) {
    throw new InvalidArgumentError('image', image, `Expected \`image\` to be a non-empty image reference, got ${describe(image)}`);
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))) {
    throw new InvalidArgumentError('namespace', namespace, `Expected \`namespace\` to be a DNS label (lower-case letters, digits and \`-\`), got ${describe(namespace)}`);
  }
  if (onWarning !== undefined && typeof onWarning !== 'function') {
    throw new InvalidArgumentError('onWarning', onWarning, `Expected \`onWarning\` to be a function, got ${describe(onWarning)}`);
  }
}

/** What every exporter starts from: its options checked, its warning channel, the resolved model. */
export function beginExport(target: ExportTarget, config: ExportInput, options: ExportOptions): { warn: Warn; model: ExportModel } {
  checkOptions(options);
  return { warn: createWarn(target, options), model: buildModel(config) };
}

/** The image of a container export: the option, or the default with a warning that names it. */
export function imageOf(options: { image?: string | undefined }, warn: Warn, runs: 'every service' | 'every container'): string {
  if (options.image !== undefined) return options.image;
  warn('*', 'image', `no image given: ${runs} runs \`${DEFAULT_IMAGE}\`, which must hold the programs and files the commands need`);
  return DEFAULT_IMAGE;
}
