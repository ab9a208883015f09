/**
 * The public types of `procvisor/testing`: fixture specs and fixtures.
 */
import type { Handle } from '../api/handle.js';
import type { OutputLine, ProbeTiming, ProcessSpec, Probe, ReadyDataOf, WaitOptions } from '../api/types.js';

/**
 * A readiness or liveness probe of a fixture: any probe, and a tcp probe may name the fixture's
 * own port as `port: '{port}'`.
 */
export type FixtureProbe = Probe | (ProbeTiming & { type: 'tcp'; port: '{port}'; host?: string });

/**
 * A process spec for a fixture. `name` is optional (default: the script it runs, `node server.js`
 * → `server`, else the program's name; made unique with `-2`, `-3`… when taken). With `port`, the
 * text `{port}` is replaced by the port in `command`, `args`, `env` values and probes (an http
 * probe's `url`, a tcp probe's `port: '{port}'`, an exec probe's `command` and `args`), and `PORT`
 * is set unless `env` sets it. Unless the spec says otherwise, a fixture is not restarted when it
 * exits (`restart: 'never'`): a crash under test shows, it is not papered over, and the fixture
 * stays readable (`handle.state` is `exited`, `logs()` holds its output) until its stop.
 */
export interface FixtureSpec extends Omit<ProcessSpec, 'name' | 'instances' | 'readiness' | 'liveness'> {
  /** Unique name among this test process's fixtures. */
  name?: string;
  /**
   * `'auto'`: a free port on 127.0.0.1, claimed so that no other test worker (or concurrent run)
   * gets it while this fixture lives. A number: that port, as is.
   */
  port?: 'auto' | number;
  /** When the fixture counts as started; `startFixture()` resolves then. */
  readiness?: FixtureProbe;
  /** Periodic liveness checks. */
  liveness?: FixtureProbe | FixtureProbe[];
}

/** A running fixture process. */
export interface Fixture<ReadyData = unknown, Port extends number | undefined = number | undefined> extends AsyncDisposable {
  /** Its name (unique among this test process's fixtures). */
  readonly name: string;
  /** PID of its current process (after `stop()`, of the last one). */
  readonly pid: number;
  /** Its port: `undefined` when the spec has no `port`. */
  readonly port: Port;
  /** `http://127.0.0.1:<port>` when it has a port. */
  readonly url: Port extends number ? string : string | undefined;
  /** The underlying handle: state, health, output streams, IPC. */
  readonly handle: Handle<ReadyData>;
  /** The last `n` output lines (all kept lines without `n`), stdout and stderr interleaved. */
  logs(n?: number): OutputLine[];
  /** Stops it (its whole tree) and releases its port and name. Idempotent. */
  stop(): Promise<void>;
  /** Stops and starts it again, on the same port; resolves when it is ready. */
  restart(options?: WaitOptions): Promise<void>;
  /** `await using api = await startFixture(…)` stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The fixture `startFixture(spec)` resolves with, typed from the spec: its ready data and whether it has a port. */
export type FixtureOf<S> = Fixture<ReadyDataOf<S>, S extends { port: 'auto' | number } ? number : undefined>;

/** Options of `reapLeftovers()`. */
export interface ReapOptions {
  /** A directory of the project whose leftovers to reap (its nearest `package.json`). Default the working directory. */
  cwd?: string;
}
