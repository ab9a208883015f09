/**
 * A child's stdin (`stdin: 'ignore' | 'pipe' | 'inherit'`) with real processes: a pipe the host
 * writes to through `handle.write()` and `handle.stdin`, the documented errors of a write nobody
 * can receive, a closed pipe that never crashes the host, `/dev/null` by default, and the host's
 * own stdin handed down.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidStateError, ProcessManager } from '../../src/index.js';
import type { Handle } from '../../src/index.js';
import { fixture, NODE, track, until } from '../helpers.js';
import { nodeSpec, READY_LINE } from '../manager/support.js';

function manager(): ProcessManager {
  return track(new ProcessManager());
}

/** The lines a handle kept, as text. */
function logged(handle: Handle): string[] {
  return handle.logs().map((l) => l.line);
}

describe("stdin: 'pipe'", () => {
  it('round trip: write() resolves once written and the child reads every line, in order', async () => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('echo', 'io-echo.mjs', ['stay'], { stdin: 'pipe', readiness: READY_LINE }));
    expect(handle.stdin).toBeDefined();
    await expect(handle.write('one\n')).resolves.toBeUndefined();
    await handle.write(new TextEncoder().encode('two\nthr'));
    await handle.write('ee\n');
    await until(() => logged(handle).includes('echo: three'), 5000, 'the third echo');
    expect(logged(handle)).toEqual(['ready', 'echo: one', 'echo: two', 'echo: three']);
    // Ending the stream is end of file for the child.
    handle.stdin?.end();
    await until(() => logged(handle).includes('eof'), 5000, 'end of file');
    await pm.stop('echo');
  });

  it('after the child exited, write() rejects with an InvalidStateError naming the fix, and stdin is undefined', async () => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('short', 'io-echo.mjs', [], { stdin: 'pipe', restart: 'never', readiness: READY_LINE }));
    handle.stdin?.end();
    await handle.waitFor('exited', { timeout: 10_000 });
    expect(handle.stdin).toBeUndefined();
    const error = await handle.write('late\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toMatch(/`short`.*not running/);
  });

  it('writing to a child that closed its stdin rejects (EPIPE as the cause) and never crashes the host', async () => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('closer', 'io-echo.mjs', ['close'], { stdin: 'pipe', readiness: { type: 'log', pattern: /^closed$/ } }));
    const first = await handle.write('anyone there?\n').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(InvalidStateError);
    expect((first as Error).message).toMatch(/stdin is closed/);
    expect(((first as Error).cause as NodeJS.ErrnoException).code).toBe('EPIPE');
    // The stream is done for; later writes say so at once, and nothing was thrown at the host.
    const second = await handle.write('again\n').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(InvalidStateError);
    expect(handle.state).toBe('running');
    await pm.stop('closer');
  });

  it('a write pending when the child exits rejects instead of crashing the host', async () => {
    const pm = manager();
    // The child stops reading: it exits after its first line, with a large write still under way.
    const handle = await pm.start(nodeSpec('quitter', 'io-relay.mjs', [], { stdin: 'pipe', restart: 'never' }));
    const big = `${JSON.stringify({ exit: 'bye\n' })}\n${'x'.repeat(4 * 1024 * 1024)}\n`;
    const outcome = await handle.write(big).then(
      () => 'written',
      (e: unknown) => e,
    );
    // The pipe may have taken it all before the exit (then it resolves); never an uncaught error.
    if (outcome !== 'written') expect(outcome).toBeInstanceOf(InvalidStateError);
    await handle.waitFor('exited', { timeout: 10_000 });
  });

  it('rejects data that is neither a string nor bytes with an InvalidArgumentError', async () => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('typed', 'io-echo.mjs', ['stay'], { stdin: 'pipe', readiness: READY_LINE }));
    await expect(handle.write(42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await pm.stop('typed');
  });
});

describe("stdin: 'ignore' (the default)", () => {
  it('the child reads end of file at once; write() rejects naming `stdin: pipe`', async () => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('deaf', 'io-echo.mjs', ['stay']));
    await until(() => logged(handle).includes('eof'), 5000, 'end of file');
    expect(logged(handle)).toEqual(['ready', 'eof']);
    expect(handle.stdin).toBeUndefined();
    const error = await handle.write('hello\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toContain("set `stdin: 'pipe'`");
    await pm.stop('deaf');
  });

  it('a supervisor has no stdin: write() rejects with an InvalidStateError', async () => {
    const pm = manager();
    const sup = await pm.start({ name: 'sup', strategy: 'one-for-one', children: [nodeSpec('kid', 'io-echo.mjs', ['stay'], { stdin: 'pipe' })] });
    expect(sup.stdin).toBeUndefined();
    await expect(sup.write('x')).rejects.toBeInstanceOf(InvalidStateError);
    await pm.stop('sup');
  });
});

describe("stdin: 'inherit'", () => {
  it("the child reads the host's own stdin", async () => {
    const host = spawn(NODE, [fixture('io-inherit-host.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let out = '';
      host.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      await until(() => out.includes('child: ready\n'), 10_000, 'the child to start');
      host.stdin.end('from the host\n');
      const [code] = (await once(host, 'exit')) as [number | null];
      await until(() => out.includes('child: eof\n'), 5000, 'the end of the host output');
      expect(out.split('\n').filter(Boolean)).toEqual(['child: ready', 'child: echo: from the host', 'child: eof']);
      expect(code).toBe(0);
    } finally {
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
    }
  });
});
