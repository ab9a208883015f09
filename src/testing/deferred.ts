/**
 * The framework-neutral half of `useFixture()`: a fixture declared while a test file is collected,
 * started by a `before` hook and stopped by an `after` hook of whichever framework, with hook time
 * limits that leave room for the fixture's own start timeout (so a slow fixture fails with its own
 * error, the probe's last result and its output, never "hook timed out"), and the report printed
 * beside a failed test.
 */
import { DEFAULTS } from '../api/defaults.js';
import { InvalidStateError } from '../api/errors.js';
import type { Handle } from '../api/handle.js';
import type { OutputLine, WaitOptions } from '../api/types.js';
import { parseDuration } from '../util/units.js';
import { startFixture } from './fixture.js';
import { checkFixtureSpec, defaultName } from './spec.js';
import type { Fixture, FixtureSpec } from './types.js';

/** Output lines shown beside a failed test. */
export const REPORT_LINES = 30;

/** A failed test's report waits for the fixture's output to be quiet this long… */
const QUIET_MS = 25;
/** …but no longer than this. */
const SETTLE_MS = 250;

/** Margin over the fixture's own limits: claiming a port, spawning, stopping what failed to start. */
const HOOK_MARGIN_MS = 5_000;

/** A duration option of the spec in ms, or the default when absent (an invalid one is reported by the start itself). */
function durationOf(value: unknown, fallback: number): number {
  if (typeof value !== 'number' && typeof value !== 'string') return fallback;
  return parseDuration(value) ?? fallback;
}

/** Hook time limits for a fixture, in ms; 0 means none (a fixture without a start timeout). */
export interface HookTimeouts {
  readonly start: number;
  readonly stop: number;
}

/**
 * The `before` hook's limit: the fixture's start timeout plus its shutdown timeout (a start that
 * times out stops the process by its ladder before rejecting), plus a margin; `after`: its
 * shutdown timeout plus the margin.
 */
export function hookTimeouts(spec: FixtureSpec): HookTimeouts {
  const start = durationOf(spec.startTimeout, DEFAULTS.startTimeout);
  const stop = spec.shutdown === 'kill' ? 0 : durationOf(spec.shutdown?.timeout, DEFAULTS.shutdown.timeout);
  const finite = (ms: number): number => (Number.isFinite(ms) ? ms + HOOK_MARGIN_MS : 0);
  return { start: start === Infinity || stop === Infinity ? 0 : finite(start + stop), stop: finite(stop) };
}

/** The last output lines of a fixture, as printed beside a failed test. */
export function formatReport(fixture: Fixture, lines: readonly OutputLine[]): string {
  const state = fixture.handle.state;
  const head = `procvisor: fixture \`${fixture.name}\` (pid ${fixture.pid}, ${state}${fixture.url ? `, ${fixture.url}` : ''})`;
  if (lines.length === 0) return `${head} wrote no output.`;
  const body = lines.map((l) => `  ${l.stream === 'stderr' ? 'err' : 'out'} | ${l.line}`).join('\n');
  return `${head}, last ${lines.length} output line${lines.length === 1 ? '' : 's'}:\n${body}`;
}

/** A fixture declared now and started by a hook later. */
export class DeferredFixture {
  readonly timeouts: HookTimeouts;
  /** The fixture handed to the test file: it reads through to the started one. */
  readonly fixture: Fixture;
  #started: Fixture | undefined;
  #failed: unknown;
  readonly #spec: FixtureSpec;
  readonly #wanted: string;

  /** @throws InvalidSpecError at once, while the file is collected, for what only a fixture spec has. */
  constructor(spec: FixtureSpec) {
    checkFixtureSpec(spec);
    this.#spec = spec;
    this.#wanted = spec.name ?? defaultName(spec);
    this.timeouts = hookTimeouts(spec);
    this.fixture = new FixtureView(this);
  }

  /** For the `before` hook. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#failed = undefined;
    try {
      this.#started = await startFixture(this.#spec);
    } catch (error) {
      this.#failed = error;
      throw error;
    }
  }

  /** For the `after` hook. */
  async stop(): Promise<void> {
    // The fixture stays readable after its stop (its last pid, its logs); stopping is idempotent.
    await this.#started?.stop();
  }

  /**
   * The fixture's last output lines, for a failed test; undefined when it never started. What the
   * fixture wrote in answer to the test's last request may still be in the pipe: it waits until no
   * new line has arrived for {@link QUIET_MS} (at most {@link SETTLE_MS}).
   */
  async lines(n = REPORT_LINES): Promise<OutputLine[] | undefined> {
    const started = this.#started;
    if (!started) return undefined;
    const deadline = performance.now() + SETTLE_MS;
    let last = started.logs(1)[0];
    while (performance.now() < deadline) {
      // Real time, not a clock's: this waits for a pipe, which no injected clock moves.
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      const now = started.logs(1)[0];
      if (now === last) break;
      last = now;
    }
    return started.logs(n);
  }

  /** What to print beside a failed test: the fixture and `lines`. */
  report(lines: readonly OutputLine[]): string {
    return formatReport(this.fixture, lines);
  }

  /**
   * The started fixture.
   * @throws InvalidStateError before the start, or after a start that failed (with its reason)
   */
  current(): Fixture {
    if (this.#started) return this.#started;
    if (this.#failed !== undefined) {
      const reason = this.#failed instanceof Error ? this.#failed.message : String(this.#failed);
      throw new InvalidStateError(`Fixture \`${this.#wanted}\` did not start: ${reason}`);
    }
    throw new InvalidStateError(
      `Fixture \`${this.#wanted}\` is not started: useFixture() starts it in a before-all hook and stops it after all tests — use it inside tests and hooks, not while the file is being collected`,
    );
  }

  /** The name it will have (or has). */
  get name(): string {
    return this.#started?.name ?? this.#wanted;
  }
}

/** The fixture a test file holds: every read goes to the started fixture, or says why there is none. */
class FixtureView implements Fixture {
  readonly #owner: DeferredFixture;
  constructor(owner: DeferredFixture) {
    this.#owner = owner;
  }
  get name(): string {
    return this.#owner.name;
  }
  get pid(): number {
    return this.#owner.current().pid;
  }
  get port(): number | undefined {
    return this.#owner.current().port;
  }
  get url(): string | undefined {
    return this.#owner.current().url;
  }
  get handle(): Handle<unknown> {
    return this.#owner.current().handle;
  }
  logs(n?: number): OutputLine[] {
    return this.#owner.current().logs(n);
  }
  stop(): Promise<void> {
    return this.#owner.stop();
  }
  restart(options?: WaitOptions): Promise<void> {
    return this.#owner.current().restart(options);
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.#owner.stop();
  }
}
