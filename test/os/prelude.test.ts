/**
 * The launch prelude (src/os/prelude.ts) and the seam of spawnChild: argv kept exactly, the pid
 * kept (exec), the environment kept, variables set at exec (`LISTEN_PID=$$`), descriptors passed
 * as fd 3, and the script run by dash and by bash as `sh` alike.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnFailedError } from '../../src/api/errors.js';
import type { ProcessSpec } from '../../src/api/types.js';
import { TREE_COOKIE_ENV, newTreeCookie } from '../../src/os/cookie.js';
import { OWN_PID, PRELUDE_FAILED, preludeScript, programArgv, shellQuote } from '../../src/os/prelude.js';
import { spawnChild, type LaunchExtras } from '../../src/os/spawn.js';
import { resolveManagerOptions, resolveProcessSpec } from '../../src/spec/resolve.js';
import { firstLine, fixture, NODE } from '../helpers.js';

const linux = process.platform === 'linux';
const DEFAULTS = resolveManagerOptions({}).defaults;
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {}
        await gone;
      }
    }),
  );
});

interface Report {
  pid: number;
  argv: string[];
  listenPid?: string;
  env: Record<string, string>;
  fd3: { link?: string; fifo?: boolean; socket?: boolean; error?: string };
  limits: string;
}

/** Spawns test/fixtures/kernel-report.mjs (or `spec`) and resolves with its report and pid. */
async function report(spec: Partial<ProcessSpec> = {}, extras?: LaunchExtras, args: string[] = []): Promise<{ report: Report; child: ChildProcess }> {
  const resolved = resolveProcessSpec({ name: 'k', command: NODE, args: [fixture('kernel-report.mjs'), ...args], ...spec }, DEFAULTS);
  const child = await spawnChild(resolved, newTreeCookie(true), undefined, 0, extras);
  children.push(child);
  return { report: JSON.parse(await firstLine(child, 'kernel-report')) as Report, child };
}

const NASTY = ['plain', 'with space', "it's", '"double"', '$HOME', '`uname`', '$(id)', 'new\nline', '', '*', '\\back', ' lead', '-n', '; exit 3', '%s'];

describe('prelude script', () => {
  it('quotes any text as one shell word', () => {
    for (const word of NASTY) {
      const out = spawnSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' }).stdout;
      expect(out).toBe(word);
    }
  });

  it('exec "$0" "$@" is the last line, with limits as ulimit builtins in the measured units', () => {
    const script = preludeScript({ rlimits: { memory: 10 * 1024 * 1024 + 5, coreSize: 1024 + 100, openFiles: 64 }, env: {} });
    expect(script.split('\n').at(-1)).toBe('exec "$0" "$@"');
    expect(script).toContain('ulimit -v 10240 ');
    expect(script).toContain('ulimit -c 2 ');
    expect(script).toContain('ulimit -n 64 ');
    expect(script).toContain(`exit ${PRELUDE_FAILED}`);
  });

  it('runs a shell spec as Node would: the shell, -c, the command line joined by spaces', () => {
    expect(programArgv('echo', ['a', 'b c'], true)).toEqual(['/bin/sh', '-c', 'echo a b c']);
    expect(programArgv('echo', ['a'], '/bin/bash')).toEqual(['/bin/bash', '-c', 'echo a']);
    expect(programArgv('echo', ['a'], false)).toEqual(['echo', 'a']);
  });

  describe.runIf(linux)('the same limits under dash and under bash as sh', () => {
    const shells = [
      ['dash', ['dash']],
      ['bash --posix', ['bash', '--posix']],
    ] as const;
    for (const [label, [shell, ...flags]] of shells) {
      const present = spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
      it.runIf(present)(`${label}: every field, soft = hard`, () => {
        const script = preludeScript({
          rlimits: { memory: 512 * 1024 * 1024, openFiles: 99, processes: 777, cpuTime: 33, coreSize: 8192 },
          envAtExec: { LISTEN_PID: OWN_PID, OTHER: "x'y" },
          env: { PWD: '/somewhere' },
        });
        const run = spawnSync(shell, [...flags, '-c', script, 'sh', '-c', 'cat /proc/$$/limits; echo "pid=$$ listen=$LISTEN_PID other=$OTHER pwd=$PWD"'], { encoding: 'utf8' });
        expect(run.stderr).toBe('');
        const limit = (name: string): string[] => (new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(run.stdout) ?? []).slice(1);
        expect(limit('Max address space')).toEqual([String(512 * 1024 * 1024), String(512 * 1024 * 1024)]);
        expect(limit('Max open files')).toEqual(['99', '99']);
        expect(limit('Max processes')).toEqual(['777', '777']);
        expect(limit('Max cpu time')).toEqual(['33', '33']);
        expect(limit('Max core file size')).toEqual(['8192', '8192']);
        const [, pid, listen] = /pid=(\d+) listen=(\d+) other=x'y pwd=\/somewhere/.exec(run.stdout) ?? [];
        expect(listen).toBe(pid);
      });
    }
  });
});

describe.runIf(linux)('spawnChild through the prelude', () => {
  it('passes argv exactly: spaces, quotes, $, backticks, newlines, empty words', async () => {
    const { report: r } = await report({ rlimits: { openFiles: 256 } }, undefined, NASTY);
    expect(r.argv).toEqual(NASTY);
  });

  it('keeps the pid (exec): /proc/<pid>/limits of the spawned pid shows the limit', async () => {
    const { report: r, child } = await report({ rlimits: { openFiles: 123 } });
    expect(r.pid).toBe(child.pid);
    expect(r.limits).toMatch(/^Max open files\s+123\s+123\s/m);
  });

  it('keeps the environment: the tree cookie, every variable, PWD as it was', async () => {
    const env = { PROCVISOR_KERNEL_TEST: 'a b $c \'d\' "e"\nf', EMPTY: '' };
    const { report: plain } = await report({ env });
    const { report: viaPrelude } = await report({ env, rlimits: { openFiles: 256 } });
    expect(viaPrelude.env[TREE_COOKIE_ENV]).toMatch(/\S/);
    const without = (e: Record<string, string>): Record<string, string> => {
      const { [TREE_COOKIE_ENV]: _cookie, ...rest } = e;
      return rest;
    };
    // Shell names only: a variable whose name is not a shell name cannot pass a shell (documented).
    const shellNamed = (e: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(without(e)).filter(([k]) => /^[A-Za-z_]\w*$/.test(k)));
    expect(shellNamed(viaPrelude.env)).toEqual(shellNamed(plain.env));
    expect(viaPrelude.env.PROCVISOR_KERNEL_TEST).toBe(env.PROCVISOR_KERNEL_TEST);
  });

  it('sets envAtExec right before exec: LISTEN_PID is the child’s own pid', async () => {
    const { report: r, child } = await report({}, { envAtExec: { LISTEN_PID: OWN_PID, LISTEN_FDS: '1' } });
    expect(r.listenPid).toBe(String(child.pid));
    expect(r.env.LISTEN_FDS).toBe('1');
  });

  it('passes descriptors as fd 3: a pipe, and a listening socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pv-fd-'));
    const fifo = join(dir, 'f');
    spawnSync('mkfifo', [fifo]);
    const fd = openSync(fifo, 'r+');
    try {
      const { report: r } = await report({}, { fds: [fd] });
      expect(r.fd3.fifo).toBe(true);
      expect(r.fd3.link).toMatch(/^pipe:|\/f$/);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const handle = (server as unknown as { _handle: { fd: number } })._handle;
      const { report: r } = await report({ ipc: true }, { fds: [handle.fd], envAtExec: { LISTEN_PID: OWN_PID } });
      expect(r.fd3.socket).toBe(true);
      expect(r.fd3.link).toMatch(/^socket:/);
    } finally {
      server.close();
    }
  });

  it('without a prelude, fd 3 is not a passed descriptor (the test can fail)', async () => {
    const { report: r } = await report({});
    expect(r.fd3.socket ?? false).toBe(false);
    expect(r.listenPid).toBeUndefined();
  });

  it('runs shell: true specs: the user’s command line still goes through the shell', async () => {
    const spec = resolveProcessSpec({ name: 'sh', command: 'ulimit -n; echo "$0|$1"', shell: true, rlimits: { openFiles: 77 } }, DEFAULTS);
    const child = await spawnChild(spec, newTreeCookie(true), undefined, 0);
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    expect(out).toBe('77\n/bin/sh|\n');
  });

  it('reports a missing program as spawn does: SpawnFailedError with ENOENT', async () => {
    const spec = resolveProcessSpec({ name: 'missing', command: 'no-such-program-pv', rlimits: { openFiles: 64 } }, DEFAULTS);
    const error = await spawnChild(spec, newTreeCookie(true), undefined, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect((error as SpawnFailedError).errno).toBe('ENOENT');
  });

  it('rejects an envAtExec name a shell cannot export', async () => {
    const spec = resolveProcessSpec({ name: 'bad', command: 'true' }, DEFAULTS);
    const error = await spawnChild(spec, newTreeCookie(true), undefined, 0, { envAtExec: { 'A.B': '1' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect((error as Error).message).toMatch(/`A\.B` is not a valid environment variable name/);
  });
});
