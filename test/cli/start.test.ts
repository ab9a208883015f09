/**
 * `procvisor start`, end to end with the bundled command and real processes: a TypeScript config,
 * a Procfile with log files, a config whose process ignores SIGTERM, one-shot processes. Output is
 * not a terminal here: prefixed lines and one line per lifecycle event.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { alive } from '../helpers.js';
import { Cli, fixturePath, type CliOptions } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'procvisor-cli-start-'));
const started: Cli[] = [];
const cli = (args: string[], options: CliOptions): Cli => {
  const run = new Cli(args, options);
  started.push(run);
  return run;
};

afterEach(() => {
  for (const run of started.splice(0)) run.cleanup();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('procvisor start', () => {
  it('a TypeScript config: starts everything, shows its lines, restarts a crash; SIGINT stops all, exit 0', async () => {
    const run = cli(['start'], { cwd: fixturePath('cli-project') });
    const tick = await run.waitFor(/^\[ticker\] +tick (\d+)$/, 20_000);
    await run.waitFor(/^\[crasher\] +crashing \d+$/);
    await run.waitFor(/^\[procvisor\] crasher exited with code 1; it will be restarted$/);
    await run.waitFor(/^\[procvisor\] crasher spawned \(pid \d+, restart 1\)$/);
    const up = await run.waitFor(/^\[crasher\] +up again (\d+)$/);
    expect(run.lines).toContain('[procvisor] ticker is ready');
    expect(run.lines).toContain('[procvisor] procvisor.config.ts: 2 of 2 processes running');

    const pids = [Number(tick[1]), Number(up[1]), ...run.spawned()];
    expect(run.spawned('crasher')).toHaveLength(2);
    run.signal('SIGINT');
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(run.lines).toContain('[procvisor] SIGINT: stopping every process (Ctrl-C again to kill them at once)');
    expect(run.lines).toContain('[procvisor] ticker stopped (SIGTERM)');
    expect(run.lines).toContain('[procvisor] crasher stopped (SIGTERM)');
    expect(pids.filter((pid) => alive(pid))).toEqual([]);
    expect(await run.survivors()).toEqual([]);
    expect(run.stderr).toBe('');
  }, 30_000);

  it('a Procfile, output also in rotating log files; SIGTERM stops all, exit 0', async () => {
    const logs = join(tmp, 'logs');
    const run = cli(['start', '--log-dir', logs, '--log-max-size', '1MB'], { cwd: fixturePath('cli-procfile') });
    const web = await run.waitFor(/^\[web\] +web up (\d+)$/);
    await run.waitFor(/^\[worker\] +worker 0$/);
    run.signal('SIGTERM');
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(alive(Number(web[1]))).toBe(false);
    expect(await run.survivors()).toEqual([]);
    expect(readFileSync(join(logs, 'web.log'), 'utf8')).toBe(`web up ${web[1]}\n`);
    expect(readFileSync(join(logs, 'worker.log'), 'utf8')).toBe('worker 0\n');
  });

  it('a second SIGINT kills a process that ignores SIGTERM at once: exit 130, no survivor', async () => {
    const run = cli(['start'], { cwd: fixturePath('cli-stubborn') });
    await run.waitFor(/^\[stubborn\] +ready$/);
    const [pid] = run.spawned('stubborn');
    run.signal('SIGINT');
    // Its shutdown timeout is 10 minutes: only the second signal can end this in time.
    await run.waitFor(/^\[stubborn\] +got SIGTERM$/);
    run.signal('SIGINT');
    expect(await run.exit(5000)).toEqual({ code: 130, signal: null });
    expect(run.lines).toContain('[procvisor] SIGINT again: killing every process tree now');
    expect(alive(pid as number)).toBe(false);
    expect(await run.survivors()).toEqual([]);
  });

  it('ends by itself once every process has ended for good; flags beat the environment', async () => {
    // The environment says restart for ever; the flag says never: the flag wins, so this ends.
    const run = cli(['start', '--restart', 'never'], { cwd: fixturePath('cli-oneshot'), env: { PROCVISOR_RESTART: 'permanent' } });
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(run.lines).toContain('[first]   first done');
    expect(run.lines).toContain('[second]  second done');
    expect(run.lines).toContain('[procvisor] every process has ended: nothing left to supervise');
  });

  it('refuses an invalid config: every problem on stderr, nothing started, exit 1', async () => {
    const run = cli(['start'], { cwd: fixturePath('cli-bad') });
    expect(await run.exit()).toEqual({ code: 1, signal: null });
    expect(run.lines).toEqual([]);
    expect(run.stderr).toMatch(/^processes\[0\]\.readiness\.url: /m);
    expect(run.stderr).toMatch(/6 problems, nothing was started/);
  });
});
