/**
 * `procvisor export kubernetes|compose|systemd [file]`: the config `start` would run (same
 * discovery, same environment variables), written for another engine: Kubernetes objects as a
 * multi-document YAML stream, a Compose file, or systemd unit files each after a `# <file>` line.
 * Warnings for what cannot map go to stderr; `--out DIR` writes files instead of printing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { EXIT } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { colorEnabled, colors } from '../ui/colors.js';
import { formatWarning, toCompose, toKubernetes, toSystemd, type ExportTarget, type ExportWarning } from '../../export/index.js';
import type { ProcvisorConfig } from '../../config/types.js';
import { prepareOrReport } from './check.js';

/** The targets, in the order `--help` lists them. */
export const EXPORT_TARGETS: readonly ExportTarget[] = Object.freeze(['kubernetes', 'compose', 'systemd']);

/** Options of `export`. */
export interface ExportCommandOptions {
  /** Write the files into this directory instead of printing them. */
  out?: string;
  /** The container image (kubernetes, compose). */
  image?: string;
  /** `metadata.namespace` (kubernetes). */
  namespace?: string;
  color?: boolean;
}

/**
 * YAML as Kubernetes and Compose read it: YAML 1.1 quoting (`'no'`, `'on'` stay strings for
 * YAML 1.1 parsers), no anchors, no folded lines.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}

/** The files of one export: name → text. */
function render(target: ExportTarget, config: ProcvisorConfig, options: ExportCommandOptions, onWarning: (w: ExportWarning) => void): [string, string][] {
  const image = options.image === undefined ? {} : { image: options.image };
  switch (target) {
    case 'kubernetes':
      return toKubernetes(config, { ...image, ...(options.namespace === undefined ? {} : { namespace: options.namespace }), onWarning }).map((o) => [
        `${String(o.metadata.name)}.${o.kind.toLowerCase()}.yaml`,
        toYaml(o),
      ]);
    case 'compose':
      return [['compose.yaml', toYaml(toCompose(config, { ...image, onWarning }))]];
    case 'systemd':
      return Object.entries(toSystemd(config, { onWarning }));
  }
}

/** Runs `export`; resolves with the exit code. */
export async function exportCommand(target: ExportTarget, file: string | undefined, options: ExportCommandOptions, io: CommandIo): Promise<number> {
  const c = colors(colorEnabled(options.color, io.stderr, io.env));
  const prepared = await prepareOrReport({ file, cwd: io.cwd, env: io.env, flags: {} }, io, { outcome: 'nothing was exported', red: c.red, paintCount: true });
  if (typeof prepared === 'number') return prepared;
  const config: ProcvisorConfig = { processes: prepared.validated.specs, manager: prepared.settings.manager };
  const files = render(target, config, options, (w) => io.stderr.write(`${c.yellow('warning')} ${formatWarning(w)}\n`));
  if (options.out === undefined) {
    const text =
      target === 'kubernetes'
        ? files.map(([, yaml]) => yaml).join('---\n')
        : target === 'compose'
          ? (files[0]?.[1] ?? '')
          : files.map(([name, unit]) => `# ${name}\n${unit}`).join('\n');
    io.stdout.write(text);
    return EXIT.ok;
  }
  const dir = resolve(io.cwd, options.out);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFile(path, text);
    io.stdout.write(`${path}\n`);
  }
  return EXIT.ok;
}
