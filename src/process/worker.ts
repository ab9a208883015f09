/**
 * The state machine of one supervised process. A worker runs one incarnation at a time: `start()`
 * spawns it and waits until it is ready, `stop()` runs the termination ladder, and an exit the
 * worker did not cause is reported to its owner (a supervisor), which alone decides about restarts.
 *
 *   idle ─start→ starting ─ready→ running ─exit→ exited | backoff (owner) ─start→ starting …
 *                  │                  └─stop→ stopping → stopped
 *                  └─spawn error / exit / timeout→ failed (or backoff, by the owner)
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { DEFAULTS } from '../api/defaults.js';
import { ProcvisorError, StartError, StateError, TimeoutError } from '../api/errors.js';
import type { EventName, EventPayload } from '../api/events.js';
import { classifyExit } from '../policy/classify.js';
import type { ResolvedProcessSpec } from '../spec/resolved.js';
import type { Clock, ExitInfo, ExitReason, HealthStatus, OutputLine, ProbeResult, ProcessState, Signal, Usage } from '../api/types.js';
import { newTreeCookie, sweepSoon } from '../os/cookie.js';
import { Incarnation, type OsExit } from './incarnation.js';
import { createMasker, LineSplitter, parseOutputCommand, RingBuffer } from '../output/index.js';
import { readStat } from '../os/proc.js';
import { awaitReadiness, type PolledReadiness } from './readiness.js';
import { spawnChild, USE_PROCESS_GROUPS } from '../os/spawn.js';
import { runLadder } from './stop.js';
import { signalTree, readProcessTree } from '../os/tree.js';

/** What a worker needs from the manager that owns it. */
export interface WorkerHost {
  readonly clock: Clock;
  /** Emits a manager event. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Runs polled readiness probes (http, tcp, exec, custom). */
  readonly polledReadiness: PolledReadiness;
  /** Registers a live process group so it dies with the host (`orphans: 'kill'`). */
  readonly track?: (pid: number, starttime: number | undefined, cookie?: string) => void;
  /** Forgets a process group that is gone. */
  readonly untrack?: (pid: number) => void;
  /** Told about every state change (waiters, snapshots). */
  readonly stateChanged?: (node: ProcessWorker) => void;
  /** Connects a freshly spawned incarnation (IPC channel), before readiness. */
  readonly onSpawn?: (worker: ProcessWorker, inc: Incarnation) => void;
  /** Attaches per-incarnation machinery once it is running (liveness, heartbeats, sampling, IPC). */
  readonly attach?: (worker: ProcessWorker, inc: Incarnation) => void;
}

/** Thrown by `start()` when a stop arrived while the process was starting. */
export class StoppedWhileStartingError extends StartError {
  constructor(name: string) {
    super(name, `\`${name}\` was stopped while starting`);
  }
}

/** One supervised process. */
export class ProcessWorker {
  readonly kind = 'process' as const;
  private currentState: ProcessState = 'idle';
  /** Restarts so far (kept by the owner). */
  restarts = 0;
  lastExit: ExitInfo | undefined;
  readyData: unknown;
  health: HealthStatus = 'unknown';
  usage: Usage | undefined;
  /** Called when an incarnation that was started ends without the worker stopping it. */
  onExit: ((exit: ExitInfo) => void) | undefined;
  /** The retained output. */
  readonly logs: RingBuffer<OutputLine>;
  private current: Incarnation | undefined;
  private incarnations = 0;
  private spawning: { stopRequested: boolean } | undefined;
  private readonly mask: ((line: string) => string) | undefined;

  constructor(
    readonly spec: ResolvedProcessSpec,
    readonly path: readonly string[],
    private readonly host: WorkerHost,
  ) {
    this.logs = new RingBuffer<OutputLine>(spec.output.lines);
    this.mask = createMasker(spec.output.mask);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Current state; every change is reported to the host. */
  get state(): ProcessState {
    return this.currentState;
  }
  set state(next: ProcessState) {
    if (next === this.currentState) return;
    this.currentState = next;
    this.host.stateChanged?.(this);
  }

  /** PID of the most recent incarnation, live or not (exit events name it). */
  get lastPid(): number | undefined {
    return this.current?.pid;
  }

  /** Sends SIGKILL to the live incarnation's whole tree at once (forced shutdown). */
  kill(): void {
    const inc = this.incarnation;
    if (inc) signalTree(readProcessTree(inc.pid), 'SIGKILL', { groups: true });
  }

  /** PID of the live incarnation. */
  get pid(): number | undefined {
    const inc = this.current;
    return inc && !inc.ended ? inc.pid : undefined;
  }

  /** When the live incarnation started. */
  get startedAt(): number | undefined {
    const inc = this.current;
    return inc && !inc.ended ? inc.startedAt : undefined;
  }

  /** The live incarnation, if any. */
  get incarnation(): Incarnation | undefined {
    return this.current && !this.current.ended ? this.current : undefined;
  }

  /** The ChildProcess of the live incarnation. */
  get child(): ChildProcess | undefined {
    return this.incarnation?.child;
  }

  /** stdout of the live incarnation. */
  get stdout(): Readable | undefined {
    return this.incarnation?.child.stdout ?? undefined;
  }

  /** stderr of the live incarnation. */
  get stderr(): Readable | undefined {
    return this.incarnation?.child.stderr ?? undefined;
  }

  /** Sets the health status and emits a `health` event when it changes. */
  setHealth(status: HealthStatus, source: string, result?: ProbeResult): void {
    const previous = this.health;
    if (previous === status) return;
    this.health = status;
    const pid = this.pid;
    this.host.emit('health', { ...this.base(pid), status, previous, source, ...(result ? { result } : {}) });
  }

  /** Masks secrets in any text (errors, messages) with the spec's masks. */
  maskText(text: string): string {
    return this.mask ? this.mask(text) : text;
  }

  private base(pid?: number): { name: string; time: number; path: readonly string[]; pid?: number } {
    const event: { name: string; time: number; path: readonly string[]; pid?: number } = {
      name: this.spec.name,
      time: this.host.clock.now(),
      path: this.path,
    };
    if (pid !== undefined) event.pid = pid;
    return event;
  }

  /**
   * Starts one incarnation and resolves once it is started (spawned and ready). Rejects with a
   * SpawnError or StartError; the worker is then `failed` (its owner may set `backoff`).
   */
  async start(): Promise<void> {
    if (this.incarnation || this.spawning) throw new StateError(`\`${this.name}\` is already ${this.state}`);
    this.state = 'starting';
    this.readyData = undefined;
    this.health = 'unknown';
    const attempt = { stopRequested: false };
    this.spawning = attempt;
    let child: ChildProcess;
    const cookie = newTreeCookie();
    try {
      child = await spawnChild(this.spec, cookie);
    } catch (error) {
      this.spawning = undefined;
      this.failStart(error as Error);
      throw error;
    }
    this.spawning = undefined;
    const pid = child.pid as number;
    const inc = new Incarnation(++this.incarnations, child, pid, readStat(pid)?.starttime, this.host.clock.now(), cookie);
    this.current = inc;
    this.wire(inc);
    this.host.track?.(pid, inc.starttime, cookie);
    this.host.onSpawn?.(this, inc);
    this.host.emit('spawn', { ...this.base(pid), pid, restarts: this.restarts });
    if (attempt.stopRequested) void this.stop();

    const timeout = new AbortController();
    const timer = this.spec.startTimeout === Infinity ? undefined : setTimeout(() => timeout.abort(new TimeoutError('start timeout')), this.spec.startTimeout);
    const until = AbortSignal.any([inc.signal, timeout.signal]);
    try {
      this.readyData = await awaitReadiness(this.spec.readiness, inc, this.name, until, this.host.polledReadiness);
    } catch (cause) {
      const error = await this.whyNotStarted(inc, timeout.signal.aborted, cause);
      if (error instanceof StoppedWhileStartingError) this.state = 'stopped';
      else this.failStart(error);
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (inc.ended || inc.terminationReason) {
      // Ready and ended in the same turn: a failed start, unless a stop asked for the end (a stop
      // that arrived while spawning lands here when there is no readiness probe to wait on).
      const error = await this.whyNotStarted(inc, false, undefined);
      if (error instanceof StoppedWhileStartingError) this.state = 'stopped';
      else this.failStart(error);
      throw error;
    }
    this.state = 'running';
    this.host.emit('ready', { ...this.base(pid), data: this.readyData });
    this.host.attach?.(this, inc);
  }

  private async whyNotStarted(inc: Incarnation, timedOut: boolean, cause: unknown): Promise<StartError> {
    const lastOutput = this.logs.toArray(20);
    if (inc.terminationReason === 'stopped') {
      await inc.stopping;
      return new StoppedWhileStartingError(this.name);
    }
    if (timedOut && !inc.ended) {
      inc.terminationReason ??= 'start-timeout';
      await this.runTermination(inc);
      return new StartError(this.name, `\`${this.name}\` was not ready within ${this.spec.startTimeout} ms`, {
        timedOut: true,
        lastOutput,
        cause,
      });
    }
    const exit = inc.osExit ?? (await inc.exit.promise);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return new StartError(this.name, this.maskText(`\`${this.name}\` ${how} while starting${tail(lastOutput)}`), {
      exitCode: exit.code,
      signal: exit.signal,
      lastOutput: this.logs.toArray(20),
      cause: cause instanceof ProcvisorError ? undefined : cause,
    });
  }

  private failStart(error: Error): void {
    this.state = 'failed';
    this.host.emit('failed-start', { ...this.base(), error });
  }

  /** Connects output, exit and IPC of a fresh incarnation. */
  private wire(inc: Incarnation): void {
    const { child, pid } = inc;
    let warned = false;
    const onLine = (stream: 'stdout' | 'stderr') => (raw: string) => {
      if (this.spec.output.commands && raw.startsWith('::procvisor::')) {
        const command = parseOutputCommand(raw);
        if (command && 'malformed' in command) {
          if (!warned) this.host.emit('warning', { ...this.base(pid), message: `Malformed output command: ${command.malformed}` });
          warned = true;
          return;
        }
        if (command) return this.onCommand(inc, command);
      }
      const line = this.mask ? this.mask(raw) : raw;
      const time = this.host.clock.now();
      this.logs.push({ stream, line, time });
      for (const watcher of inc.lineWatchers) watcher(line, stream);
      this.host.emit('output', { name: this.spec.name, time, path: this.path, pid, stream, line });
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (!readable) continue;
      const splitter = new LineSplitter(onLine(stream), DEFAULTS.maxLineBytes);
      readable.on('data', (chunk: Buffer) => splitter.push(chunk));
      readable.once('end', () => splitter.end());
      readable.on('error', () => {});
    }
    child.on('error', () => {
      // Errors after spawn (a failed kill, a broken IPC channel) surface through the exit.
    });
    child.once('exit', (code, signal) => this.onOsExit(inc, { code, signal: signal as Signal | null }));
  }

  /** Handles a `::procvisor::` output command. */
  private onCommand(inc: Incarnation, command: Exclude<ReturnType<typeof parseOutputCommand>, undefined | { malformed: string }>): void {
    switch (command.type) {
      case 'ready':
        for (const watcher of inc.announceWatchers) watcher(command.data);
        break;
      case 'heartbeat':
        this.onHeartbeat?.();
        break;
      case 'status':
        this.host.emit('status', { ...this.base(inc.pid), status: command.status });
        break;
      case 'metric':
        this.host.emit('metric', { ...this.base(inc.pid), metric: command.name, value: command.value });
        break;
    }
  }

  /** Set by the heartbeat monitor of the live incarnation. */
  onHeartbeat: (() => void) | undefined;

  private onOsExit(inc: Incarnation, exit: OsExit): void {
    inc.osExit = exit;
    inc.exit.resolve(exit);
    inc.controller.abort(new StateError(`\`${this.name}\` exited`));
    // Whatever the process left behind in its group goes with it: no orphans.
    if (USE_PROCESS_GROUPS && !inc.stopping) {
      try {
        process.kill(-inc.pid, 'SIGKILL');
      } catch {}
    }
    // And descendants that left the group and lost their parent link, found by the tree cookie
    // (on the next turn: the restart this exit may trigger spawns first).
    if (!inc.stopping && inc.cookie !== undefined) sweepSoon(inc.cookie, { pid: inc.pid, bornAt: inc.bornAt });
    this.host.untrack?.(inc.pid);
    if (inc !== this.current || inc.terminationReason || this.state === 'starting') return;
    const info = this.exitInfo(exit, 'exit');
    this.lastExit = info;
    this.state = 'exited';
    this.onExit?.(info);
  }

  private exitInfo(exit: OsExit, reason: ExitReason): ExitInfo {
    const cls = reason === 'exit' ? classifyExit(exit.code, exit.signal, this.spec.successExitCodes) : 'abnormal';
    return { code: exit.code, signal: exit.signal, class: cls, reason, time: this.host.clock.now() };
  }

  /**
   * Stops the process by the termination ladder. Resolves when it and its tree are gone. A stop
   * during a stop returns the same promise; a stop of a process that is not running resolves at once.
   */
  stop(): Promise<void> {
    if (this.spawning) {
      this.spawning.stopRequested = true;
    }
    const inc = this.current;
    if (!inc || inc.ended) {
      if (!this.spawning) this.state = 'stopped';
      return Promise.resolve();
    }
    // A manual stop outranks an automatic termination already under way: it must not restart.
    if (inc.terminationReason !== 'start-timeout') inc.terminationReason = 'stopped';
    return this.runTermination(inc);
  }

  /**
   * Ends the running incarnation for a supervisor reason (liveness, heartbeat, limit, watch). The
   * end is reported through `onExit` as an `abnormal` exit with that reason.
   */
  terminate(reason: ExitReason): Promise<void> {
    const inc = this.incarnation;
    if (!inc) return Promise.resolve();
    inc.terminationReason ??= reason;
    return this.runTermination(inc);
  }

  private runTermination(inc: Incarnation): Promise<void> {
    if (inc.stopping) return inc.stopping;
    if (this.state === 'running') this.state = 'stopping';
    else if (this.state !== 'starting') this.state = 'stopping';
    inc.stopping = (async () => {
      const pid = inc.pid;
      if (!inc.ended) {
        await runLadder(
          { pid, exited: inc.exit.promise, askToStop: this.askToStop, cookie: inc.cookie, origin: { pid: inc.pid, bornAt: inc.bornAt } },
          this.spec.shutdown,
          {
            unstoppedGrace: DEFAULTS.unstoppedGrace,
            onKill: (pids) => this.host.emit('kill', { ...this.base(pid), pids }),
            onUnstopped: (pids) => this.host.emit('unstopped', { ...this.base(pid), pids }),
          },
        );
      }
      inc.controller.abort(new StateError(`\`${this.name}\` stopped`));
      const exit = inc.osExit ?? { code: null, signal: 'SIGKILL' };
      if (inc !== this.current) return;
      if (inc.terminationReason === 'stopped') {
        this.state = 'stopped';
        this.host.emit('stop', { ...this.base(pid), code: exit.code, signal: exit.signal });
      } else if (inc.terminationReason !== 'start-timeout') {
        const info = this.exitInfo(exit, inc.terminationReason ?? 'exit');
        this.lastExit = info;
        this.state = 'exited';
        this.onExit?.(info);
      }
    })();
    return inc.stopping;
  }

  /** Set by the IPC layer: asks the child over its channel to stop before it is signalled. */
  askToStop: (() => void) | undefined;
}

function tail(lines: readonly OutputLine[]): string {
  if (lines.length === 0) return '';
  return `; last output:\n${lines.map((l) => `  ${l.line}`).join('\n')}`;
}
