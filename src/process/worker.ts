/**
 * One supervised process: it runs one incarnation at a time. `start()` spawns it and waits until
 * it is ready, `stop()` runs the termination ladder, and whatever the worker did not cause (an
 * exit, a liveness failure) is reported as a fact to the listener its owner (a supervisor, or a
 * job attempt) gave to `start()`. The worker writes nothing of its owner's: the owner alone keeps
 * the child's state, restarts and last exit (supervisor/record.ts), and decides about restarts.
 *
 * What the worker does own: the facts of its runs (pid, start time, readiness data), the retained
 * output, and the incarnation with everything attached to it (process/attachments.ts), which
 * ends with it.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TUNING } from '../api/tuning.js';
import { ProcvisorError, StartFailedError, InvalidStateError, TimeoutError, type ProbeReport } from '../api/errors.js';
import type { EventName, EventPayload } from '../api/events.js';
import type { Clock, ExitInfo, ExitReason, HealthStatus, OutputLine, ProbeResult, Signal } from '../api/types.js';
import type { HealthChange, HealthSource } from '../health/aggregate.js';
import { cgroupHost, enableControllers, TreeCgroup } from '../os/cgroup.js';
import { newTreeCookie, settleAlso, sweepSoon } from '../os/cookie.js';
import { readStat } from '../os/proc.js';
import { spawnChild, USE_PROCESS_GROUPS, type LaunchExtras } from '../os/spawn.js';
import { readProcessTree, signalTree, type WalkBurst } from '../os/tree.js';
import { createMasker, parseOutputCommand, PartialFlusher, RingBuffer, type WeightLimit } from '../output/index.js';
import { classifyExit } from '../policy/classify.js';
import type { ResolvedProcessSpec } from '../spec/resolved.js';
import { invalid, type Subject } from '../spec/validate.js';
import type { ChildListener, DeferSweep, RunInfo } from '../supervisor/child.js';
import { Incarnation, type OsExit } from './incarnation.js';
import { OutputTap, type TapOwner } from './output-tap.js';
import { awaitReadiness, checked, describeProbe, ReadinessTrace, type PolledReadiness } from './readiness.js';
import { runLadder } from './stop.js';

/** The error of a start that a stop cut short. */
export function stoppedWhileStarting(name: string): StartFailedError {
  return new StartFailedError(name, `\`${name}\` was stopped while starting`, { reason: 'stopped' });
}

/** True for the error of a start that a stop cut short: the child ends `stopped`, not `failed`. */
export function isStoppedWhileStarting(error: unknown): boolean {
  return error instanceof StartFailedError && error.reason === 'stopped';
}

/** What an incarnation's attachments are given (process/attachments.ts). */
export interface RunContext {
  readonly worker: ProcessWorker;
  readonly inc: Incarnation;
  /** Reports one health source's verdict; ignored once the incarnation is ending. */
  reportHealth(source: HealthSource, status: HealthStatus, result?: ProbeResult): void;
  /** Ends the incarnation for a supervision reason (liveness, heartbeat, limit): an abnormal exit. */
  terminate(reason: ExitReason): void;
  /** Asks the owner to stop the process by hand (a limit with action `stop`). */
  requestStop(): void;
  /** Emits a manager event about this process, through its owner's host (jobs mark theirs). */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
}

/** Everything attached to one incarnation beyond spawn and stop: one builder for services and jobs. */
export interface Attachments {
  /** A fresh incarnation spawned: connect what readiness may need (the IPC channel). */
  spawned(run: RunContext): void;
  /** It is started (ready): liveness, heartbeats, sampling and limits. */
  running(run: RunContext): void;
}

/** What a worker needs from the manager that owns it. */
export interface WorkerHost {
  readonly clock: Clock;
  /** Emits a manager event. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /**
   * Whether anyone listens to `event` now: an event emitted per output line is not even built
   * without a listener (a fast stream makes a million of them). Absent: always emitted.
   */
  listens?(event: EventName): boolean;
  /** Runs polled readiness probes (http, tcp, exec, custom). */
  readonly polledReadiness: PolledReadiness;
  /** Registers a live process group so it dies with the host (`orphans: 'kill'`). */
  readonly track?: (pid: number, starttime: number | undefined, cookie?: string) => void;
  /** Forgets a process group that is gone. */
  readonly untrack?: (pid: number, exited?: boolean) => void;
  /** Per-incarnation machinery. */
  readonly attachments?: Attachments;
  /** Takes over a stop's final cookie sweep (a shutdown sweeps all stopped trees in one pass). */
  readonly deferSweep?: DeferSweep;
  /** The stops being issued together now, whose first walks share one scan (a shutdown's). */
  readonly walkBurst?: () => WalkBurst | undefined;
  /** False: a child and its pipes never hold the host's event loop open (`keepAlive: false`). Default true. */
  readonly keepAlive?: boolean;
  /**
   * The manager's `cgroups` option, where the host has a delegated cgroup v2: `'auto'` gives a tree
   * whose spec sets `cgroup` a cgroup of its own, `'all'` every tree, `false` none.
   */
  readonly cgroups?: 'auto' | 'all' | false;
  /** What else a spawn of the process named so gets (its listening sockets: sockets/registry.ts). */
  readonly launchExtras?: (name: string) => LaunchExtras | undefined;
}

/**
 * Lets the host exit while `child` runs: the process handle, its pipes and its IPC channel stop
 * counting as work for the event loop. Their events still arrive while the host runs for other
 * reasons; when it exits, the exit hook and the reaper kill the tree (docs/termination.md).
 */
function letHostExit(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
}

/** One supervised process. */
export class ProcessWorker implements TapOwner {
  /** On the prototype, as a supervisor's (a field would be eight bytes of every live process). */
  get kind(): 'process' {
    return 'process';
  }
  /** What the readiness probe of the latest incarnation produced. */
  private ready: unknown;
  /** The kept output lines, made with the first: a process that never writes keeps none. */
  #output: RingBuffer<OutputLine> | undefined;
  private current: Incarnation | undefined;
  private incarnations = 0;
  private spawning: { stopRequested: boolean } | undefined;
  /** Set once the `warning` that this spec's `cgroup` limits are not applied was emitted. */
  private cgroupWarned = false;
  private readonly mask: ((line: string) => string) | undefined;

  constructor(
    readonly spec: ResolvedProcessSpec,
    readonly path: readonly string[],
    private readonly host: WorkerHost,
  ) {
    this.mask = createMasker(spec.output.mask);
  }

  get name(): string {
    return this.spec.name;
  }

  /** PID of the most recent incarnation, live or not (exit events name it). */
  get lastPid(): number | undefined {
    return this.current?.pid;
  }

  /** How the OS reported the end of the most recent incarnation, once it ended. */
  get lastOsExit(): OsExit | undefined {
    return this.current?.osExit;
  }

  /** PID of the live incarnation. */
  get pid(): number | undefined {
    return this.incarnation?.pid;
  }

  /** When the live incarnation started. */
  get startedAt(): number | undefined {
    return this.incarnation?.startedAt;
  }

  /** The live incarnation, if any. */
  get incarnation(): Incarnation | undefined {
    return this.current && !this.current.ended ? this.current : undefined;
  }

  /** What the readiness probe of the latest incarnation produced. */
  get readyData(): unknown {
    return this.ready;
  }

  /** Overall health of the live incarnation: the worst verdict of its sources (health/aggregate.ts). */
  get health(): HealthStatus {
    return this.incarnation?.health ?? 'unknown';
  }

  /** stdout of the live incarnation. */
  get stdout(): Readable | undefined {
    return this.incarnation?.child.stdout ?? undefined;
  }

  /** stderr of the live incarnation. */
  get stderr(): Readable | undefined {
    return this.incarnation?.child.stderr ?? undefined;
  }

  /** stdin of the live incarnation: a pipe with `stdin: 'pipe'`, otherwise undefined. */
  get stdin(): Writable | undefined {
    return this.incarnation?.child.stdin ?? undefined;
  }

  /**
   * Writes to the live incarnation's stdin (`stdin: 'pipe'`) and resolves once the data is handed
   * to the OS. Rejects with an InvalidStateError when stdin is not a pipe, when no incarnation is
   * live, or when the child closed its end (the pipe's error is the `cause`); with an
   * InvalidArgumentError for data that is neither a string nor bytes. Never throws.
   */
  write(data: string | Uint8Array): Promise<void> {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      return Promise.reject(invalid(WRITE_SUBJECT, 'data', data, 'a string or a Uint8Array'));
    }
    if (this.spec.stdin !== 'pipe') {
      return Promise.reject(
        new InvalidStateError(`Cannot write to \`${this.name}\`: its stdin is \`'${this.spec.stdin}'\`; set \`stdin: 'pipe'\` in its spec to write to it`),
      );
    }
    const stdin = this.stdin;
    if (!stdin) {
      return Promise.reject(new InvalidStateError(`Cannot write to \`${this.name}\`: it is not running; start it first (\`handle.waitFor('running')\`)`));
    }
    if (!stdin.writable) return Promise.reject(closedStdin(this.name));
    return new Promise((resolve, reject) => {
      stdin.write(data, (error) => (error ? reject(closedStdin(this.name, error)) : resolve()));
    });
  }

  /** The retained output lines (masked), oldest first; the last `n` when given. */
  logs(n?: number): OutputLine[] {
    return this.#output?.toArray(n) ?? [];
  }

  /** Sends SIGKILL to the live incarnation's whole tree at once (forced shutdown). */
  kill(): void {
    const inc = this.incarnation;
    if (!inc) return;
    signalTree(readProcessTree(inc.pid), 'SIGKILL', { groups: true });
    inc.cgroup?.kill();
  }

  /**
   * The cgroup of the next incarnation (os/cgroup.ts): created where the host has a delegated
   * cgroup and `cgroups` is `'auto'`, with the spec's `cgroup` limits written. Limits that cannot
   * be applied (no delegation, `cgroups: false`, a controller not enabled) are told once per
   * process by a `warning` event; the process runs without them.
   */
  private openCgroup(): TreeCgroup | undefined {
    const limits = this.spec.cgroup;
    const wantsLimits = limits !== undefined && Object.values(limits).some((v) => v !== undefined);
    // 'auto': only a spec that asks (`cgroup`, even `{}`), which joins in the prelude; a plain
    // spec's spawn pays nothing (a host-side join blocks the loop until the child has exec'd).
    const wanted = this.host.cgroups === 'all' || (this.host.cgroups === 'auto' && limits !== undefined);
    if (!wanted && !wantsLimits) return undefined;
    const host = wanted ? cgroupHost() : undefined;
    const cgroup = host && TreeCgroup.create(host, this.name, this.host.track !== undefined);
    if (!wantsLimits) return cgroup;
    let why: string | undefined;
    if (this.host.cgroups === false || this.host.cgroups === undefined) why = 'the manager has `cgroups: false`';
    else if (!cgroup) why = 'the host has no delegated, writable cgroup v2';
    else {
      if (host) enableControllers(host);
      const failed = cgroup.applyLimits(limits);
      if (failed.length > 0) why = `the ${failed.join(', ')} controller${failed.length > 1 ? 's are' : ' is'} not enabled for the host's cgroup`;
    }
    if (why !== undefined && !this.cgroupWarned) {
      this.cgroupWarned = true;
      this.host.emit('warning', { ...this.base(), message: `\`cgroup\` limits of \`${this.name}\` are not applied: ${why}; it runs without them` });
    }
    return cgroup;
  }

  /**
   * The reason an incarnation's signal aborts with. Built only where it is read (a start still
   * waiting for readiness turns it into its error's cause); a stop of a thousand processes would
   * otherwise build a thousand errors with stack traces nobody sees.
   */
  private endedReason(inc: Incarnation, how: 'exited' | 'stopped'): unknown {
    return inc.started ? ENDED : new InvalidStateError(`\`${this.name}\` ${how}`);
  }

  /** Masks secrets in any text (errors, messages) with the spec's masks. */
  maskText(text: string): string {
    return this.mask ? this.mask(text) : text;
  }

  /**
   * Waits for the readiness probe of a fresh incarnation, bounded by `startTimeout` and by the
   * incarnation's end; a failure is reported (failed start) and thrown. The start timeout is a
   * controller of its own that follows the incarnation's end by one callback, removed at the end:
   * `AbortSignal.any` would leave a dependant signal (and a WeakRef) for the collector, per start.
   */
  private async awaitReady(inc: Incarnation, probe: NonNullable<ResolvedProcessSpec['readiness']>, trace: ReadinessTrace): Promise<unknown> {
    const { clock } = this.host;
    const until = new AbortController();
    const unfollow = inc.end.on(() => until.abort(inc.end.reason));
    let timedOut = false;
    const timer =
      this.spec.startTimeout === Infinity
        ? undefined
        : clock.setTimeout(() => {
            timedOut = true;
            until.abort(new TimeoutError('start timeout'));
          }, this.spec.startTimeout);
    const onCheck = (result: ProbeResult, duration: number): void =>
      this.host.emit('probe-checked', { ...this.base(inc.pid), pid: inc.pid, role: 'readiness', type: probe.type, ...checked(result, duration) });
    try {
      return await awaitReadiness(probe, inc, this.name, until.signal, this.host.polledReadiness, trace, onCheck);
    } catch (cause) {
      const error = await this.whyNotStarted(inc, timedOut, cause, trace);
      if (!isStoppedWhileStarting(error)) this.failStart(error);
      throw error;
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
      unfollow();
    }
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
   * SpawnFailedError, a StartFailedError, or one with reason `stopped` when a stop cut the start short.
   * Whatever the incarnation does by itself afterwards is reported to `listener`.
   */
  async start(listener: ChildListener, info: RunInfo = { restarts: 0 }): Promise<void> {
    if (this.incarnation || this.spawning) throw new InvalidStateError(`\`${this.name}\` is already running`);
    this.ready = undefined;
    const attempt = { stopRequested: false };
    this.spawning = attempt;
    let child: ChildProcess;
    const cookie = newTreeCookie(this.host.track === undefined);
    // The kernel start time names the process for ever with its pid: read once, the moment the
    // process exists. With a reaper, it is tracked right then, and written to the reaper before the
    // loop goes on: no tick passes in which it could outlive a host that dies (docs/termination.md).
    let forked: { pid: number; starttime: number | undefined } | undefined;
    const track = this.host.track;
    const onForked = (pid: number): void => {
      forked = { pid, starttime: readStat(pid)?.starttime };
      track?.(pid, forked.starttime, cookie);
    };
    const cgroup = this.openCgroup();
    // With limits the child joins its cgroup in the prelude, before its program runs: nothing of
    // the tree starts outside them. Without, the host's write right after the fork is enough.
    const extras = { ...this.host.launchExtras?.(this.name), ...(cgroup ? { cgroup: cgroup.dir, cgroupBeforeExec: this.spec.cgroup !== undefined } : {}) };
    try {
      child = await spawnChild(this.spec, cookie, onForked, info.restarts, extras);
    } catch (error) {
      if (cgroup) {
        cgroup.kill();
        settleAlso(cgroup.remove(TUNING.unstoppedGrace));
      }
      if (forked !== undefined) this.host.untrack?.(forked.pid);
      this.spawning = undefined;
      if (attempt.stopRequested) throw stoppedWhileStarting(this.name);
      this.failStart(error as Error);
      throw error;
    }
    this.spawning = undefined;
    if (this.host.keepAlive === false) letHostExit(child);
    const pid = child.pid as number;
    const inc = new Incarnation(++this.incarnations, child, pid, forked?.starttime, this.host.clock.now(), cookie, listener, cgroup);
    this.current = inc;
    this.wire(inc);
    const run = this.runContext(inc);
    this.host.attachments?.spawned(run);
    this.host.emit('spawn', { ...this.base(pid), pid, restarts: info.restarts });
    if (attempt.stopRequested) void this.stop();

    const probe = this.spec.readiness;
    const trace = probe ? new ReadinessTrace(probe) : undefined;
    // Without a probe, started once spawned (one turn later, as with a probe that passes at once).
    this.ready = probe && trace ? await this.awaitReady(inc, probe, trace) : await Promise.resolve(undefined);
    if (inc.ended || inc.terminationReason) {
      // Ready and ended in the same turn: a failed start, unless a stop asked for the end (a stop
      // that arrived while spawning lands here when there is no readiness probe to wait on).
      const error = await this.whyNotStarted(inc, false, undefined, trace);
      if (!isStoppedWhileStarting(error)) this.failStart(error);
      throw error;
    }
    inc.started = true;
    this.host.emit('ready', { ...this.base(pid), data: this.ready });
    this.host.attachments?.running(run);
    // After the running checks arm: the first `health` event names the source that keeps judging.
    if (this.spec.readiness) run.reportHealth('readiness', 'healthy');
  }

  /** The context the attachments of `inc` act through. */
  private runContext(inc: Incarnation): RunContext {
    return new IncarnationRun(this, inc, this.host);
  }

  /** The health of `inc` changed ({@link IncarnationRun.reportHealth}): the `health` event. */
  healthChanged(inc: Incarnation, change: HealthChange): void {
    this.host.emit('health', { ...this.base(inc.pid), ...change });
  }

  private async whyNotStarted(inc: Incarnation, timedOut: boolean, cause: unknown, trace?: ReadinessTrace): Promise<StartFailedError> {
    if (inc.terminationReason === 'stopped') {
      await inc.stopping;
      return stoppedWhileStarting(this.name);
    }
    const lastProbe = this.probeReport(trace);
    if (timedOut && !inc.ended) {
      // What it wrote before the termination below, not what the kill made it write.
      const lastOutput = this.#output?.toArray(20) ?? [];
      inc.terminationReason ??= 'start-timeout';
      await this.runTermination(inc);
      const why = lastProbe ? `: ${describeProbe(lastProbe)}` : '';
      const output = lastOutput.length === 0 ? '. It wrote no output.' : `. Last output:\n${indented(lastOutput)}`;
      return new StartFailedError(this.name, this.maskText(`\`${this.name}\` was not ready within ${this.spec.startTimeout} ms${why}${output}`), {
        reason: 'timeout',
        lastProbe,
        lastOutput,
        cause,
      });
    }
    const exit = inc.osExit ?? (await inc.exited);
    await outputRead(inc);
    const output = this.#output?.toArray(20) ?? [];
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return new StartFailedError(this.name, this.maskText(`\`${this.name}\` ${how} while starting${tail(output)}`), {
      reason: 'exited',
      exitCode: exit.code,
      signal: exit.signal,
      lastProbe,
      lastOutput: output,
      cause: cause instanceof ProcvisorError ? undefined : cause,
    });
  }

  /** The readiness probe's last result, masked like output (a URL or a message may hold a secret). */
  private probeReport(trace: ReadinessTrace | undefined): ProbeReport | undefined {
    const report = trace?.report();
    return report && { ...report, message: this.maskText(report.message) };
  }

  private failStart(error: Error): void {
    this.host.emit('start-failed', { ...this.base(), error });
  }

  /** Connects output and exit of a fresh incarnation. */
  private wire(inc: Incarnation): void {
    const { child } = inc;
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (readable) new OutputTap(this, inc, stream).attach(readable);
    }
    // Errors after spawn (a failed kill, a broken IPC channel) surface through the exit.
    child.on('error', ignore);
    child.on('exit', (code, signal) => this.onOsExit(inc, { code, signal: signal as Signal | null }));
    child.on('close', () => {
      inc.stdioClosed = true;
    });
  }

  /** Keeps an output line for `logs()` and failure reports, within the spec's `output` budget. */
  private keep(line: OutputLine): void {
    (this.#output ??= new RingBuffer<OutputLine>(this.spec.output.lines, outputLimit(this.spec.output))).push(line);
  }

  /** {@link TapOwner}: the manager's clock. */
  now(): number {
    return this.host.clock.now();
  }

  /**
   * {@link TapOwner}: text left without its line end (a prompt, a progress bar) is flushed as a
   * partial line after a short wait: one timer at most per incarnation, armed by a chunk that ends
   * mid-line, stopped with the incarnation (at once when it has ended already).
   */
  partials(inc: Incarnation): PartialFlusher {
    if (inc.partials !== undefined) return inc.partials;
    const partials = new PartialFlusher(this.host.clock, TUNING.partialFlushInterval);
    inc.partials = partials;
    inc.end.on(() => partials.stop());
    return partials;
  }

  /** {@link TapOwner}: a whole line of an incarnation's output (its tap's chunk was read at `tap.time`). */
  outputLine(tap: OutputTap, raw: string): void {
    const { inc, stream, time } = tap;
    // Masked before anything reads it: output commands too, so no secret reaches readiness data,
    // status, metric or warning events.
    const line = this.mask ? this.mask(raw) : raw;
    if (this.spec.output.commands && line.startsWith('::procvisor::')) {
      const command = parseOutputCommand(line);
      if (command && 'malformed' in command) {
        if (!inc.warnedMalformed) this.host.emit('warning', { ...this.base(inc.pid), message: `Malformed output command: ${command.malformed}` });
        inc.warnedMalformed = true;
        return;
      }
      if (command) return this.onCommand(inc, command);
    }
    this.keep({ stream, line, time });
    inc.line(line, stream);
    if (this.host.listens?.('output') !== false) this.host.emit('output', { name: this.spec.name, time, path: this.path, pid: inc.pid, stream, line });
  }

  /**
   * {@link TapOwner}: output that waited too long for its line end: kept and emitted like a line,
   * marked `partial`, and masked like one. Never read as an output command: a command is a whole line.
   */
  outputPartial(tap: OutputTap, raw: string): void {
    const { inc, stream } = tap;
    const line = this.mask ? this.mask(raw) : raw;
    const time = this.host.clock.now();
    this.keep({ stream, line, time, partial: true });
    inc.line(line, stream);
    if (this.host.listens?.('output') !== false) this.host.emit('output', { name: this.spec.name, time, path: this.path, pid: inc.pid, stream, line, partial: true });
  }

  /** Handles a `::procvisor::` output command. */
  private onCommand(inc: Incarnation, command: Exclude<ReturnType<typeof parseOutputCommand>, undefined | { malformed: string }>): void {
    switch (command.type) {
      case 'ready':
        inc.announceReady(command.data);
        break;
      case 'heartbeat':
        inc.heartbeat();
        break;
      case 'status':
        this.host.emit('status', { ...this.base(inc.pid), status: command.status });
        break;
      case 'metric':
        this.host.emit('metric', { ...this.base(inc.pid), metric: command.name, value: command.value });
        break;
    }
  }

  private onOsExit(inc: Incarnation, exit: OsExit): void {
    inc.reportExit(exit);
    inc.end.fire(this.endedReason(inc, 'exited'));
    // Whatever the process left behind in its group goes with it: no orphans.
    if (USE_PROCESS_GROUPS && !inc.stopping) {
      try {
        process.kill(-inc.pid, 'SIGKILL');
      } catch {}
      // Its cgroup too, race-free: members in other groups, including ones no walk can reach. The
      // cgroup goes once empty; a shutdown waits for that with the sweeps.
      if (inc.cgroup) {
        inc.cgroup.kill();
        settleAlso(inc.cgroup.remove(TUNING.unstoppedGrace));
      }
    }
    // And descendants that left the group and lost their parent link, found by the tree cookie
    // (on the next turn: the restart this exit may trigger spawns first).
    if (!inc.stopping && inc.cookie !== undefined) sweepSoon(inc.cookie, { pid: inc.pid, bornAt: inc.bornAt });
    this.host.untrack?.(inc.pid, true);
    // A stop, a termination for a reason, or a start still under way report the end themselves.
    if (inc !== this.current || inc.terminationReason || !inc.started) return;
    inc.listener.exited(this.exitInfo(exit, 'exit'));
  }

  private exitInfo(exit: OsExit, reason: ExitReason): ExitInfo {
    const cls = reason === 'exit' ? classifyExit(exit.code, exit.signal, this.spec.successExitCodes) : 'abnormal';
    return { exitCode: exit.code, signal: exit.signal, class: cls, reason, time: this.host.clock.now() };
  }

  /**
   * Stops the process by the termination ladder. Resolves when it and its tree are gone. A stop
   * during a stop returns the same promise; a stop of a process that is not running resolves at
   * once. Never rejects.
   */
  stop(deferSweep?: DeferSweep): Promise<void> {
    if (this.spawning) this.spawning.stopRequested = true;
    const inc = this.current;
    if (!inc || inc.ended) return Promise.resolve();
    // A manual stop outranks an automatic termination already under way: it must not restart.
    if (inc.terminationReason !== 'start-timeout') inc.terminationReason = 'stopped';
    return this.runTermination(inc, deferSweep);
  }

  /** Cuts a start in flight short (the owner's stop is on its way). */
  cancel(): void {
    if (this.spawning || (this.current && !this.current.ended && !this.current.started)) void this.stop();
  }

  /**
   * Ends the running incarnation for a supervision reason (liveness, heartbeat, limit, watch). The
   * end is reported to the owner as an `abnormal` exit with that reason.
   */
  terminate(reason: ExitReason): Promise<void> {
    const inc = this.incarnation;
    if (!inc || !inc.started) return Promise.resolve();
    if (inc.terminationReason === undefined) {
      inc.terminationReason = reason;
      inc.listener.ending();
    }
    return this.runTermination(inc);
  }

  private runTermination(inc: Incarnation, batch?: DeferSweep): Promise<void> {
    if (inc.stopping) return inc.stopping;
    inc.stopping = (async () => {
      const pid = inc.pid;
      if (!inc.ended) {
        await runLadder(
          {
            pid,
            starttime: inc.starttime,
            exited: inc.exited,
            askToStop: inc.askToStop,
            cookie: inc.cookie,
            origin: { pid: inc.pid, bornAt: inc.bornAt },
            killCgroup: inc.cgroup ? () => inc.cgroup?.kill() : undefined,
          },
          this.spec.shutdown,
          {
            unstoppedGrace: TUNING.unstoppedGrace,
            clock: this.host.clock,
            // A shutdown's single final pass first; else the batch of the supervisor stopping us.
            deferSweep: (cookie, origin) => this.host.deferSweep?.(cookie, origin) === true || batch?.(cookie, origin) === true,
            burst: this.host.walkBurst?.(),
            onKill: (pids) => this.host.emit('kill', { ...this.base(pid), pids }),
            onUnstopped: (pids) => this.host.emit('unstopped', { ...this.base(pid), pids }),
          },
        );
      }
      // The incarnation ends with its cgroup: whatever is still in it (an escapee the ladder could
      // not see, which the ladder's cgroup kill has reached) is gone first.
      if (inc.cgroup && !(await inc.cgroup.remove(0))) {
        inc.cgroup.kill();
        await inc.cgroup.remove(TUNING.unstoppedGrace);
      }
      inc.end.fire(this.endedReason(inc, 'stopped'));
      const exit = inc.osExit ?? { code: null, signal: 'SIGKILL' };
      if (inc !== this.current) return;
      if (inc.terminationReason === 'stopped') {
        this.host.emit('stop', { ...this.base(pid), exitCode: exit.code, signal: exit.signal });
      } else if (inc.terminationReason !== 'start-timeout' && inc.started) {
        inc.listener.exited(this.exitInfo(exit, inc.terminationReason ?? 'exit'));
      }
    })();
    return inc.stopping;
  }
}

/**
 * Resolves once the incarnation's stdio is closed, so an error can quote the last lines the
 * process wrote before it exited (the exit is often reported before the pipes are drained), or
 * after {@link OUTPUT_DRAIN_MS} when a descendant that escaped the group holds a pipe open. Real
 * time: it only waits for bytes already written, which a fake clock cannot deliver sooner.
 */
function outputRead(inc: Incarnation): Promise<void> {
  if (inc.stdioClosed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      inc.child.off('close', done);
      resolve();
    }, OUTPUT_DRAIN_MS);
    inc.child.once('close', done);
  });
}

/** What a bad argument of `write()` is reported against. */
const WRITE_SUBJECT: Subject = Object.freeze({ label: 'arguments of `write()`', noun: 'the data', kind: 'argument' });

/** The error of a write to a stdin the child closed (or that closed when it exited). */
function closedStdin(name: string, cause?: Error): InvalidStateError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why = code === undefined ? '' : ` (${code})`;
  return new InvalidStateError(`Cannot write to \`${name}\`: its stdin is closed${why}; the process closed it or is exiting`, { cause });
}

/** One listener for the errors a process's streams report after spawn: the exit tells the rest. */
function ignore(): void {}

/** The abort reason of a started incarnation that ended: nothing waits on it any more. */
const ENDED = Symbol('incarnation ended');

/** Longest wait for a dead process's pipes to drain before its failure is reported. */
const OUTPUT_DRAIN_MS = 200;

/** The weight of a kept output line: its length (one per character of text). */
function weighLine(line: OutputLine): number {
  return line.line.length;
}

/**
 * The weight limit of kept output, one per resolved `output` setting: specs that do not set their
 * own share the defaults' object, and so their limit; one set by a spec goes with it.
 */
const outputLimits = new WeakMap<ResolvedProcessSpec['output'], WeightLimit<OutputLine>>();

function outputLimit(output: ResolvedProcessSpec['output']): WeightLimit<OutputLine> {
  let limit = outputLimits.get(output);
  if (limit === undefined) {
    limit = Object.freeze({ max: output.bytes, weigh: weighLine });
    outputLimits.set(output, limit);
  }
  return limit;
}

function tail(lines: readonly OutputLine[]): string {
  if (lines.length === 0) return '';
  return `; last output:\n${indented(lines)}`;
}

/** Output lines quoted in an error message, one per line, indented. */
function indented(lines: readonly OutputLine[]): string {
  return lines.map((l) => `  ${l.line}`).join('\n');
}

/**
 * One run of a worker as its attachments see it ({@link RunContext}): one object of three fields
 * rather than four closures and their context. Kept for the incarnation's life by whatever samples
 * or probes it, and held by every start in flight until it is started. What it reports is dropped
 * once the incarnation is being ended for any reason: a process on its way out routinely fails its
 * checks, and that is no news.
 */
class IncarnationRun implements RunContext {
  constructor(
    readonly worker: ProcessWorker,
    readonly inc: Incarnation,
    private readonly host: WorkerHost,
  ) {}

  private get ending(): boolean {
    return this.inc.terminationReason !== undefined || this.inc.end.ended;
  }

  reportHealth(source: HealthSource, status: HealthStatus, result?: ProbeResult): void {
    if (this.ending) return;
    const change = this.inc.reportHealth(source, status, result);
    if (change) this.worker.healthChanged(this.inc, change);
  }

  terminate(reason: ExitReason): void {
    if (!this.ending) void this.worker.terminate(reason);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.host.emit(event, payload);
  }

  requestStop(): void {
    if (!this.ending) this.inc.listener.stopRequested?.();
  }
}
