/**
 * procvisor/testing — fixture processes for test suites, framework-agnostic: start one and wait
 * until it is ready (`startFixture`), on a free port of its own (`port: 'auto'`); make sure nothing
 * leaked (`assertNoLeaks`); kill what a crashed earlier run left (`reapLeftovers`).
 * `procvisor/vitest` and `procvisor/node-test` build `useFixture()` on these.
 * @packageDocumentation
 */
import { reap } from './ledger.js';
import type { ReapOptions } from './types.js';

export { startFixture } from './fixture.js';
export { assertNoLeaks } from './leaks.js';
export { FixtureLeakError, PortUnavailableError, type LeakedProcess } from '../api/errors.js';
export type { Fixture, FixtureOf, FixtureProbe, FixtureSpec, ReapOptions } from './types.js';

/**
 * Kills what fixtures of an earlier run of the same project left alive, and resolves with how many
 * processes it killed (once they are gone). Normally that is 0: fixtures die with their test
 * process however it ends. What survives is a run killed together with its reaper (every process
 * of a CI job killed at once, the out-of-memory killer taking both). Each test process writes a ledger of the
 * fixtures it forks, by pid and start time (a recycled pid is never taken for a leftover);
 * ledgers of runs still in progress are left alone. Meant for a global setup file.
 */
export function reapLeftovers(options: ReapOptions = {}): Promise<number> {
  return reap(options.cwd);
}
