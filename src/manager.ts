/**
 * ProcessManager: the registry of named children and the public entry to everything. It owns the
 * root supervisor (SEMANTICS: "the manager's root never gives up") and turns names into nodes.
 */
import { EventEmitter } from 'eventemitter3';
import { AlreadyExistsError, NotFoundError, ValidationError, ShutdownError, StateError, TimeoutError } from './api/errors.js';
import type { EventName, EventPayload, ProcvisorEvents } from './api/events.js';
import { Handle, type HandleOwner } from './handle.js';
import { Extensions } from './process/attachments.js';
import { ResourceMonitor } from './resources/monitor.js';
import { JobRunner, type RunOptions } from './jobs/runner.js';
import { createWatcher, type Watcher } from './watch/watcher.js';
import { ProcessWorker } from './process/worker.js';
import { getReaper } from './os/reaper/client.js';
import { onHostSignals } from './host/signals.js';
import type { ResolvedChildSpec } from './spec/resolved.js';
import { expandInstances, rootSpec } from './spec/instances.js';
import { listChildren } from './supervisor/list.js';
import { resolveChildSpec, resolveManagerOptions, type ResolvedManagerOptions } from './spec/resolve.js';
import type { ChildNode } from './supervisor/slot.js';
import { Supervisor, type SupervisorHost } from './supervisor/supervisor.js';
import type { ChildSpec, Duration, JobResult, JobSpec, ManagerOptions, Snapshot, State } from './api/types.js';
import { parseDuration } from './util/units.js';

/** Where a child sits: its node and the supervisor that holds it. */
interface Entry {
  readonly node: ChildNode;
  readonly parent: Supervisor;
}

/**
 * Supervises named OS processes and supervision trees.
 *
 * ```ts
 * await using pm = new ProcessManager();
 * const api = await pm.start({ name: 'api', command: 'node', args: ['server.js'] });
 * pm.on('exit', (e) => console.log(e.name, e.class, e.willRestart));
 * ```
 */
export class ProcessManager extends EventEmitter<ProcvisorEvents> {
  private readonly options: ResolvedManagerOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly handles = new Map<string, Handle>();
  private readonly waiters = new Map<ChildNode, Set<() => void>>();
  private readonly root: Supervisor;
  private readonly extensions: Extensions;
  private readonly resources: ResourceMonitor;
  private closing: Promise<void> | undefined;
  private readonly jobs: JobRunner;
  private readonly watchers = new Map<ChildNode, Watcher>();
  private readonly owner: HandleOwner;
  private readonly host: SupervisorHost;
  private unsubscribeSignals: (() => void) | undefined;

  /**
   * @param options defaults for every child and manager-wide settings; validated at once.
   * @throws ValidationError when an option is invalid.
   */
  constructor(options?: ManagerOptions) {
    super();
    this.options = resolveManagerOptions(options);
    const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
      (this.emit as (event: E, payload: EventPayload<E>) => boolean)(event, payload);
    };
    this.extensions = new Extensions(emit, this.options.clock);
    this.resources = new ResourceMonitor(this.options.sampling, {
      emit,
      now: () => this.options.clock.now(),
      stop: (name) => void this.stop(name).catch(() => {}),
      fault: (error) => emit('error', { name: '', time: this.options.clock.now(), path: [], error }),
    });
    const reaper = this.options.orphans === 'kill' ? getReaper() : undefined;
    const workerHost = {
      clock: this.options.clock,
      emit,
      polledReadiness: this.extensions.polledReadiness,
      ...(reaper ? { track: (pid: number, starttime: number | undefined, cookie?: string) => reaper.track(pid, starttime, cookie), untrack: (pid: number) => reaper.untrack(pid) } : {}),
      stateChanged: (node: ChildNode) => this.notify(node),
      attach: (worker: ProcessWorker, inc: Parameters<Extensions['attach']>[1]) => {
        this.extensions.attach(worker, inc);
        this.resources.watch(worker, inc);
      },
      onSpawn: this.extensions.onSpawn,
    };
    this.jobs = new JobRunner({ host: workerHost, defaults: this.options.defaults, maxConcurrentJobs: this.options.maxConcurrentJobs });
    this.host = {
      clock: this.options.clock,
      emit,
      stateChanged: (node) => this.notify(node),
      createNode: (spec, parent) => this.createNode(spec, parent, workerHost),
      forget: (node) => this.forget(node),
    };
    this.root = new Supervisor(rootSpec(this.options), [], this.host, true);
    this.owner = {
      nodeOf: (name) => this.entries.get(name)?.node,
      parentOf: (name) => {
        const parent = this.entries.get(name)?.parent;
        return parent && parent !== this.root ? parent.name : undefined;
      },
      stop: (name) => this.stop(name),
      restart: (name) => this.restart(name),
      waitFor: (name, state, timeout) => this.waitFor(name, state, timeout),
      send: (name, message) => this.extensions.send(this.processNamed(name), message),
      request: (name, message, timeout) => this.extensions.request(this.processNamed(name), message, timeout),
      usageStats: (name, windowMs) => {
        const history = this.resources.history(this.processNamed(name));
        return {
          samples: history?.toArray() ?? [],
          average: history?.average(windowMs),
          peak: history?.peak(windowMs),
        };
      },
    };
    if (this.options.handleSignals) this.installSignalHandlers();
  }

  private createNode(spec: ResolvedChildSpec, parent: Supervisor, workerHost: ConstructorParameters<typeof ProcessWorker>[2]): ChildNode {
    if (this.entries.has(spec.name)) throw new AlreadyExistsError(spec.name);
    const path = [...parent.path, spec.name];
    const node: ChildNode =
      spec.kind === 'process' ? new ProcessWorker(spec, path, workerHost) : new Supervisor(spec, path, this.host);
    this.entries.set(spec.name, { node, parent });
    if (node.kind === 'process' && spec.kind === 'process' && spec.watch) this.watch(node, spec.watch, spec.cwd);
    return node;
  }

  /**
   * Restarts a process when its watched files change. A restart for a file change is a manual
   * restart, not a crash: it never counts toward intensity. A process stopped by hand stays stopped.
   */
  private watch(node: ProcessWorker, spec: NonNullable<ProcessWorker['spec']['watch']>, cwd: string | undefined): void {
    const watcher = createWatcher(
      spec,
      cwd,
      (paths) => {
        if (this.closing || this.entries.get(node.name)?.node !== node) return;
        this.emit('watch', { name: node.name, time: this.options.clock.now(), path: node.path, paths, ...(node.pid ? { pid: node.pid } : {}) });
        if (node.state === 'stopped' || node.state === 'stopping' || node.state === 'idle') return;
        this.restart(node.name).catch(() => {
          // A failed start is already a state (`failed`) and a `failed-start` event.
        });
      },
      { onError: (error) => this.emit('warning', { name: node.name, time: this.options.clock.now(), path: node.path, message: `watch: ${error.message}` }) },
    );
    this.watchers.set(node, watcher);
  }

  private forget(node: ChildNode): void {
    const watcher = this.watchers.get(node);
    if (watcher) {
      this.watchers.delete(node);
      void watcher.close();
    }
    if (node.kind === 'supervisor') for (const slot of node.slots) this.forget(slot.node);
    if (this.entries.get(node.name)?.node === node) {
      this.entries.delete(node.name);
      this.handles.delete(node.name);
    }
    this.notify(node);
  }

  private notify(node: ChildNode): void {
    const waiting = this.waiters.get(node);
    if (waiting) for (const check of [...waiting]) check();
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry) throw new NotFoundError(name);
    return entry;
  }

  private processNamed(name: string): ProcessWorker {
    const { node } = this.entry(name);
    if (node.kind !== 'process') throw new StateError(`\`${name}\` is a supervisor, not a process`);
    return node;
  }

  private handleFor(name: string): Handle {
    let handle = this.handles.get(name);
    if (!handle) {
      handle = new Handle(name, this.owner);
      this.handles.set(name, handle);
    }
    return handle;
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
   * @throws ValidationError, AlreadyExistsError, NotFoundError, ShutdownError
   */
  add(spec: ChildSpec, opts: { parent?: string } = {}): Handle {
    this.assertOpen();
    const parent = opts.parent === undefined ? this.root : this.supervisorNamed(opts.parent);
    const resolved = expandInstances(
      resolveChildSpec(spec, this.options.defaults, '', parent === this.root ? {} : { parentAutoShutdown: parent.spec.autoShutdown }),
    );
    for (const name of ProcessManager.namesOf(resolved)) {
      if (this.entries.has(name)) throw new AlreadyExistsError(name, this.entries.get(name)?.node.state === 'running' ? 'already started' : 'already present');
    }
    parent.addChild(resolved);
    return this.handleFor(resolved.name);
  }

  private supervisorNamed(name: string): Supervisor {
    const { node } = this.entry(name);
    if (node.kind !== 'supervisor') throw new StateError(`\`${name}\` is not a supervisor`);
    return node;
  }

  /**
   * Starts a child — a spec (registered first) or the name of a registered one — and resolves once
   * it is started (spawned and ready; for a tree, every child started in order).
   * @throws ValidationError, SpawnError, StartError, AlreadyExistsError, NotFoundError, ShutdownError
   */
  async start(specOrName: ChildSpec | string, opts: { parent?: string } = {}): Promise<Handle> {
    this.assertOpen();
    const handle = typeof specOrName === 'string' ? this.handleFor(this.entry(specOrName).node.name) : this.add(specOrName, opts);
    const { node, parent } = this.entry(handle.name);
    const slot = parent.slots.find((s) => s.node === node);
    if (!slot) throw new NotFoundError(handle.name);
    await parent.startChild(slot);
    return handle;
  }

  /**
   * Runs a one-shot job to completion: retried up to `retries` times, stopped by the ladder after
   * `timeout` or when `signal` aborts. Resolves with a JobResult in every case but invalid input.
   * At most `maxConcurrentJobs` run at once; more wait in FIFO order.
   * @throws ValidationError (before anything spawns), ShutdownError
   */
  async run(job: JobSpec, opts: RunOptions = {}): Promise<JobResult> {
    this.assertOpen();
    return this.jobs.run(job, opts);
  }

  /** Stops a child by its termination ladder. It keeps its spec and is not restarted. Idempotent. */
  async stop(name: string): Promise<void> {
    const { node, parent } = this.entry(name);
    const slot = parent.slots.find((s) => s.node === node);
    if (!slot) return;
    await parent.stopChild(slot);
  }

  /** Stops (if needed) and starts a child again; revives a `failed` entry. */
  async restart(name: string): Promise<Handle> {
    this.assertOpen();
    await this.stop(name);
    return this.start(name);
  }

  /** Stops a child if needed, then unregisters it. */
  async remove(name: string): Promise<void> {
    const { node, parent } = this.entry(name);
    const slot = parent.slots.find((s) => s.node === node);
    if (slot) await parent.removeChild(slot);
  }

  /** The handle of a registered child. */
  get(name: string): Handle | undefined {
    return this.entries.has(name) ? this.handleFor(name) : undefined;
  }

  /** Plain, serialisable snapshots of every process and supervisor, in tree order. */
  list(): Snapshot[] {
    return listChildren(this.root);
  }

  /** Resolves when the named child reaches `state`. */
  async waitFor(name: string, state: State, timeout?: Duration): Promise<void> {
    const { node } = this.entry(name);
    if (node.state === state) return;
    const ms = timeout === undefined ? undefined : parseDuration(timeout);
    if (ms === undefined && timeout !== undefined) throw new ValidationError('timeout', timeout, `Expected \`timeout\` to be a non-negative duration, got \`${String(timeout)}\``);
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(node);
      if (!set) this.waiters.set(node, (set = new Set()));
      const waiting = set;
      const done = (): void => {
        waiting.delete(check);
        if (waiting.size === 0) this.waiters.delete(node);
        if (timer) clearTimeout(timer);
      };
      const check = (): void => {
        if (node.state !== state) return;
        done();
        resolve();
      };
      const timer =
        ms === undefined || ms === Infinity
          ? undefined
          : setTimeout(() => {
              done();
              reject(new TimeoutError(`\`${name}\` did not reach \`${state}\` within ${ms} ms (it is \`${node.state}\`)`));
            }, ms);
      waiting.add(check);
    });
  }

  /**
   * Stops everything in reverse start order and cancels pending restarts. Idempotent. With
   * `timeout`, whatever still runs after it is killed with SIGKILL.
   */
  shutdown(opts: { timeout?: Duration } = {}): Promise<void> {
    if (this.closing) return this.closing;
    const limit = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
    this.closing = (async () => {
      await this.jobs.close();
      const stopping = this.root.stop();
      if (limit !== undefined && limit !== Infinity) {
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), limit)));
        const late = await Promise.race([stopping.then(() => false), expired]);
        clearTimeout(timer);
        if (late) for (const { node } of this.entries.values()) if (node.kind === 'process') node.kill();
      }
      await stopping;
      await Promise.all([...this.watchers.values()].map((w) => w.close()));
      this.watchers.clear();
      this.extensions.close();
      this.resources.close();
      this.unsubscribeSignals?.();
    })();
    return this.closing;
  }

  /** `await using pm = new ProcessManager()` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  private installSignalHandlers(): void {
    this.unsubscribeSignals = onHostSignals({ shutdown: () => this.shutdown(), kill: () => this.killAll() });
  }

  /** SIGKILLs every process tree the manager owns, at once (a second Ctrl-C). */
  private killAll(): void {
    for (const { node } of this.entries.values()) if (node.kind === 'process') node.kill();
  }
}

