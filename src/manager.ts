/**
 * ProcessManager: the registry of named children and the public entry to everything. Each
 * top-level entry runs under a supervisor of its own, so entries never wait on each other and the
 * manager never gives up as a whole
 * (https://github.com/procvisor/procvisor/blob/main/docs/semantics.md#restart-intensity). The
 * manager turns names into records and reads them; it never writes a record: every change goes to
 * the supervisor that holds the child.
 */
import { nodeModule } from './util/builtins.js';
import { TUNING } from './api/tuning.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, ShutdownError, InvalidStateError, TimeoutError } from './api/errors.js';
import type { EventName, EventPayload, ProcvisorEvents } from './api/events.js';
import type { Handle } from './api/handle.js';
import type { PipeOutputOptions, RunAllOptions, RunAllResult } from './api/runner.js';
import type {
  AddOptions,
  ChildSpec,
  JobResult,
  JobSnapshot,
  JobSpec,
  ManagerOptions,
  ReloadOptions,
  ReadyDataOf,
  RunOptions,
  ShutdownOptions,
  Snapshot,
  StartOptions,
  State,
  UsageStats,
  WaitOptions,
} from './api/types.js';
import { ChildHandle, type HandleOwner } from './handle.js';
import { onHostSignals } from './host/signals.js';
import { resolveJobSpec } from './jobs/resolve.js';
import { JobRunner } from './jobs/runner.js';
import { SweepBatch, sweepsSettled, type TreeOrigin } from './os/cookie.js';
import { WalkBurst } from './os/tree.js';
import { getReaper } from './os/reaper/client.js';
import { IncarnationAttachments } from './process/attachments.js';
import { ProcessWorker, type WorkerHost } from './process/worker.js';
import { ResourceMonitor } from './resources/monitor.js';
import { pipeOutput } from './runner/pipe-output.js';
import { runAll } from './runner/run-all.js';
import { checkName, checkPlacement, checkStart, checkState, checkUsageWindow, checkWait } from './spec/arguments.js';
import { entrySpec, expandInstances } from './spec/instances.js';
import { MAX_INSTANCES } from './spec/resolve.js';
import { resolveChildSpec, resolveManagerOptions, type ResolvedManagerOptions } from './spec/resolve.js';
import type { ResolvedChildSpec, ResolvedProcessSpec } from './spec/resolved.js';
import { RestartBudget } from './supervisor/budget.js';
import { listChildren } from './supervisor/list.js';
import { createRecord, type ChildNode, type ChildRecord } from './supervisor/record.js';
import { Supervisor, type SupervisorHost } from './supervisor/supervisor.js';
import { LoopHold } from './util/loop-hold.js';
import { NONE } from './util/none.js';
import { checkReload, isInstanceGroup, replicaSpec } from './lifecycle/scale.js';
import { reload, type ReloadHost, type ReloadMember, type SurgeHandle } from './lifecycle/reload.js';
import { SocketRegistry } from './sockets/registry.js';
import { createWatcher, type Watcher } from './watch/watcher.js';

/**
 * eventemitter3 through require, not an ESM import: it is CommonJS, and Node's ESM wrapper of a
 * CommonJS module (parsing it for its exports) was the largest single cost of importing procvisor.
 * The class is the same, so `instanceof` a user's own eventemitter3 still holds.
 */
const { EventEmitter } = nodeModule().createRequire(import.meta.url)('eventemitter3') as typeof import('eventemitter3');

/** A process the manager has just forked, as the reaper is told of it. */
export interface ForkedProcess {
  readonly pid: number;
  /** Kernel start time (Linux), which names the process for ever with its pid. */
  readonly starttime: number | undefined;
  /** The tree cookie every descendant inherits (`PROCVISOR_TREE`). */
  readonly cookie: string | undefined;
}

const forkObservers = new WeakMap<ProcessManager, (forked: ForkedProcess) => void>();

/**
 * Internal (not exported by the package's main entry): calls `observer` synchronously the moment
 * `pm` forks a process, before anything else can happen to it — for `procvisor/testing`, whose
 * ledger must name a fixture's tree before the host can die. Managers with `orphans: 'keep'` report
 * nothing: their children are meant to outlive the host.
 */
export function observeForks(pm: ProcessManager, observer: (forked: ForkedProcess) => void): void {
  forkObservers.set(pm, observer);
}

/** Where a child sits: its record and the supervisor that holds it. */
interface Entry {
  readonly record: ChildRecord;
  readonly parent: Supervisor;
}

/**
 * Supervises named OS processes and supervision trees.
 *
 * ```ts
 * const pm = new ProcessManager();
 * try {
 *   const api = await pm.start({ name: 'api', command: 'node', args: ['server.js'] });
 *   pm.on('exit', (e) => console.log(e.name, e.class, e.willRestart));
 * } finally {
 *   await pm.shutdown();
 * }
 * ```
 */
export class ProcessManager extends EventEmitter<ProcvisorEvents> {
  private readonly options: ResolvedManagerOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly handles = new Map<ChildRecord, ChildHandle>();
  private readonly waiters = new Map<ChildRecord, Set<() => void>>();
  /** The supervisors of the top-level entries, in start order (they stop in reverse). */
  private readonly tops: Supervisor[] = [];
  private readonly attachments: IncarnationAttachments;
  private readonly resources: ResourceMonitor;
  private readonly jobRunner: JobRunner;
  private readonly watchers = new Map<ChildNode, Watcher>();
  private readonly owner: HandleOwner;
  private readonly host: SupervisorHost;
  private readonly workerHost: WorkerHost;
  /** The `restartBudget` every supervisor of this manager shares; undefined when off. */
  private readonly budget: RestartBudget | undefined;
  private closing: Promise<void> | undefined;
  /** During a shutdown: the cookies of the trees it stopped, swept in one pass at its end. */
  private finalSweep: SweepBatch | undefined;
  /** While a shutdown issues its top-level stops: their walks' shared scan (os/tree.ts). */
  private walkBurst: WalkBurst | undefined;
  private unsubscribeSignals: (() => void) | undefined;
  /** With `keepAlive: false`, holds the event loop while a call is pending. */
  private readonly loop: LoopHold;
  /** The listening sockets of specs with `sockets`, open while one of their processes is registered. */
  private readonly sockets = new SocketRegistry();

  /**
   * @param options defaults for every child and manager-wide settings; validated at once.
   * @throws InvalidArgumentError when an option is invalid.
   */
  constructor(options?: ManagerOptions) {
    super();
    this.options = resolveManagerOptions(options);
    this.loop = new LoopHold(!this.options.keepAlive);
    const { clock } = this.options;
    const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => this.publish(event, payload);
    this.resources = new ResourceMonitor(this.options.sampling, {
      emit,
      clock,
      fault: (error) => emit('error', { name: '', time: clock.now(), path: [], error }),
    });
    this.attachments = new IncarnationAttachments(emit, clock, this.resources);
    const reaper = this.options.orphans === 'kill' ? getReaper() : undefined;
    this.workerHost = {
      clock,
      emit,
      listens: (event) => this.listenerCount(event) > 0,
      polledReadiness: this.attachments.polledReadiness,
      attachments: this.attachments,
      deferSweep: (cookie: string, origin: TreeOrigin | undefined) => this.finalSweep?.defer(cookie, origin) ?? false,
      walkBurst: () => this.walkBurst,
      keepAlive: this.options.keepAlive,
      cgroups: this.options.cgroups,
      launchExtras: (name: string) => this.sockets.launchExtras(name),
      ...(reaper
        ? {
            track: (pid: number, starttime: number | undefined, cookie?: string) => {
              reaper.track(pid, starttime, cookie);
              forkObservers.get(this)?.({ pid, starttime, cookie });
            },
            untrack: (pid: number, exited?: boolean) => reaper.untrack(pid, exited),
          }
        : {}),
    };
    // Every event about a job says so (`job: true`), so a listener tells it from a service's.
    const jobEmit = <E extends EventName>(event: E, payload: EventPayload<E>): void => this.publish(event, { ...payload, job: true });
    this.jobRunner = new JobRunner({ host: { ...this.workerHost, emit: jobEmit }, defaults: this.options.defaults, maxConcurrentJobs: this.options.maxConcurrentJobs });
    this.budget = this.options.restartBudget === false ? undefined : new RestartBudget(this.options.restartBudget, clock);
    this.host = {
      clock,
      emit,
      budget: this.budget,
      changed: (record) => this.notify(record),
      createRecord: (spec, parent, dynamic) => this.createRecord(spec, parent, dynamic),
      forget: (record) => this.forget(record),
      reload: (name) => {
        this.reload(name).catch(() => {
          // Reported as `reload-failed` (or, for a start, `start-failed`).
        });
      },
    };
    this.owner = {
      parentOf: (record) => {
        const parent = this.entries.get(record.child.name)?.parent;
        return parent && !parent.topLevel ? parent.name : undefined;
      },
      // Every failure through the promise: a removed child's handle rejects, it does not throw.
      stop: async (record) => this.stop(this.nameOf(record)),
      restart: async (record, options) => this.restart(this.nameOf(record), options as WaitOptions),
      waitFor: (record, state, opts) => this.waitForRecord(record, state, opts),
      send: (record, message) => this.attachments.send(this.processOf(record), message),
      request: (record, message, options) => {
        try {
          const { timeout, signal } = checkWait('request()', options);
          const given = (options as { timeout?: unknown } | undefined)?.timeout !== undefined;
          return this.loop.hold(this.attachments.request(this.processOf(record), message, given ? timeout : undefined, signal));
        } catch (error) {
          return Promise.reject(error);
        }
      },
      usage: (record) => (record.child.kind === 'process' ? this.resources.usage(record.child) : undefined),
      usageStats: (record, options) => this.usageStats(record, checkUsageWindow(options)),
    };
    if (this.options.handleSignals) {
      this.unsubscribeSignals = onHostSignals({ shutdown: () => this.shutdown(), kill: () => this.killAll() });
    }
  }

  /**
   * Emits an event to the user's listeners. A listener that throws must not leave a supervisor
   * half-way through a change: its error is thrown again on the next tick, where it surfaces as
   * the uncaught exception it is (as with any EventEmitter whose listener throws from I/O).
   */
  private publish<E extends EventName>(event: E, payload: EventPayload<E>): void {
    try {
      (this.emit as (event: E, payload: EventPayload<E>) => boolean)(event, payload);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private createRecord(spec: ResolvedChildSpec, parent: Supervisor, dynamic: boolean): ChildRecord {
    if (this.entries.has(spec.name)) throw new AlreadyExistsError(spec.name);
    const path = parent.path.concat(spec.name);
    const child: ChildNode = spec.kind === 'process' ? new ProcessWorker(spec, path, this.workerHost) : new Supervisor(spec, path, this.host);
    const record = createRecord(child, dynamic);
    this.entries.set(spec.name, { record, parent });
    if (child.kind === 'process' && spec.kind === 'process' && spec.watch) this.watch(child, spec.watch, spec.cwd);
    return record;
  }

  /**
   * Restarts (or, with `action: 'reload'`, reloads) a process when its watched files change. A
   * restart for a file change is a manual restart, not a crash: it never counts toward intensity.
   * A process stopped by hand stays stopped.
   */
  private watch(worker: ProcessWorker, spec: NonNullable<ProcessWorker['spec']['watch']>, cwd: string | undefined): void {
    const { clock } = this.options;
    const watcher = createWatcher(
      spec,
      cwd,
      (paths) => {
        const record = this.entries.get(worker.name)?.record;
        if (this.closing || record?.child !== worker) return;
        this.publish('watch', { name: worker.name, time: clock.now(), path: worker.path, paths, ...(worker.pid ? { pid: worker.pid } : {}) });
        if (record.state === 'stopped' || record.state === 'stopping' || record.state === 'idle') return;
        const change = spec.action === 'reload' && record.state === 'running' ? this.reload(worker.name) : this.restart(worker.name);
        change.catch(() => {
          // A failed start is already a state and an event (`start-failed`, or `reload-failed`).
        });
      },
      { clock, onError: (error) => this.publish('warning', { name: worker.name, time: clock.now(), path: worker.path, message: `watch: ${error.message}` }) },
    );
    this.watchers.set(worker, watcher);
  }

  private forget(record: ChildRecord): void {
    const { child } = record;
    const watcher = this.watchers.get(child);
    if (watcher) {
      this.watchers.delete(child);
      void watcher.close();
    }
    if (child.kind === 'supervisor') for (const nested of child.children) this.forget(nested);
    const entry = this.entries.get(child.name);
    if (entry?.record === record) {
      this.entries.delete(child.name);
      if (entry.parent.topLevel) this.tops.splice(this.tops.indexOf(entry.parent), 1);
    }
    if (child.kind === 'process') this.sockets.release(child.name, this.entries.keys());
    this.handles.delete(record);
    this.notify(record);
  }

  private notify(record: ChildRecord): void {
    const waiting = this.waiters.get(record);
    if (waiting) for (const check of [...waiting]) check();
  }

  private entry(method: string, name: unknown): Entry {
    const entry = this.entries.get(checkName(method, name));
    if (!entry) throw new NotFoundError(name as string);
    return entry;
  }

  /** The name of a record still registered; a handle of a removed child cannot act any more. */
  private nameOf(record: ChildRecord): string {
    const name = record.child.name;
    if (this.entries.get(name)?.record !== record) throw new NotFoundError(name);
    return name;
  }

  /** The process of a record still registered (IPC goes to live children only). */
  private processOf(record: ChildRecord): ProcessWorker {
    this.nameOf(record);
    const child = record.child;
    if (child.kind !== 'process') throw new InvalidStateError(`\`${child.name}\` is a supervisor, not a process`);
    return child;
  }

  private handleOf(record: ChildRecord): ChildHandle {
    let handle = this.handles.get(record);
    if (!handle) this.handles.set(record, (handle = new ChildHandle(record, this.owner)));
    return handle;
  }

  private usageStats(record: ChildRecord, windowMs: number | undefined): UsageStats {
    const history = record.child.kind === 'process' ? this.resources.history(record.child) : undefined;
    return { samples: history?.toArray() ?? [], average: history?.average(windowMs), peak: history?.peak(windowMs) };
  }

  private assertOpen(): void {
    if (this.closing) throw new ShutdownError();
  }

  /** Every name a spec (and its subtree) would register. */
  private static namesOf(spec: ResolvedChildSpec): string[] {
    return spec.kind === 'process' ? [spec.name] : [spec.name, ...spec.children.flatMap((c) => ProcessManager.namesOf(c))];
  }

  /**
   * Validates and registers a child without starting it. With `parent`, adds it to that supervisor.
   * @throws InvalidSpecError (the spec), InvalidArgumentError (the options), AlreadyExistsError, NotFoundError, ShutdownError
   */
  add<const S extends ChildSpec>(spec: S, opts: AddOptions = {}): Handle<ReadyDataOf<S>> {
    this.assertOpen();
    const { parent: parentName } = checkPlacement('add()', opts);
    const parent = parentName === undefined ? undefined : this.supervisorNamed('add()', parentName);
    const resolved = expandInstances(resolveChildSpec(spec, this.options.defaults, '', parent ? { parentAutoShutdown: parent.spec.autoShutdown } : {}));
    for (const name of ProcessManager.namesOf(resolved)) {
      const known = this.entries.get(name)?.record;
      if (known) throw new AlreadyExistsError(name, known.state === 'running' ? 'already started' : 'already present');
    }
    // Opened before anything is registered: a port in use fails the add, and nothing is left.
    const opened = this.sockets.open(resolved);
    let record: ChildRecord;
    try {
      if (parent) {
        record = parent.add(resolved);
      } else {
        const top = new Supervisor(entrySpec(resolved), NONE, this.host, true);
        this.tops.push(top);
        record = top.children[0] as ChildRecord;
      }
    } catch (error) {
      this.sockets.discard(opened);
      throw error;
    }
    return this.handleOf(record) as Handle<ReadyDataOf<S>>;
  }

  private supervisorNamed(method: string, name: string): Supervisor {
    const { record } = this.entry(method, name);
    if (record.child.kind !== 'supervisor') throw new InvalidStateError(`\`${name}\` is not a supervisor`);
    return record.child;
  }

  /**
   * Starts a child — a spec (registered first) or the name of a registered one — and resolves once
   * it is started: spawned and ready by its readiness probe (without one, once spawned); for a tree,
   * every child started in order. With `timeout` or `signal`, a start that has not finished by then
   * is abandoned: the child is stopped and the start rejects with a TimeoutError or the signal's
   * reason.
   * @throws InvalidSpecError, InvalidArgumentError, SpawnFailedError, StartFailedError, AlreadyExistsError, NotFoundError, ShutdownError, TimeoutError
   */
  start<const S extends ChildSpec>(spec: S, opts?: StartOptions): Promise<Handle<ReadyDataOf<S>>>;
  start(name: string, opts?: WaitOptions): Promise<Handle>;
  // Not `async`: `startNow` is, so nothing throws from here, and a second promise resolved with
  // the first would be one more object held by each of a thousand starts in flight.
  start(specOrName: ChildSpec | string, opts: StartOptions = {}): Promise<Handle> {
    return this.loop.hold(this.startNow(specOrName, opts));
  }

  private async startNow(specOrName: ChildSpec | string, opts: StartOptions): Promise<Handle> {
    this.assertOpen();
    const { parent: parentName, timeout, signal } = checkStart(opts);
    // Already aborted: nothing is registered or started.
    signal?.throwIfAborted();
    if (typeof specOrName === 'string' && parentName !== undefined) {
      throw new InvalidArgumentError('parent', parentName, `Invalid arguments of \`start()\`: \`parent\` places a new spec; \`${specOrName}\` is registered already, under its own parent — drop \`parent\``);
    }
    const handle =
      typeof specOrName === 'string' ? this.handleOf(this.entry('start()', specOrName).record) : this.add(specOrName, parentName === undefined ? {} : { parent: parentName });
    const { record, parent } = this.entry('start()', handle.name);
    // Top-level entries stop in reverse order of their starts.
    if (parent.topLevel) this.tops.push(...this.tops.splice(this.tops.indexOf(parent), 1));
    await this.bounded(parent.startChild(record), timeout, signal, async () => {
      const state = record.state;
      await this.stop(handle.name).catch(() => {});
      return new TimeoutError(`\`${handle.name}\` was not started within ${timeout} ms (it was \`${state}\`), so its start was abandoned and it was stopped`);
    });
    return handle;
  }

  /**
   * Waits for `work` at most `timeout` ms on the manager's clock, or until `signal` aborts; either
   * way `abandon` runs (it undoes what the work was doing) and, once it is done, the wait rejects
   * with its error or the signal's reason. The work's own rejection, once abandoned, is expected
   * and absorbed.
   */
  private bounded<T>(work: Promise<T>, timeout: number, signal: AbortSignal | undefined, abandon: () => Promise<Error>): Promise<T> {
    if (timeout === Infinity && !signal) return work;
    const { clock } = this.options;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        if (timer !== undefined) clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const giveUp = (reason: () => unknown): void => {
        if (!finish()) return;
        work.catch(() => {});
        void abandon().then((error) => reject(reason() ?? error));
      };
      const onAbort = (): void => giveUp(() => signal?.reason as unknown);
      const timer = timeout === Infinity ? undefined : clock.setTimeout(() => giveUp(() => undefined), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          if (finish()) resolve(value);
        },
        (error: unknown) => {
          if (finish()) reject(error);
        },
      );
    });
  }

  /**
   * Runs a one-shot job to completion: retried up to `retries` times; each attempt stopped by the
   * ladder after the spec's `timeout`, the whole run after the options' `timeout`, everything when
   * `signal` aborts. Resolves with a JobResult in every case but invalid input. At most
   * `maxConcurrentJobs` run at once; more wait in FIFO order (a `job-queued` event, `jobs()`).
   * @throws InvalidSpecError (the spec), InvalidArgumentError (the options), both before anything spawns; ShutdownError
   */
  async run(job: JobSpec, opts: RunOptions = {}): Promise<JobResult> {
    this.assertOpen();
    return this.loop.hold(this.jobRunner.run(job, opts));
  }

  /**
   * The jobs run by `run()` that have not finished: waiting for a `maxConcurrentJobs` slot
   * (`queued`, also told by a `job-queued` event), running an attempt, or waiting to retry.
   */
  jobs(): JobSnapshot[] {
    return this.jobRunner.list();
  }

  /**
   * Writes every process's output lines — the `output` events, jobs included — to `stream`, one
   * line each, until the returned function is called (idempotent). A line is
   * `[time ]PREFIX M PAD TEXT`: `time` (with `timestamps`) is the event's `HH:MM:SS.mmm` local
   * time; `PREFIX` is the `prefix` template (default `'[{name}]'`) filled with `{name}`, `{pid}`,
   * `{index}` (order of first sight; the `names` given come first, in order) and `{time}`; `M` is the
   * stderr marker column, `!` on a stderr line and a space on a stdout one; `PAD` pads the prefix to
   * the longest one seen so far (the prefixes of `names` count from the start), so the text aligns.
   * `prefix: ''` writes raw text: no prefix, marker or padding. With colour (`color`, default
   * `'auto'`: `FORCE_COLOR` set and not `'0'`/`'false'`, or else `NO_COLOR` unset or empty and
   * `stream.isTTY`), the prefix takes its process's colour from a fixed palette (by index, cycling;
   * no red), the stderr marker is bold red and the time dim; the process's own text is never
   * touched. A partial line (`partial: true`: output that did not end its line in time) is written
   * as a line of its own. With `names`, only those processes are written (names not registered
   * yet included). A stream that errors, ends or is destroyed detaches the pipe at once; its error
   * never reaches the host. Writes do not wait for a slow stream (output events cannot be paused).
   * @returns the function that detaches the pipe.
   * @throws InvalidArgumentError for a stream without `write`/`on`/`off`, or bad options (the field named).
   */
  pipeOutput(stream: NodeJS.WritableStream, options?: PipeOutputOptions): () => void {
    return pipeOutput(this, stream, options);
  }

  /**
   * Runs `specs` side by side as jobs (each one `run()`: its process group, whole-tree stop,
   * masking, its own `timeout`) and resolves once every one has ended, with concurrently's rules:
   *
   * - **Limit**: at most `maxConcurrent` commands (default `Infinity`) run at once; the others wait
   *   and start in the order of `specs`. A command keeps its place through its restarts. That is
   *   the only limit: the commands are jobs of this manager (listed by `jobs()`, ended by a
   *   shutdown) but take none of its `maxConcurrentJobs` slots, so ten servers run side by side
   *   under the default of 4.
   * - **Restarts**: a command that fails (or outlives its spec's `timeout`) is run again up to
   *   `restartTries` times (default 0), `restartDelay` after each failure (default 0): they fill the
   *   spec's `retries` and `retryBackoff` (`{ type: 'fixed', delay }`), each when the spec has none. A command
   *   stopped by the group is not restarted. Only its final end counts below.
   * - **Outcome** of a command: success when its job ends `succeeded` (exit 0 or another of its
   *   `successExitCodes`), failure otherwise; one stopped by the group counts by its exit code (a
   *   process that exits 0 on SIGTERM succeeded, one ended by the signal failed).
   * - **killOthersOn**: when a command ends by itself with an outcome listed (`'failure'`,
   *   `'success'`), every other running command is stopped by its termination ladder (the spec's
   *   `shutdown`, SIGTERM then SIGKILL after 5 s by default), a command waiting to restart does not
   *   restart, and those not started are cancelled; all of them get `killed: true`.
   * - **success** (default `'all'`), judged over the commands that started, in the order they ended
   *   (never-started ones are left out; with none started the run succeeds): `'all'` every one
   *   succeeded; `'first'`/`'last'` the first/last to end succeeded; `'command-X'` every command
   *   named X, or with index X, started and succeeded; `'!command-X'` every other one succeeded.
   *   A `command-X` that names no command is an `InvalidArgumentError` listing the commands.
   * - **Result**: `ok` and `exitCode` 0 when the rule holds; otherwise `exitCode` is the exit code of
   *   the command the rule blames (`'all'`: the first failure to end; `'first'`/`'last'`: that
   *   command; `command-X`: the first of those to fail), or 1 when it has none (ended by a signal,
   *   never started). `results` has one entry per spec, in order.
   * - **signal / timeout** bound the whole group: aborting `signal`, or `timeout` (from the call, on
   *   the manager's clock) running out, stops every command as kill-others does; those commands end
   *   `cancelled` (signal) or `timed-out` with a `TimeoutError` (timeout), and the run is not `ok`
   *   (exitCode 1 unless the rule blames a command). A shutdown of the manager cancels the group
   *   the same way (`ShutdownError` in each cut command's `error`).
   *
   * Deliberate differences from concurrently: `exitCode` is the blamed command's code, not always 1;
   * `successExitCodes` count as success; a command stopped by kill-others is never restarted (in
   * concurrently a killed command with restarts left starts again), and neither is one waiting to
   * restart; a restarting command keeps its `maxConcurrent` place (concurrently starts the next one
   * at every exit, restarts included); `success` naming no command is an error up front; a cut-short
   * run is never `ok` (concurrently counts Ctrl-C as success); `maxConcurrent` takes no `'50%'`,
   * `restartTries` no negative "for ever", `restartDelay` no `'exponential'` (give the spec a
   * `retryBackoff` instead); the kill signal and timeout are each spec's `shutdown`.
   * @throws InvalidSpecError (a spec), InvalidArgumentError (the options, or `specs` not an array): all before anything spawns; ShutdownError
   */
  async runAll(specs: readonly JobSpec[], options?: RunAllOptions): Promise<RunAllResult> {
    this.assertOpen();
    const host = {
      // runAll's maxConcurrent is the only limit of its commands: they take no maxConcurrentJobs slot.
      run: (job: JobSpec, opts: RunOptions) => {
        this.assertOpen();
        return this.jobRunner.run(job, opts, true);
      },
      validate: (job: JobSpec) => void resolveJobSpec(job, this.options.defaults),
      clock: this.options.clock,
    };
    return this.loop.hold(runAll(host, specs, options));
  }

  /** Stops a child by its termination ladder. It keeps its spec and is not restarted. Idempotent. */
  async stop(name: string): Promise<void> {
    const { record, parent } = this.entry('stop()', name);
    await this.loop.hold(parent.stopChild(record));
  }

  /**
   * Stops (if needed) and starts a child again; revives a `failed` entry. `timeout` and `signal`
   * bound the start as in {@link start}.
   */
  async restart(name: string, opts: WaitOptions = {}): Promise<Handle> {
    this.assertOpen();
    checkWait('restart()', opts);
    await this.stop(name);
    return this.start(name, opts);
  }

  /**
   * Replaces the processes of an entry with new incarnations without a moment in which none
   * serves (a deploy): a process, or each replica of an instance group in order. With `maxSurge`
   * (default 1) a surge copy of each (`<name>#surge`, same spec and sockets) starts and gets ready
   * first, then the process is restarted, then the copy goes; a copy that does not get ready is
   * removed and the process keeps running its old incarnation (rollback, `reload-failed`), and the
   * reload rejects. `maxSurge: 0` with `maxUnavailable` restarts in place, that many at a time.
   * Zero downtime needs the processes to share their listening socket (`sockets`). `timeout` and
   * `signal` bound the whole reload (what runs then stays as it is). Events: `reload` per process.
   * @throws InvalidArgumentError, NotFoundError, InvalidStateError (a supervisor tree), StartFailedError, SpawnFailedError, TimeoutError
   */
  async reload(name: string, opts: ReloadOptions = {}): Promise<void> {
    this.assertOpen();
    const plan = checkReload(opts);
    const { timeout, signal } = checkWait('reload()', { timeout: opts.timeout, signal: opts.signal });
    signal?.throwIfAborted();
    const host: ReloadHost = {
      members: (entry) => this.reloadMembers(entry),
      startSurge: (spec) => this.startSurge(spec),
      reloaded: (member, pid, surge) => this.publish('reload', { name: member, time: this.options.clock.now(), path: this.pathOf(member), surge, ...(pid === undefined ? {} : { pid }) }),
      failed: (member, error, rolledBack) => this.publish('reload-failed', { name: member, time: this.options.clock.now(), path: this.pathOf(member), error, rolledBack }),
    };
    await this.loop.hold(this.bounded(reload(host, name, plan), timeout, signal, () => Promise.resolve(new TimeoutError(`The reload of \`${name}\` did not finish within ${timeout} ms`))));
  }

  /** The processes a reload of `name` replaces: the process itself, or the replicas of an instance group. */
  private reloadMembers(name: string): ReloadMember[] {
    const { record } = this.entry('reload()', name);
    const records = record.child.kind === 'process' ? [record] : isInstanceGroup(record.child) ? [...record.child.children] : undefined;
    if (!records) throw new InvalidStateError(`\`${name}\` is a supervisor tree: reload() replaces a process or the replicas of an instance group — restart() the tree instead`);
    return records.map((member) => ({
      name: member.child.name,
      spec: member.child.spec as ResolvedProcessSpec,
      restart: async () => {
        const handle = await this.restart(member.child.name);
        return { pid: handle.pid };
      },
    }));
  }

  /** A surge copy for a reload: a top-level entry of its own, started and ready, then removable. */
  private async startSurge(spec: ResolvedProcessSpec): Promise<SurgeHandle> {
    if (this.entries.has(spec.name)) throw new AlreadyExistsError(spec.name, 'already present (another reload of it is under way)');
    const top = new Supervisor(entrySpec(spec), NONE, this.host, true);
    this.tops.push(top);
    const record = top.children[0] as ChildRecord;
    const remove = (): Promise<void> => top.removeChild(record);
    try {
      await top.startChild(record);
    } catch (error) {
      await remove();
      throw error;
    }
    return { remove };
  }

  private pathOf(name: string): string[] {
    const record = this.entries.get(name)?.record;
    return record ? [...record.child.path] : [name];
  }

  /**
   * Resizes an instance group (a process spec with `instances`) to `instances` replicas: new ones
   * (`name#N`…, `PROCVISOR_INSTANCE` set to their index) are started in order while the group runs;
   * shrinking stops and removes the highest first. The new size holds across the group's restarts.
   * Emits `scale`.
   * @throws InvalidArgumentError (the count), NotFoundError, InvalidStateError (not an instance group), StartFailedError
   */
  async scale(name: string, instances: number): Promise<void> {
    this.assertOpen();
    const { record } = this.entry('scale()', name);
    if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES) {
      throw new InvalidArgumentError('instances', instances, `Invalid arguments of \`scale()\`: expected \`instances\` to be an integer from 1 to ${MAX_INSTANCES}, got ${String(instances)} — to stop them all, stop('${name}')`);
    }
    if (record.child.kind !== 'supervisor' || !isInstanceGroup(record.child)) {
      throw new InvalidStateError(`\`${name}\` is not an instance group: scale() resizes a process spec with \`instances\``);
    }
    const group = record.child;
    const current = group.spec.children as readonly ResolvedProcessSpec[];
    const template = current[0] as ResolvedProcessSpec;
    const children = Array.from({ length: instances }, (_, i) => current[i] ?? replicaSpec(template, name, i));
    await this.loop.hold(group.resize(children));
    this.publish('scale', { name, time: this.options.clock.now(), path: [...group.path], from: current.length, to: instances });
  }

  /** Stops a child if needed, then unregisters it. */
  async remove(name: string): Promise<void> {
    const { record, parent } = this.entry('remove()', name);
    await this.loop.hold(parent.removeChild(record));
  }

  /** The handle of a registered child. */
  get(name: string): Handle | undefined {
    const record = this.entries.get(checkName('get()', name))?.record;
    return record ? this.handleOf(record) : undefined;
  }

  /** Plain, serialisable snapshots of every process and supervisor, in tree order. */
  list(): Snapshot[] {
    return listChildren(this.tops, (record) => (record.child.kind === 'process' ? this.resources.usage(record.child) : undefined));
  }

  /**
   * Resolves when the named child reaches `state`; rejects with a TimeoutError after `timeout`, with
   * the signal's reason when `signal` aborts, and with a NotFoundError when the child is removed first.
   */
  async waitFor(name: string, state: State, options: WaitOptions = {}): Promise<void> {
    const { record } = this.entry('waitFor()', name);
    return this.waitForRecord(record, state, options);
  }

  private waitForRecord(record: ChildRecord, state: State, options: unknown): Promise<void> {
    try {
      checkState('waitFor()', state);
      const { timeout, signal } = checkWait('waitFor()', options);
      if (record.state === state) return Promise.resolve();
      if (record.removed) return Promise.reject(new NotFoundError(record.child.name));
      signal?.throwIfAborted();
      return this.loop.hold(this.awaitState(record, state, timeout, signal));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private awaitState(record: ChildRecord, state: State, timeout: number, signal: AbortSignal | undefined): Promise<void> {
    const { clock } = this.options;
    const name = record.child.name;
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(record);
      if (!set) this.waiters.set(record, (set = new Set()));
      const waiting = set;
      const done = (): void => {
        waiting.delete(check);
        if (waiting.size === 0) this.waiters.delete(record);
        if (timer !== undefined) clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        if (record.state === state) {
          done();
          resolve();
        } else if (record.removed) {
          done();
          reject(new NotFoundError(name, `\`${name}\` was removed while waiting for \`${state}\` (it ended \`${record.state}\`)`));
        }
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const timer =
        timeout === Infinity
          ? undefined
          : clock.setTimeout(() => {
              done();
              reject(new TimeoutError(`\`${name}\` did not reach \`${state}\` within ${timeout} ms (it is \`${record.state}\`)`));
            }, timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.add(check);
    });
  }

  /**
   * Stops everything and cancels pending restarts and jobs. Top-level entries stop concurrently;
   * inside each supervisor children stop in reverse start order, one at a time. Idempotent. When
   * `timeout` runs out or `signal` aborts, whatever still runs is killed with SIGKILL at once, and
   * the shutdown completes.
   * @throws InvalidArgumentError (as a rejection) for malformed options
   */
  shutdown(opts: ShutdownOptions = {}): Promise<void> {
    if (this.closing) return this.closing;
    let limit: number;
    let signal: AbortSignal | undefined;
    try {
      ({ timeout: limit, signal } = checkWait('shutdown()', opts));
    } catch (error) {
      return Promise.reject(error);
    }
    const { clock } = this.options;
    this.closing = (async () => {
      const tops = [...this.tops].reverse();
      this.finalSweep = new SweepBatch();
      // Nothing starts any more, anywhere: pending restarts and starts in flight end at once.
      for (const top of tops) top.cancel();
      // Top-level entries are independent of each other: they stop concurrently (each signalled in
      // reverse start order, none waiting for another), and the cookie sweeps of stops that end
      // together share one scan. Order inside a supervisor is kept (docs/termination.md). The
      // first walks of the stops issued right here (one per top at most) may share one scan too.
      this.walkBurst = new WalkBurst(tops.filter((top) => top.children.some((r) => r.state === 'running' || r.state === 'starting')).length);
      let stopping: Promise<unknown>;
      try {
        stopping = Promise.all([this.jobRunner.close(), ...tops.map((top) => top.stop())]);
      } finally {
        this.walkBurst.end();
        this.walkBurst = undefined;
      }
      const timer = limit === Infinity ? undefined : clock.setTimeout(() => this.killAll(), limit);
      const kill = (): void => this.killAll();
      if (signal?.aborted) kill();
      else signal?.addEventListener('abort', kill, { once: true });
      try {
        await stopping;
        // One pass for every tree the shutdown stopped (not one per stop: each reads every
        // process created since), then what crashed incarnations left behind: all before
        // shutdown() resolves.
        // It waits for what it SIGKILLed to be gone: nothing runs once shutdown() resolves.
        const stopped = this.finalSweep;
        this.finalSweep = undefined;
        await stopped.run(TUNING.unstoppedGrace);
        await sweepsSettled();
        await Promise.all([...this.watchers.values()].map((w) => w.close()));
      } finally {
        if (timer !== undefined) clock.clearTimeout(timer);
        signal?.removeEventListener('abort', kill);
        this.watchers.clear();
        this.budget?.close();
        this.resources.close();
        this.sockets.closeAll();
        this.unsubscribeSignals?.();
      }
    })();
    return this.loop.hold(this.closing);
  }

  /** SIGKILLs every process tree the manager owns, jobs included, at once. */
  private killAll(): void {
    for (const top of this.tops) top.kill();
    this.jobRunner.kill();
  }

  /**
   * `await using pm = new ProcessManager()` shuts it down at the end of the scope (TypeScript 5.2+,
   * or a runtime with explicit resource management).
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
