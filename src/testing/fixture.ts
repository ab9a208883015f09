/**
 * `startFixture()`: a process started for tests, on one manager shared by every fixture of this
 * test process. That manager never keeps the event loop alive (`keepAlive: false`): a test file
 * that forgot a fixture still ends, and the exit hook and the reaper take the fixture with it.
 */
import type { Handle } from '../api/handle.js';
import type { OutputLine, WaitOptions } from '../api/types.js';
import { observeForks, ProcessManager } from '../manager.js';
import { forgetLedger, recordFork } from './ledger.js';
import { allocatePort, checkPortFree, type PortLease } from './ports.js';
import { checkFixtureSpec, defaultName, toProcessSpec } from './spec.js';
import type { Fixture, FixtureOf, FixtureSpec } from './types.js';

/** One forked incarnation of a fixture, for `assertNoLeaks()`. */
export interface ForkRecord {
  readonly pid: number;
  readonly starttime: number | undefined;
  readonly cookie: string | undefined;
  /** The fixture's name, known from the `spawn` event that follows the fork. */
  fixture: string;
}

/** Every incarnation forked through here, in order. */
export const forks: ForkRecord[] = [];
/** Fixtures started and not stopped. */
export const live = new Set<FixtureImpl>();
/** Stops under way (`assertNoLeaks()` waits for them). */
export const stopping = new Set<Promise<void>>();

let shared: ProcessManager | undefined;

/** The manager of every fixture of this test process, created on first use. */
function manager(): ProcessManager {
  if (shared) return shared;
  // `never`: an exited fixture is not restarted (a crash under test shows) and stays registered,
  // its state, exit and output readable, until its stop.
  const pm = new ProcessManager({ keepAlive: false, restart: 'never' });
  observeForks(pm, ({ pid, starttime, cookie }) => {
    recordFork(pid, starttime, cookie);
    forks.push({ pid, starttime, cookie, fixture: '' });
  });
  pm.on('spawn', ({ name, pid }) => {
    for (let i = forks.length - 1; i >= 0; i--) {
      const record = forks[i] as ForkRecord;
      if (record.pid === pid && record.fixture === '') {
        record.fixture = name;
        break;
      }
    }
  });
  shared = pm;
  return pm;
}

/** Once no fixture runs, this process's ledger names nothing worth reaping: it goes. */
function forgetLedgerWhenIdle(): void {
  if (live.size === 0) forgetLedger();
}

/** A name no live fixture has: `api`, then `api-2`, `api-3`… */
function uniqueName(pm: ProcessManager, wanted: string): string {
  if (!pm.get(wanted)) return wanted;
  for (let n = 2; ; n++) {
    const name = `${wanted}-${n}`;
    if (!pm.get(name)) return name;
  }
}

class FixtureImpl implements Fixture<unknown, number | undefined> {
  readonly name: string;
  readonly port: number | undefined;
  readonly url: string | undefined;
  readonly handle: Handle<unknown>;
  #lastPid: number;
  #stopped: Promise<void> | undefined;
  readonly #pm: ProcessManager;
  readonly #lease: PortLease | undefined;

  constructor(pm: ProcessManager, handle: Handle<unknown>, port: number | undefined, lease: PortLease | undefined) {
    this.#pm = pm;
    this.handle = handle;
    this.name = handle.name;
    this.port = port;
    this.url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
    this.#lease = lease;
    this.#lastPid = handle.pid ?? 0;
  }

  get pid(): number {
    const pid = this.handle.pid;
    if (pid !== undefined) this.#lastPid = pid;
    return this.#lastPid;
  }

  logs(n?: number): OutputLine[] {
    return this.handle.logs(n);
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      void this.pid;
      live.delete(this);
      try {
        // Gone already when the spec chose `temporary` and it exited: its tree went with it.
        if (this.#pm.get(this.name)) await this.#pm.remove(this.name);
      } finally {
        this.#lease?.release();
        forgetLedgerWhenIdle();
      }
    })();
    const done = this.#stopped;
    stopping.add(done);
    const forget = (): void => void stopping.delete(done);
    done.then(forget, forget);
    return done;
  }

  async restart(options?: WaitOptions): Promise<void> {
    await this.handle.restart(options);
    void this.pid;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  toJSON(): object {
    return { name: this.name, pid: this.pid, port: this.port, url: this.url };
  }
}

/**
 * Starts a fixture process and resolves once it is ready (by its readiness probe; without one,
 * once spawned). With `port: 'auto'` a free port is claimed for it first (see {@link FixtureSpec}).
 * When it is not ready in time, or exits while starting, it is stopped and the start rejects with
 * the manager's `StartFailedError`, whose message holds the probe's last result and the fixture's
 * last output lines. `options` bound the wait as in `ProcessManager.start()`.
 *
 * ```ts
 * await using api = await startFixture({
 *   command: 'node', args: ['server.js', '--port', '{port}'], port: 'auto',
 *   readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' },
 * });
 * await fetch(`${api.url}/users`);
 * ```
 * @throws InvalidSpecError, PortUnavailableError, SpawnFailedError, StartFailedError, TimeoutError
 */
export async function startFixture<const S extends FixtureSpec>(spec: S, options?: WaitOptions): Promise<FixtureOf<S>> {
  const portRequest = checkFixtureSpec(spec);
  const pm = manager();
  if (typeof portRequest === 'number') await checkPortFree(portRequest);
  const lease = portRequest === 'auto' ? await allocatePort() : undefined;
  const port = lease?.port ?? (portRequest === 'auto' ? undefined : portRequest);
  const name = uniqueName(pm, spec.name ?? defaultName(spec));
  let added = false;
  try {
    const processSpec = toProcessSpec(spec, name, port);
    pm.add(processSpec);
    added = true;
    const handle = await pm.start(name, options);
    const fixture = new FixtureImpl(pm, handle, port, lease);
    live.add(fixture);
    return fixture as unknown as FixtureOf<S>;
  } catch (error) {
    // A failed start leaves nothing: no process (the manager stopped it), no name, no port claim.
    if (added) await pm.remove(name).catch(() => {});
    lease?.release();
    throw error;
  }
}
