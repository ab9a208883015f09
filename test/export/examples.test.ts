/**
 * Every example config, exported to every target, is valid there: Kubernetes objects pass the
 * Kubernetes schemas, Compose files the Compose Specification's schema, and systemd units read
 * back to the spec's command. Configs are read as the command reads them, and the TypeScript one
 * also by importing it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import exampleConfig from '../../examples/procvisor.config.js';
import { prepareConfig } from '../../src/cli/config/prepare.js';
import type { ProcvisorConfig } from '../../src/config/types.js';
import { toCompose, toKubernetes, toSystemd, type ExportWarning } from '../../src/export/index.js';
import { execArgv, parseUnit, setting, validateCompose, validateKubernetes } from './validators.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

/** A config as `procvisor export` reads it (discovery aside): validated, cwd made absolute. */
async function load(file: string): Promise<ProcvisorConfig> {
  const prepared = await prepareConfig({ file, cwd: examples, env: {}, flags: {} });
  expect(prepared.issues).toEqual([]);
  return { processes: prepared.validated.specs, manager: prepared.settings.manager };
}

const CONFIGS: [string, () => Promise<ProcvisorConfig>][] = [
  ['procvisor.config.ts (imported)', async () => exampleConfig],
  ['procvisor.config.ts', () => load('procvisor.config.ts')],
  ['procvisor.config.json', () => load('procvisor.config.json')],
  ['Procfile', () => load('Procfile')],
];

describe.each(CONFIGS)('%s', (_, read) => {
  it('exports valid Kubernetes objects, a Deployment per process', async () => {
    const config = await read();
    const warnings: ExportWarning[] = [];
    const objects = toKubernetes(config, { onWarning: (w) => warnings.push(w) });
    validateKubernetes(objects);
    expect(objects.map((o) => `${o.kind}/${String(o.metadata.name)}`)).toEqual(['Deployment/web', 'Deployment/worker']);
    expect(warnings.every((w) => w.target === 'kubernetes')).toBe(true);
    expect(warnings).toContainEqual(expect.objectContaining({ process: '*', field: 'image' }));
  });

  it('exports a valid Compose file, worker after web', async () => {
    const config = await read();
    const file = toCompose(config, { image: 'node:20', onWarning: () => {} });
    validateCompose(file);
    expect(Object.keys(file.services)).toEqual(['web', 'worker']);
    expect(file.services.worker?.depends_on).toHaveProperty('web');
  });

  it('exports systemd units that read back to the same commands', async () => {
    const config = await read();
    const units = toSystemd(config, { onWarning: () => {} });
    expect(Object.keys(units)).toEqual(['web.service', 'worker.service']);
    for (const [name, text] of Object.entries(units)) {
      const unit = parseUnit(text);
      expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
      const argv = execArgv(setting(unit, 'Service', 'ExecStart') as string);
      const spec = config.processes.find((p) => `${p.name}.service` === name) as { command: string; args?: string[] };
      // The Procfile's lines run through a shell, as procvisor runs them.
      expect(argv).toEqual(argv[0] === '/bin/sh' ? ['/bin/sh', '-c', [spec.command, ...(spec.args ?? [])].join(' ')] : [spec.command, ...(spec.args ?? [])]);
      expect(setting(unit, 'Service', 'Restart')).toBe('always');
    }
  });
});
