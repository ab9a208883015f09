/**
 * Finding, loading and validating configs: discovery order, every loader (TypeScript through jiti,
 * .mjs, JSON, Procfile), the default working directory, and every problem reported with its path.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigNotFoundError, findConfig, loadConfig, locateConfig } from '../../src/cli/config/load.js';
import { prepareConfig } from '../../src/cli/config/prepare.js';
import { readShape, withBaseDir } from '../../src/cli/config/validate.js';
import { CLI_BAD_PATHS, fixturePath } from './support.js';

const root = mkdtempSync(join(tmpdir(), 'procvisor-cli-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh directory under the test's root with `files` written into it. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const prepare = (file: string | undefined, cwd: string, env: Record<string, string> = {}) => prepareConfig({ file, cwd, env, flags: {} });

describe('discovery', () => {
  it('prefers procvisor.config.ts, then .mts, .js, .mjs, .json, then a Procfile', () => {
    const dir = project('all', { 'procvisor.config.json': '{}', 'procvisor.config.mjs': '', Procfile: '', 'procvisor.config.mts': '' });
    expect(findConfig(dir)).toEqual({ file: join(dir, 'procvisor.config.mts'), kind: 'module' });
    const procfileOnly = project('procfile-only', { Procfile: 'a: b' });
    expect(findConfig(procfileOnly)).toEqual({ file: join(procfileOnly, 'Procfile'), kind: 'procfile' });
  });

  it('searches the nearest parent that has one; a config in a nearer directory wins over a farther one', () => {
    const dir = project('nested', { 'Procfile': 'a: b', 'app/procvisor.config.json': '{}', 'app/src/deep/.keep': '' });
    expect(findConfig(join(dir, 'app/src/deep'))?.file).toBe(join(dir, 'app/procvisor.config.json'));
    expect(findConfig(join(dir, 'other'))?.file).toBe(join(dir, 'Procfile'));
  });

  it('a named file is read by its extension (anything else as a Procfile); a directory is searched', () => {
    const dir = project('named', { 'dev.json': '{}', 'Procfile.dev': 'a: b', 'sub/procvisor.config.js': '' });
    expect(locateConfig('dev.json', dir).kind).toBe('json');
    expect(locateConfig('Procfile.dev', dir).kind).toBe('procfile');
    expect(locateConfig('sub', dir).file).toBe(join(dir, 'sub/procvisor.config.js'));
    expect(() => locateConfig('missing.json', dir)).toThrow(ConfigNotFoundError);
  });
});

describe('loading', () => {
  it('loads a TypeScript config with jiti: defineConfig from the sources, RegExps kept', async () => {
    const loaded = await loadConfig(locateConfig(undefined, fixturePath('cli-project')));
    expect(loaded.issues).toEqual([]);
    const config = loaded.config as { processes: { name: string; readiness?: { pattern: unknown } }[] };
    expect(config.processes.map((p) => p.name)).toEqual(['ticker', 'crasher']);
    expect(config.processes[0]?.readiness?.pattern).toBeInstanceOf(RegExp);
  }, 20_000);

  it('a Procfile becomes { processes } of shell commands', async () => {
    const loaded = await loadConfig(locateConfig(undefined, fixturePath('cli-procfile')));
    expect(loaded.config).toEqual({
      processes: [
        { name: 'web', command: `node -e "console.log('web up ' + process.pid); setInterval(() => {}, 1 << 30)"`, shell: true },
        { name: 'worker', command: 'echo "worker $PROCVISOR_RESTARTS" && exec sleep 600', shell: true },
      ],
    });
  });

  it('a file that cannot be read is an issue, not an exception', async () => {
    const dir = project('broken', { 'procvisor.config.json': '{ "processes": [', 'bad.mjs': 'export default {', 'throws.mjs': "throw new Error('boom in config')" });
    expect((await loadConfig(locateConfig(undefined, dir))).issues[0]?.message).toMatch(/procvisor\.config\.json is not valid JSON/);
    expect((await loadConfig(locateConfig('bad.mjs', dir))).issues[0]?.message).toMatch(/could not load bad\.mjs/);
    expect((await loadConfig(locateConfig('throws.mjs', dir))).issues[0]?.message).toMatch(/boom in config/);
  });
});

describe('validation', () => {
  it('reports every problem of the bad fixture with its field path', async () => {
    const prepared = await prepare(undefined, fixturePath('cli-bad'));
    expect(prepared.issues.map((i) => i.path)).toEqual([...CLI_BAD_PATHS]);
    expect(prepared.issues[0]?.message).toMatch(/did you mean `processes`\?/);
    expect(prepared.issues[3]?.message).toMatch(/`web` is the name of processes\[0\] already/);
  });

  it('names the variable a bad manager option came from', async () => {
    const dir = project('env-source', { Procfile: 'a: echo a' });
    const prepared = await prepare(undefined, dir, { PROCVISOR_SAMPLING: '10', PROCVISOR_START_TIMEOUT: '9999999999' });
    expect(prepared.issues.map((i) => i.path)).toEqual(['manager.startTimeout (from PROCVISOR_START_TIMEOUT)']);
  });

  it('finds duplicate names across specs, supervisors\' children included', async () => {
    const config = { processes: [{ name: 'db', strategy: 'one-for-one', children: [{ name: 'api', command: 'x' }] }, { name: 'api', command: 'y' }] };
    const dir = project('dupes', { 'procvisor.config.json': JSON.stringify(config) });
    const prepared = await prepare(undefined, dir);
    expect(prepared.issues).toEqual([{ path: 'processes[1].name', message: '`api` is the name of processes[0].children[0] already: names must be unique across the config' }]);
  });

  it('the shape: an object with processes, at least one', () => {
    expect(readShape([]).issues.map((i) => i.path)).toEqual(['']);
    expect(readShape({ manager: {} }).issues.map((i) => i.path)).toEqual(['processes']);
    expect(readShape({ processes: [] }).issues[0]?.message).toMatch(/at least one process/);
    expect(readShape({ processes: [{}], manager: 3 }).issues.map((i) => i.path)).toEqual(['manager']);
    expect(readShape({ $schema: 'x', processes: [{}] }).issues).toEqual([]);
  });

  it('a good config: specs run in the config file\'s directory; replicas are output names', async () => {
    const config = { processes: [{ name: 'web', command: 'x', instances: 2, cwd: 'www' }, { name: 'job', command: 'y' }] };
    const dir = project('good', { 'procvisor.config.json': JSON.stringify(config) });
    const prepared = await prepare(undefined, dir);
    expect(prepared.issues).toEqual([]);
    expect(prepared.validated.specs.map((s) => (s as { cwd?: string }).cwd)).toEqual([join(dir, 'www'), dir]);
    expect(prepared.validated.names).toEqual(['web', 'job']);
    expect(prepared.validated.processNames).toEqual(['web#0', 'web#1', 'job']);
  });

  it('withBaseDir copies; absolute and malformed cwds stay', () => {
    const spec = { name: 'a', command: 'x' };
    expect(withBaseDir(spec, '/srv')).toEqual({ name: 'a', command: 'x', cwd: '/srv' });
    expect(spec).toEqual({ name: 'a', command: 'x' });
    expect(withBaseDir({ name: 'a', command: 'x', cwd: '/abs' }, '/srv')).toMatchObject({ cwd: '/abs' });
    expect(withBaseDir({ name: 'a', command: 'x', cwd: 5 }, '/srv')).toMatchObject({ cwd: 5 });
    expect(withBaseDir({ name: 's', strategy: 'one-for-one', children: [{ name: 'c', command: 'x' }] }, '/srv')).toMatchObject({ children: [{ cwd: '/srv' }] });
  });
});
