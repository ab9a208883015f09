/**
 * procvisor/vitest — fixtures for vitest: `useFixture()` inside a `describe` (or at file level)
 * starts a fixture before the tests and stops it after them, and prints its last output lines
 * beside every failed test; `defineGlobalSetup()` reaps what a crashed run left and shares fixtures
 * across test files (`injectFixture()`). Everything of `procvisor/testing` is re-exported.
 * @packageDocumentation
 */
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { InvalidArgumentError, InvalidStateError } from '../api/errors.js';
import { DeferredFixture } from '../testing/deferred.js';
import { assertNoLeaks } from '../testing/leaks.js';
import { reap } from '../testing/ledger.js';
import { startFixture } from '../testing/fixture.js';
import type { OutputLine } from '../api/types.js';
import type { Fixture, FixtureOf, FixtureSpec } from '../testing/types.js';

export { startFixture, assertNoLeaks };
export { reapLeftovers, FixtureLeakError, PortUnavailableError } from '../testing/index.js';
export type { Fixture, FixtureOf, FixtureProbe, FixtureSpec, LeakedProcess, ReapOptions } from '../testing/index.js';

/** What a failed-test hook receives (vitest 3+: the test context): only its task's `meta` is used. */
interface FailedTestContext {
  task?: { meta?: Record<string, unknown> };
}

/** What `useFixture` keeps in a failed test's `task.meta.procvisor`, for custom reporters. */
export interface FixtureFailureMeta {
  /** One entry per fixture of the test's scope: its name, pid and last output lines. */
  fixtures: { name: string; pid: number; lines: OutputLine[] }[];
}

/**
 * Declares a fixture for the enclosing `describe` (or the file): started in `beforeAll`, stopped in
 * `afterAll`. The returned fixture is usable inside tests and hooks; touched before its start it
 * throws an error saying so. The `beforeAll` hook gets a time limit of its own (the fixture's
 * `startTimeout` plus its shutdown timeout, plus a margin), so a fixture that never gets ready fails
 * the hook with its own error: the probe's last result and its last output lines. When a test
 * fails, the fixture's last output lines are printed as that test's stderr (shown under its name,
 * also with `silent: 'passed-only'`) and kept in its `task.meta.procvisor` ({@link FixtureFailureMeta}).
 *
 * ```ts
 * const api = useFixture({
 *   command: 'node', args: ['server.js'], port: 'auto',
 *   readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' },
 * });
 * test('lists users', async () => {
 *   expect((await fetch(`${api.url}/users`)).status).toBe(200);
 * });
 * ```
 * @throws InvalidSpecError at once for a malformed `port` or `{port}` without one
 */
export function useFixture<const S extends FixtureSpec>(spec: S): FixtureOf<S> {
  const deferred = new DeferredFixture(spec);
  beforeAll(() => deferred.start(), deferred.timeouts.start);
  afterAll(() => deferred.stop(), deferred.timeouts.stop);
  beforeEach((context) => {
    context.onTestFailed(async (failed: unknown) => {
      const lines = await deferred.lines();
      if (lines === undefined) return;
      // Printed as the failed test's own stderr (every reporter shows it under the test's name;
      // vitest's annotations are closed once a test has failed), and kept in its meta.
      console.error(deferred.report(lines));
      const meta = (failed as FailedTestContext | undefined)?.task?.meta;
      if (meta) {
        const kept = (meta.procvisor ??= { fixtures: [] }) as FixtureFailureMeta;
        kept.fixtures.push({ name: deferred.name, pid: deferred.fixture.pid, lines });
      }
    });
  });
  return deferred.fixture as unknown as FixtureOf<S>;
}

/** What `injectFixture()` returns: a fixture started by the global setup, as a test file sees it. */
export interface SharedFixture {
  /** Its name: the spec's `name`, else its key in {@link defineGlobalSetup}'s `fixtures`. */
  readonly name: string;
  /** PID of its process, started in vitest's main process. */
  readonly pid: number;
  /** Its port: `undefined` when the spec has no `port`. */
  readonly port: number | undefined;
  /** `http://127.0.0.1:<port>` when it has a port. */
  readonly url: string | undefined;
}

/** Options of {@link defineGlobalSetup}. */
export interface GlobalSetupOptions {
  /** Kill what fixtures of an earlier, crashed run of this project left (`reapLeftovers()`). Default true. */
  reap?: boolean;
  /** After stopping the shared fixtures, fail the run if anything they started is still alive (`assertNoLeaks()`). Default true. */
  assertNoLeaks?: boolean;
}

/**
 * What the function returned by {@link defineGlobalSetup} receives: the part of vitest's
 * global-setup argument it uses (`TestProject` in vitest 3+, the setup context before). vitest
 * passes it; a test of a global setup can pass any object with `provide`.
 */
export interface GlobalSetupContext {
  /** Hands `value` to every test file under `key` (read there with vitest's `inject`). */
  provide(key: string, value: unknown): void;
}

const KEY_PREFIX = 'procvisor:fixture:';

/**
 * A vitest global setup: reaps leftovers of an earlier run, starts `fixtures` once for the whole run
 * (in vitest's main process) and hands each to every test file through `provide`; stops them when
 * the run ends. Export it as the default of the file named in `test.globalSetup`:
 *
 * ```ts
 * // test/global-setup.ts
 * import { defineGlobalSetup } from 'procvisor/vitest';
 * export default defineGlobalSetup({
 *   db: { command: 'node', args: ['fake-db.js'], port: 'auto', readiness: { type: 'tcp', port: '{port}' } },
 * });
 * // in a test file
 * const db = injectFixture('db');   // { name, pid, port, url }
 * ```
 */
export function defineGlobalSetup(fixtures: Record<string, FixtureSpec> = {}, options: GlobalSetupOptions = {}): (context: GlobalSetupContext) => Promise<() => Promise<void>> {
  for (const [key, spec] of Object.entries(fixtures)) {
    if (typeof spec !== 'object' || spec === null) {
      throw new InvalidArgumentError(`fixtures.${key}`, spec, `Invalid global setup: \`fixtures.${key}\` must be a fixture spec object`);
    }
  }
  return async (context) => {
    if (options.reap !== false) await reap();
    const started: Fixture[] = [];
    const stopAll = async (): Promise<void> => {
      await Promise.allSettled(started.map((f) => f.stop()));
      if (options.assertNoLeaks !== false) await assertNoLeaks();
    };
    try {
      for (const [key, spec] of Object.entries(fixtures)) {
        const fixture = await startFixture({ name: key, ...spec });
        started.push(fixture);
        const shared: SharedFixture = { name: fixture.name, pid: fixture.pid, port: fixture.port, url: fixture.url };
        context.provide(`${KEY_PREFIX}${key}`, shared);
      }
    } catch (error) {
      await stopAll().catch(() => {});
      throw error;
    }
    return stopAll;
  };
}

/**
 * The fixture `key` of {@link defineGlobalSetup}, in a test file.
 * @throws InvalidStateError when the global setup declares no such fixture
 */
export function injectFixture(key: string): SharedFixture {
  const value = (inject as (key: string) => unknown)(`${KEY_PREFIX}${key}`) as SharedFixture | undefined;
  if (value === undefined) {
    throw new InvalidStateError(
      `No shared fixture \`${key}\`: declare it in the global setup (\`export default defineGlobalSetup({ ${key}: { … } })\` in the file named by \`test.globalSetup\`)`,
    );
  }
  return value;
}
