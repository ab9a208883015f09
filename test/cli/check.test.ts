/**
 * `procvisor check`, `--help` and `--version`, with the bundled command.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cli, CLI_BAD_PATHS, fixturePath } from './support.js';

const empty = mkdtempSync(join(tmpdir(), 'procvisor-cli-check-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

async function check(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Cli> {
  const run = new Cli(['check', ...args], { cwd, env });
  await run.exit();
  return run;
}

describe('procvisor check', () => {
  it('reports every problem of a bad config by its field path and exits 1', async () => {
    const run = await check([], fixturePath('cli-bad'));
    expect((await run.ended).code).toBe(1);
    expect(run.lines).toEqual([]);
    const lines = run.stderr.trim().split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf(': ')))).toEqual([...CLI_BAD_PATHS, 'procvisor.config.json']);
    expect(lines.at(-1)).toBe('procvisor.config.json: 6 problems, nothing was started');
  });

  it('accepts a good config with a one-line summary and exits 0', async () => {
    const run = await check([], fixturePath('cli-project'));
    expect((await run.ended).code).toBe(0);
    expect(run.lines).toEqual(['✔ procvisor.config.ts is valid: ticker, crasher (2)']);
    expect(run.stderr).toBe('');
  });

  it('takes a file or a directory, and checks the environment the command would use', async () => {
    const byFile = await check([join(fixturePath('cli-procfile'), 'Procfile')], empty);
    expect((await byFile.ended).code).toBe(0);
    expect(byFile.lines[0]).toMatch(/Procfile is valid: web, worker \(2\)$/);
    const withEnv = await check([fixturePath('cli-procfile')], empty, { PROCVISOR_SHUTDOWN_TIMEOUT: 'later' });
    expect((await withEnv.ended).code).toBe(1);
    expect(withEnv.stderr).toMatch(/^PROCVISOR_SHUTDOWN_TIMEOUT: expected a positive duration/m);
  });

  it('says so when there is no config, exit 1', async () => {
    const run = await check(['nowhere.json'], empty);
    expect((await run.ended).code).toBe(1);
    expect(run.stderr).toMatch(/No such file: .*nowhere\.json/);
  });
});

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const run = new Cli(['--version']);
    expect((await run.exit()).code).toBe(0);
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(run.lines).toEqual([version]);
  });

  it('--help lists the commands; each command has its own', async () => {
    const main = new Cli(['--help']);
    expect((await main.exit()).code).toBe(0);
    expect(main.lines.join('\n')).toMatch(/run \[options\] <commands\.\.\.>[\s\S]*start \[options\] \[file\][\s\S]*check \[options\] \[file\]/);
    const run = new Cli(['run', '--help']);
    expect((await run.exit()).code).toBe(0);
    expect(run.lines.join('\n')).toMatch(/--kill-others-on-fail[\s\S]*--restart-tries <n>[\s\S]*--max-processes <n>/);
    const start = new Cli(['start', '--help']);
    expect((await start.exit()).code).toBe(0);
    expect(start.lines.join('\n')).toMatch(/--log-dir <dir>[\s\S]*PROCVISOR_LOG_DIR/);
  });

  it('an unknown command is an error with a hint', async () => {
    const run = new Cli(['strat']);
    expect((await run.exit()).code).toBe(1);
    expect(run.stderr).toMatch(/unknown command 'strat'[\s\S]*start/);
  });
});
