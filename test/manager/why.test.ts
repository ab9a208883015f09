/**
 * Failures say why, through the public API with real processes: a start that is never ready quotes
 * what its readiness probe saw last (a refused connection, an HTTP status, a custom probe's message,
 * an exec probe's output, a log pattern that never matched) and the last output, masked like output;
 * a spawn that fails says what to change (a whole command line in `command`, a cwd that is missing).
 */
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { ProcessManager, SpawnFailedError, StartFailedError, type ProcessSpec } from '../../src/index.js';
import { closedPort, track } from '../helpers.js';
import { killAll, nodeSpec, payloads, record } from './support.js';

// The probe runner is loaded on first use; loaded here, so its first load (a transform under the
// test runner) does not eat into the short start timeouts below.
beforeAll(async () => {
  await import('../../src/health/runner.js');
});

function manager(): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 20 }, shutdown: { timeout: 2000 } }));
}

/** Starts `spec` and resolves with the StartFailedError it must reject with (and the spawned pids). */
async function failedStart(pm: ProcessManager, spec: ProcessSpec): Promise<{ error: StartFailedError; pids: number[] }> {
  const seen = record(pm, ['spawn', 'start-failed']);
  const error = await pm.start(spec).then(
    () => {
      throw new Error(`\`${spec.name}\` started`);
    },
    (e: unknown) => e,
  );
  const pids = payloads(seen, 'spawn').map((e) => e.pid);
  killAll(pids);
  if (!(error instanceof StartFailedError)) throw error;
  // The event's error is the very error the start rejected with.
  const failed = payloads(seen, 'start-failed').filter((e) => e.name === spec.name);
  if (failed.length !== 1 || failed[0]?.error !== error) throw new Error('the start-failed event does not carry the same error');
  return { error, pids };
}

/** A server on 127.0.0.1 answering every request with `status` and `body`. */
async function answering(status: number, body: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_, res) => res.writeHead(status).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

describe.concurrent('a readiness timeout says why', () => {
  it('http against a closed port: ECONNREFUSED with the address, the checks and the last output', async ({ expect, onTestFinished }) => {
    const pm = manager();
    const { port, close } = await closedPort();
    onTestFinished(close);
    const { error } = await failedStart(
      pm,
      nodeSpec('p-http', 'emit-lines.mjs', ['o:booting', 'e:no config, using defaults'], {
        readiness: { type: 'http', url: `http://127.0.0.1:${port}/health`, interval: 50 },
        // Long enough for the output to be in on a busy machine.
        startTimeout: 2000,
      }),
    );
    expect(error.reason).toBe('timeout');
    expect(error.lastProbe).toEqual({ type: 'http', message: `ECONNREFUSED 127.0.0.1:${port}`, checks: expect.any(Number) });
    expect(error.lastProbe?.checks).toBeGreaterThanOrEqual(2);
    expect(error.message).toContain(
      `\`p-http\` was not ready within 2000 ms: the http probe's last result was ECONNREFUSED 127.0.0.1:${port} (${error.lastProbe?.checks} checks). Last output:\n`,
    );
    expect(error.message).toContain('  booting\n  no config, using defaults');
    expect(error.lastOutput.map((l) => l.line)).toEqual(['booting', 'no config, using defaults']);
  });

  it('http answering 404: `HTTP 404` and the status it expected', async ({ expect }) => {
    const pm = manager();
    const { server, port } = await answering(404, 'Cannot GET /health');
    try {
      const { error } = await failedStart(
        pm,
        nodeSpec('p-404', 'idle.mjs', [], { readiness: { type: 'http', url: `http://127.0.0.1:${port}/health`, interval: 50 }, startTimeout: 1000 }),
      );
      expect(error.lastProbe).toMatchObject({ type: 'http', message: 'HTTP 404, expected 200-399' });
      expect(error.message).toMatch(/was not ready within 1000 ms: the http probe's last result was HTTP 404, expected 200-399 \(\d+ checks?\)/);
    } finally {
      server.close();
    }
  });

  it("custom: the probe's own message, or `returned false`", async ({ expect }) => {
    const pm = manager();
    const said = await failedStart(
      pm,
      nodeSpec('p-db', 'idle.mjs', [], {
        readiness: { type: 'custom', check: () => Promise.resolve({ ok: false, message: 'db not migrated' }), interval: 30 },
        startTimeout: 500,
      }),
    );
    expect(said.error.lastProbe).toMatchObject({ type: 'custom', message: 'db not migrated' });
    expect(said.error.message).toContain("the custom probe's last result was db not migrated (");
    const silent = await failedStart(
      pm,
      nodeSpec('p-false', 'idle.mjs', [], { readiness: { type: 'custom', check: () => Promise.resolve(false), interval: 30 }, startTimeout: 500 }),
    );
    expect(silent.error.lastProbe).toMatchObject({ type: 'custom', message: 'returned false' });
    const thrower = await failedStart(
      pm,
      nodeSpec('p-throw', 'idle.mjs', [], {
        readiness: { type: 'custom', check: () => Promise.reject(new Error('pool exhausted')), interval: 30 },
        startTimeout: 500,
      }),
    );
    expect(thrower.error.message).toContain('The custom check threw: pool exhausted');
  });

  it("exec: the command's exit code and the tail of its output", async ({ expect }) => {
    const pm = manager();
    const { error } = await failedStart(
      pm,
      nodeSpec('p-exec', 'idle.mjs', [], {
        readiness: { type: 'exec', command: 'sh', args: ['-c', 'echo "checking" >&2; echo "pg_isready: no response" >&2; exit 2'], interval: 50 },
        startTimeout: 1000,
      }),
    );
    expect(error.lastProbe?.type).toBe('exec');
    expect(error.lastProbe?.message).toMatch(/^sh exited with code 2: checking\npg_isready: no response$/);
    expect(error.message).toContain("the exec probe's last result was sh exited with code 2: checking\npg_isready: no response (");
  });

  it('tcp: the connection error and the address', async ({ expect, onTestFinished }) => {
    const pm = manager();
    const { port, close } = await closedPort();
    onTestFinished(close);
    const { error } = await failedStart(pm, nodeSpec('p-tcp', 'idle.mjs', [], { readiness: { type: 'tcp', port, interval: 50 }, startTimeout: 1000 }));
    expect(error.lastProbe).toMatchObject({ type: 'tcp', message: `ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('log: no line matched the pattern, with the lines read', async ({ expect }) => {
    const pm = manager();
    const { error } = await failedStart(
      pm,
      nodeSpec('p-log', 'emit-lines.mjs', ['o:booting', 'o:still booting'], { readiness: { type: 'log', pattern: /^listening on \d+/ }, startTimeout: 2000 }),
    );
    expect(error.lastProbe).toEqual({ type: 'log', message: 'no line matched /^listening on \\d+/ yet', checks: 2 });
    expect(error.message).toBe(
      "`p-log` was not ready within 2000 ms: the log probe's last result was no line matched /^listening on \\d+/ yet (2 lines read). Last output:\n  booting\n  still booting",
    );
  });

  it('ipc: no ready message; a silent process says it wrote nothing', async ({ expect }) => {
    const pm = manager();
    const { error } = await failedStart(pm, nodeSpec('p-ipc', 'emit-lines.mjs', [], { ipc: true, readiness: { type: 'ipc' }, startTimeout: 400 }));
    expect(error.lastProbe).toEqual({ type: 'ipc', message: 'no ready message yet', checks: 0 });
    expect(error.message).toBe('`p-ipc` was not ready within 400 ms: the ipc probe got no ready message. It wrote no output.');
  });

  it('masks secrets in the probe message and the quoted output', async ({ expect }) => {
    const pm = manager();
    const { error } = await failedStart(
      pm,
      nodeSpec('p-mask', 'emit-lines.mjs', ['o:token=hunter2'], {
        output: { mask: ['hunter2'] },
        readiness: { type: 'custom', check: () => Promise.resolve({ ok: false, message: 'login with hunter2 refused' }), interval: 30 },
        startTimeout: 400,
      }),
    );
    expect(error.message).not.toContain('hunter2');
    expect(error.lastProbe?.message).not.toContain('hunter2');
    expect(error.lastProbe?.message).toMatch(/^login with \S+ refused$/);
    expect(error.lastOutput.map((l) => l.line).join('\n')).not.toContain('hunter2');
  });
});

describe.concurrent('a spawn failure says what to change', () => {
  it('a command line in `command` without `shell`: put the arguments in `args` or set `shell: true`', async ({ expect }) => {
    const pm = manager();
    const error = await pm.start({ name: 'dev', command: 'npm run dev' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect((error as SpawnFailedError).errno).toBe('ENOENT');
    expect((error as SpawnFailedError).message).toBe(
      "Cannot start `dev`: command `npm run dev` not found — the command is one program name; put its arguments in `args` (`command: 'npm', args: ['run', 'dev']`) or set `shell: true`",
    );
    // One word that is not found gets no such hint.
    const plain = await pm.start({ name: 'plain', command: 'procvisor-no-such-binary-q7' }).catch((e: unknown) => e);
    expect((plain as SpawnFailedError).message).toBe('Cannot start `plain`: command `procvisor-no-such-binary-q7` not found');
  });

  it('a missing cwd is named by its absolute path', async ({ expect }) => {
    const pm = manager();
    const error = await pm.start(nodeSpec('lost', 'idle.mjs', [], { cwd: 'procvisor-no-such-dir-3f9/app' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect((error as SpawnFailedError).message).toBe(
      `Cannot start \`lost\`: working directory \`${resolve('procvisor-no-such-dir-3f9/app')}\` does not exist`,
    );
  });
});
