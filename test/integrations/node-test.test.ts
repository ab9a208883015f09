/**
 * procvisor/node-test as a user meets it: node:test files (test/fixtures/node-test-project) run by
 * `node --test` in a process of their own. A file that forgets its fixture still exits by itself,
 * and the fixture's whole tree dies with it; a failing test carries the fixture's output as
 * diagnostics; a fixture whose probe never passes fails its hook with the probe's reason.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, NODE, until } from '../helpers.js';

const PROJECT = fileURLToPath(new URL('../fixtures/node-test-project/', import.meta.url));

interface Run {
  code: number | null;
  output: string;
  /** ms from the spawn to the exit. */
  took: number;
}

function runFile(name: string, outDir: string): Promise<Run> {
  const started = performance.now();
  const child = spawn(NODE, ['--test', '--test-reporter=tap', join(PROJECT, name)], {
    cwd: PROJECT,
    env: { ...process.env, OUT_DIR: outDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output, took: performance.now() - started }));
  });
}

describe('procvisor/node-test under node --test', () => {
  let outDir: string;
  let forgot: Run;
  let failing: Run;
  let neverReady: Run;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procvisor-node-test-'));
    [forgot, failing, neverReady] = (await Promise.all(['forgot.test.mjs', 'failing.test.mjs', 'never-ready.test.mjs'].map((f) => runFile(f, outDir)))) as [Run, Run, Run];
  }, 60_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('a file that forgets its fixture exits by itself, and the whole tree dies with it', async () => {
    expect(forgot.code, forgot.output).toBe(0);
    const tree = JSON.parse(readFileSync(join(outDir, 'tree.json'), 'utf8')) as { pid: number; group: number[]; setsid: number };
    const pids = [tree.pid, ...tree.group, tree.setsid];
    await until(() => pids.every((pid) => !alive(pid)), 2000, `the forgotten fixture's tree ${JSON.stringify(tree)} to die`);
  });

  it("a failed test carries the fixture's last output lines as diagnostics", () => {
    expect(failing.code).toBe(1);
    expect(failing.output).toMatch(/^# procvisor: fixture `noisy` \(pid \d+, running, http:\/\/127\.0\.0\.1:\d+\), last \d+ output lines:$/m);
    expect(failing.output).toMatch(/^#\s+out \| marker-node-test-fixture listening on \d+$/m);
    expect(failing.output).toMatch(/^#\s+out \| request \/before-the-failure$/m);
    // Only after the failed test: the passing one has no report.
    expect(failing.output.match(/procvisor: fixture `noisy`/g)).toHaveLength(1);
  });

  it("a never-ready fixture fails its hook with the probe's reason and its output", () => {
    expect(neverReady.code).toBe(1);
    expect(neverReady.output).toContain("failureType: 'hookFailed'");
    expect(neverReady.output).toMatch(/`sick` was not ready within 1500 ms: the http probe's last result was HTTP 404/);
    expect(neverReady.output).toContain('marker-sick-node-test listening on');
  });
});
