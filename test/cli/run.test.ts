/**
 * `procvisor run`, end to end: the bundled command runs real commands through a shell.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { alive, NODE } from '../helpers.js';
import { Cli, fixturePath } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'procvisor-cli-run-'));
const started: Cli[] = [];
const cli = (args: string[]): Cli => {
  const run = new Cli(args, { cwd: dir });
  started.push(run);
  return run;
};
/** A shell command line running a fixture of test/fixtures/cli-run with the test's Node. */
const node = (script: string, ...args: string[]): string => [NODE, fixturePath(`cli-run/${script}`), ...args].map((a) => JSON.stringify(a)).join(' ');

afterEach(() => {
  for (const run of started.splice(0)) run.cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('procvisor run', () => {
  it('--kill-others-on-fail: both outputs prefixed, the survivor stopped, the failure\'s exit code', async () => {
    const pidFile = join(dir, 'sleeper-1.pid');
    const run = cli(['run', '--names', 'sleeper,failer', '--kill-others-on-fail', '--', node('sleeper.mjs', pidFile), node('fail-after.mjs', pidFile, '3')]);
    const sleeping = await run.waitFor(/^\[sleeper\] +sleeping (\d+)$/);
    await run.waitFor(/^\[failer\] +exiting 3$/);
    expect(await run.exit()).toEqual({ code: 3, signal: null });
    const pid = Number(sleeping[1]);
    expect(alive(pid)).toBe(false);
    expect(run.lines.some((l) => /^\[procvisor\] failer exited with code 3/.test(l)), run.dump()).toBe(true);
    expect(run.lines.some((l) => /^\[procvisor\] sleeper was stopped/.test(l)), run.dump()).toBe(true);
    expect(await run.survivors()).toEqual([]);
  });

  it('without kill-others, a failure leaves the others running; the exit code is the failure\'s', async () => {
    const run = cli(['run', '--names', 'a,b', '--', 'echo from-a', 'echo from-b >&2; exit 4']);
    expect(await run.exit()).toEqual({ code: 4, signal: null });
    expect(run.lines).toContain('[a]  from-a');
    // stderr lines carry the `!` marker after the prefix.
    expect(run.lines).toContain('[b]! from-b');
  });

  it('--success first with --kill-others: the first command to end decides; --raw writes the text alone', async () => {
    const pidFile = join(dir, 'sleeper-4.pid');
    const run = cli(['run', '--raw', '--success', 'first', '--kill-others', '--', 'echo raw-line', node('sleeper.mjs', pidFile)]);
    // The echo ends first and succeeds; the sleeper, stopped by a signal, failed: the rule leaves it out.
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(run.lines).toContain('raw-line');
    expect(run.lines.filter((l) => l !== 'raw-line' && !/^sleeping \d+$/.test(l))).toEqual([]);
    expect(await run.survivors()).toEqual([]);
  });

  it('--success all: the stopped sleeper fails the run with 1 (ended by a signal, no exit code)', async () => {
    const pidFile = join(dir, 'sleeper-5.pid');
    const run = cli(['run', '--kill-others', '--', node('fail-after.mjs', pidFile, '0'), node('sleeper.mjs', pidFile)]);
    expect(await run.exit()).toEqual({ code: 1, signal: null });
    expect(run.lines).toContain('[0]  exiting 0');
  });

  it('--restart-tries runs a failed command again, saying how it ended; the last failure\'s code', async () => {
    const run = cli(['run', '--restart-tries', '2', '--restart-after', '10ms', '--', 'echo try; exit 2']);
    expect(await run.exit()).toEqual({ code: 2, signal: null });
    expect(run.lines.filter((l) => l === '[0]  try')).toHaveLength(3);
    expect(run.lines.filter((l) => /^\[procvisor\] 0 exited with code 2; restarting in 10 ms \(attempt [23]\)$/.test(l))).toHaveLength(2);
  });

  it('Ctrl-C stops every command and exits 130', async () => {
    const first = join(dir, 'sleeper-2.pid');
    const second = join(dir, 'sleeper-3.pid');
    const run = cli(['run', node('sleeper.mjs', first), node('sleeper.mjs', second)]);
    const pids = [Number((await run.waitFor(/^\[0\] +sleeping (\d+)$/))[1]), Number((await run.waitFor(/^\[1\] +sleeping (\d+)$/))[1])];
    run.signal('SIGINT');
    expect(await run.exit()).toEqual({ code: 130, signal: null });
    expect(pids.filter((pid) => alive(pid))).toEqual([]);
    expect(await run.survivors()).toEqual([]);
  });

  it('rejects a success rule that names no command, or a bad prefix, before anything runs', async () => {
    const run = cli(['run', '--success', 'command-nope', '--', 'echo should-not-run']);
    expect((await run.exit()).code).toBe(1);
    expect(run.lines).toEqual([]);
    expect(run.stderr).toMatch(/nope/);
    const badPrefix = cli(['run', '--prefix', '{nope}', '--', 'echo should-not-run']);
    expect((await badPrefix.exit()).code).toBe(1);
    expect(badPrefix.lines).toEqual([]);
    expect(badPrefix.stderr).toMatch(/^--prefix: .*`\{nope\}` is not one of them/);
  });
});
