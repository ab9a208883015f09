/**
 * Before the run: the fixture library (test/fixtures/procvisor.ts), the `procvisor/child` and
 * `procvisor/node-test` entries and the `procvisor` command (src/cli) are bundled into test/.build/,
 * so fixture programs (and node:test files, and the command) run with plain `node`.
 *
 * Leak check for the whole suite. Every process spawned by a test inherits PROCVISOR_TEST_RUN
 * (children extend the host environment by default), so at teardown any live process carrying this
 * run's mark, other than the test runner itself, is a leaked child or grandchild: the run fails.
 */
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { markedProcesses, type MarkedProcess } from './helpers.js';

const MARK = 'PROCVISOR_TEST_RUN';

/** Live processes carrying this run's mark, the test runner's own workers left out. */
function leftovers(mark: string): MarkedProcess[] {
  return markedProcesses(MARK, mark).filter(({ cmd }) => !/vitest|tinypool/.test(cmd));
}

/** Bundles what fixture programs import; dependencies stay external (resolved from node_modules). */
async function buildFixtureLibrary(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  await build({
    absWorkingDir: root,
    entryPoints: { procvisor: 'test/fixtures/procvisor.ts', child: 'src/child/index.ts', 'node-test': 'src/node-test/index.ts', cli: 'src/cli/index.ts' },
    outdir: 'test/.build',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

export default async function setup(): Promise<() => Promise<void>> {
  await buildFixtureLibrary();
  const mark = randomUUID();
  process.env[MARK] = mark;
  return async () => {
    let leaked = leftovers(mark);
    // Reapers and ladders finish within a couple of seconds; give stragglers that long.
    for (let i = 0; i < 30 && leaked.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      leaked = leftovers(mark);
    }
    if (leaked.length > 0) {
      for (const { pid } of leaked) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      throw new Error(`Leaked processes after the test run:\n${leaked.map((p) => `  ${p.pid} ${p.cmd}`).join('\n')}`);
    }
  };
}
