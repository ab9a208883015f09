/**
 * `procvisor export`, with the bundled command (test/.build/cli.mjs): YAML that parses back and
 * validates, unit files after `# <file>` lines, warnings on stderr, `--out` writing files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CLI } from '../cli/support.js';
import { parseUnit, setting, validateCompose, validateKubernetes } from './validators.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'procvisor-export-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function procvisor(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('procvisor export', () => {
  it('compose: prints a Compose file that parses back and validates, warnings on stderr', async () => {
    const run = await procvisor('export', 'compose', 'examples/procvisor.config.json');
    expect(run.code).toBe(0);
    const file = parse(run.stdout, { version: '1.1' }) as { services: Record<string, Record<string, unknown>> };
    validateCompose(file);
    expect(Object.keys(file.services)).toEqual(['web', 'worker']);
    expect(file.services.web?.working_dir).toBe(join(root, 'examples'));
    expect(run.stderr).toMatch(/^warning compose: \*: image: no image given/m);
  });

  it('kubernetes: prints one YAML document per object', async () => {
    const run = await procvisor('export', 'kubernetes', 'examples/procvisor.config.ts', '--image', 'app:1', '--namespace', 'prod');
    expect(run.code).toBe(0);
    const docs = parseAllDocuments(run.stdout, { version: '1.1' });
    const objects = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as Record<string, unknown> & { metadata: { namespace: string } });
    validateKubernetes(objects);
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Deployment']);
    expect(objects.every((o) => o.metadata.namespace === 'prod')).toBe(true);
    expect(run.stderr).not.toMatch(/image:/);
  });

  it('systemd: prints each unit after a `# <file>` line', async () => {
    const run = await procvisor('export', 'systemd', 'examples/Procfile');
    expect(run.code).toBe(0);
    const parts = run.stdout.split(/^# (\S+\.service)\n/m).slice(1);
    expect(parts.filter((_, i) => i % 2 === 0)).toEqual(['web.service', 'worker.service']);
    const worker = parseUnit(parts[3] as string);
    expect(setting(worker, 'Unit', 'After')).toBe('web.service');
  });

  it('--out writes the files instead', async () => {
    const run = await procvisor('export', 'kubernetes', 'examples/procvisor.config.json', '--out', out);
    expect(run.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['web.deployment.yaml', 'worker.deployment.yaml']);
    expect(run.stdout.trim().split('\n')).toEqual([join(out, 'web.deployment.yaml'), join(out, 'worker.deployment.yaml')]);
    validateKubernetes([parse(readFileSync(join(out, 'web.deployment.yaml'), 'utf8'), { version: '1.1' }) as Record<string, unknown>]);
  });

  it('--help points at the published docs page (docs/ does not ship)', async () => {
    const run = await procvisor('export', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('See https://github.com/procvisor/procvisor/blob/main/docs/export.md');
    expect(run.stdout).not.toMatch(/(?<!github\.com\/procvisor\/procvisor\/blob\/main\/)docs\//);
  });

  it('an invalid config exports nothing and exits 1', async () => {
    const run = await procvisor('export', 'systemd', 'test/fixtures/cli-bad');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/problems, nothing was exported/);
  });
});
