/**
 * procvisor/vitest as a user meets it: a vitest project of its own (test/fixtures/vitest-project),
 * run by a separate vitest with its files in parallel workers. Three files each get a fixture on a
 * port of their own; a failing test prints its fixture's output; a fixture whose probe never passes
 * fails its hook with the probe's reason although the project's hookTimeout is shorter than the
 * fixture's start timeout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROJECT = fileURLToPath(new URL('../fixtures/vitest-project', import.meta.url));

interface Run {
  code: number | null;
  output: string;
  report: { testResults: { name: string; status: string; message: string; assertionResults: { title: string; status: string; failureMessages: string[] }[] }[] };
}

/** Runs the project's tests in a vitest of its own; the environment of this run's workers is left out. */
function runProject(outDir: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, OUT_DIR: outDir, FORCE_COLOR: '0', NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID') delete env[key];
  const reportFile = join(outDir, 'report.json');
  const child = spawn(NODE, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', PROJECT, '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`], {
    cwd: PROJECT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        resolve({ code, output, report: JSON.parse(readFileSync(reportFile, 'utf8')) as Run['report'] });
      } catch (error) {
        reject(new Error(`vitest ended (${code}) without a report:\n${output}`, { cause: error }));
      }
    });
  });
}

describe('procvisor/vitest in a project of its own', () => {
  let outDir: string;
  let run: Run;
  const file = (name: string): Run['report']['testResults'][number] => {
    const found = run.report.testResults.find((r) => r.name.endsWith(name));
    if (!found) throw new Error(`${name} is not in the report:\n${run.output}`);
    return found;
  };

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procvisor-vitest-'));
    run = await runProject(outDir);
  }, 60_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('runs three files in parallel, each fixture on a port of its own', () => {
    for (const name of ['parallel-a.test.ts', 'parallel-b.test.ts', 'parallel-c.test.ts']) expect(file(name).status, run.output).toBe('passed');
    const ports = readdirSync(outDir)
      .filter((f) => f.endsWith('.port'))
      .map((f) => Number(readFileSync(join(outDir, f), 'utf8')));
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(3);
  });

  it('prints the fixture output beside a failed test', () => {
    expect(file('failing.test.ts').status).toBe('failed');
    // The annotation, printed with the failure: the fixture, and the lines it wrote.
    expect(run.output).toMatch(/procvisor: fixture `noisy` \(pid \d+, running, http:\/\/127\.0\.0\.1:\d+\), last \d+ output lines?:/);
    expect(run.output).toContain('marker-failing-fixture listening on');
    expect(run.output).toContain('request /before-the-failure');
  });

  it("fails a never-ready fixture's hook with the probe's reason and its output, not a hook timeout", () => {
    const result = file('never-ready.test.ts');
    expect(result.status).toBe('failed');
    const messages = [result.message, ...result.assertionResults.flatMap((a) => a.failureMessages)].join('\n');
    expect(messages).toMatch(/`sick` was not ready within 1500 ms: the http probe's last result was HTTP 404/);
    expect(messages).toContain('marker-sick-fixture listening on');
    expect(run.output).not.toMatch(/Hook timed out/);
    expect(run.code).toBe(1);
  });
});
