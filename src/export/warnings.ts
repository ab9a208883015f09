/**
 * The one way an exporter reports a field it cannot carry over: a warning to the caller's
 * `onWarning`, or (by default) to `process.emitWarning`, so none is ever lost.
 */
import type { ExportOptions, ExportTarget, ExportWarning } from './types.js';

/** Reports one warning: the process (or `'*'`), the field path, and what becomes of it. */
export type Warn = (process: string, field: string, message: string) => void;

/** The warning type given to `process.emitWarning` when there is no `onWarning`. */
export const WARNING_TYPE = 'ProcvisorExportWarning';

/** Formats a warning as one line: `target: process: field: message`. */
export function formatWarning(warning: ExportWarning): string {
  return `${warning.target}: ${warning.process}: ${warning.field}: ${warning.message}`;
}

/** A reporter for one export, each warning given once. */
export function createWarn(target: ExportTarget, options: ExportOptions | undefined): Warn {
  const onWarning = options?.onWarning ?? ((w: ExportWarning) => process.emitWarning(formatWarning(w), { type: WARNING_TYPE }));
  const seen = new Set<string>();
  return (name, field, message) => {
    const key = `${name}\0${field}\0${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    onWarning(Object.freeze({ target, process: name, field, message }));
  };
}
