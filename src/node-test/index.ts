/**
 * procvisor/node-test — fixtures for the Node.js test runner (`node:test`): `useFixture()` inside a
 * `describe` (or at file level) starts a fixture in `before` and stops it in `after`, and prints
 * its last output lines as a diagnostic of every failed test. Everything of `procvisor/testing` is
 * re-exported. Fixtures never keep the test process alive: a file that forgets one still ends,
 * and the fixture dies with it.
 * @packageDocumentation
 */
import { after, afterEach, before } from 'node:test';
import { DeferredFixture } from '../testing/deferred.js';
import type { FixtureOf, FixtureSpec } from '../testing/types.js';

export { startFixture, assertNoLeaks, reapLeftovers, FixtureLeakError, PortUnavailableError } from '../testing/index.js';
export type { Fixture, FixtureOf, FixtureProbe, FixtureSpec, LeakedProcess, ReapOptions } from '../testing/index.js';

/** The part of node:test's test context used here (`passed` since Node 20.12). */
interface AfterEachContext {
  readonly passed?: boolean;
  diagnostic(message: string): void;
}

/**
 * Declares a fixture for the enclosing `describe` (or the file): started in `before`, stopped in
 * `after`. The returned fixture is usable inside tests and hooks; touched before its start it
 * throws an error saying so. The `before` hook gets a time limit of its own (the fixture's
 * `startTimeout` plus its shutdown timeout, plus a margin), so a fixture that never gets ready fails
 * with its own error: the probe's last result and its last output lines. When a test fails, the
 * fixture's last output lines are added to it as a diagnostic (printed under the test by every
 * reporter).
 *
 * ```ts
 * import { describe, it } from 'node:test';
 * import { useFixture } from 'procvisor/node-test';
 * describe('api', () => {
 *   const api = useFixture({ command: 'node', args: ['server.js'], port: 'auto',
 *     readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' } });
 *   it('answers', async () => { await fetch(`${api.url}/users`); });
 * });
 * ```
 * @throws InvalidSpecError at once for a malformed `port` or `{port}` without one
 */
export function useFixture<const S extends FixtureSpec>(spec: S): FixtureOf<S> {
  const deferred = new DeferredFixture(spec);
  const { start, stop } = deferred.timeouts;
  before(() => deferred.start(), start === 0 ? {} : { timeout: start });
  after(() => deferred.stop(), stop === 0 ? {} : { timeout: stop });
  afterEach(async (t) => {
    const context = t as unknown as AfterEachContext;
    if (context.passed !== false) return;
    const lines = await deferred.lines();
    if (lines === undefined) return;
    // One diagnostic per line: reporters print each on a line of its own (TAP escapes newlines).
    for (const line of deferred.report(lines).split('\n')) context.diagnostic(line);
  });
  return deferred.fixture as unknown as FixtureOf<S>;
}
