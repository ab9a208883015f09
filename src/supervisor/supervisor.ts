/**
 * The supervisor: one list of child records and one dispatcher over a closed union of messages
 * (OTP's `supervisor.erl`, Go's suture). It is the only writer of its children's records
 * (record.ts): every change — an exit, a restart, a stop, an add, a removal — arrives as a message,
 * or, for a start on an idle supervisor, runs at once in the mailbox's turn (`Mailbox.runIfIdle`).
 * Strategy selection, intensity and backoff are pure functions (strategy.ts, policy/); this file
 * only decides and sequences. docs/semantics.md is the specification; comments quote the rule a
 * step implements.
 *
 * Each top-level entry of the manager runs under a supervisor of its own (`topLevel`): one child,
 * its own restart window and its own mailbox, so one slow start never holds up another entry. Such
 * a supervisor never gives up (SEMANTICS: "the manager's root never gives up"): when the window is
 * exceeded, or its supervision faults, the child is marked `failed` and everything else runs on;
 * with `recover`, it is started again after a cool-down (the entry's circuit breaker).
 *
 * Restart-policy completions (docs/restart-policies.md): `minUptime` flags unstable starts and
 * withholds their backoff reset; `schedule.restart` arms a timer per child on the manager's clock;
 * the manager's `restartBudget` (budget.ts) is asked once a restart's backoff delay is over.
 */
import { InvalidStateError } from '../api/errors.js';
import { TUNING } from '../api/tuning.js';
import type { EventName, EventPayload } from '../api/events.js';
import type { Clock, ClockTimer, ExitInfo, ExitReason, HealthStatus, OutputLine, State } from '../api/types.js';
import { backoffDelay, nextAttempt } from '../policy/backoff.js';
import { decideRestart } from '../policy/classify.js';
import { recordRestart } from '../policy/intensity.js';
import { isUnstableRun } from '../policy/min-uptime.js';
import { nextOccurrence } from '../policy/schedule.js';
import type { ResolvedChildSpec, ResolvedSupervisorSpec } from '../spec/resolved.js';
import { MAX_TIMER_MS } from '../spec/validate.js';
import { deferred, type Deferred } from '../util/deferred.js';
import { NONE } from '../util/none.js';
import type { RestartBudget } from './budget.js';
import type { Child, ChildListener } from './child.js';
import { Mailbox, type MailboxOwner } from './mailbox.js';
import type { QueuedMessage, RestartPlan, UrgentMessage } from './messages.js';
import { isActive, resetRecord, type ChildRecord } from './record.js';
import { SweepBatch } from '../os/cookie.js';
import { isStoppedWhileStarting, stoppedWhileStarting } from '../process/worker.js';
import { childStartError } from './start-error.js';
import { affectedChildren } from './strategy.js';

/** What a supervisor needs from the manager that owns the tree. */
export interface SupervisorHost {
  readonly clock: Clock;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Creates (and registers) the child for a spec and the record `parent` keeps of it. */
  createRecord(spec: ResolvedChildSpec, parent: Supervisor, dynamic: boolean): ChildRecord;
  /** Unregisters a child (and, for a supervisor, its whole subtree). */
  forget(record: ChildRecord): void;
  /** Told about every state change of a record. */
  changed(record: ChildRecord): void;
  /** The manager-wide restart budget, shared by every supervisor; absent when off. */
  readonly budget?: RestartBudget | undefined;
  /**
   * Starts `pm.reload()` of a process, in the background (it goes through this supervisor's
   * mailbox, so it must not be awaited from a handler); its failures are events.
   */
  readonly reload?: (name: string) => void;
}

/** A supervisor of processes and nested supervisors. */
export class Supervisor implements Child, MailboxOwner<QueuedMessage> {
  // The constant facts of every supervisor are getters, on the prototype: a field each would be
  // eight bytes of every top-level entry, each of which has its supervisor.
  get kind(): 'supervisor' {
    return 'supervisor';
  }
  get pid(): undefined {
    return undefined;
  }
  get lastPid(): undefined {
    return undefined;
  }
  get health(): HealthStatus {
    return 'unknown';
  }
  /** When the current run started. */
  startedAt: number | undefined;
  /** Children in start order. */
  private readonly records: ChildRecord[];
  /** Restart times inside `intensity.period` (each restart's verdict gives a fresh array). */
  private window: readonly number[] = NONE;
  /**
   * Pending group restarts, replaced (never changed in place) when one is added or removed: most
   * supervisors are a top-level entry's and never restart anything, so most share the empty one.
   */
  private plans: readonly RestartPlan[] = NONE;
  private readonly mailbox: Mailbox<QueuedMessage>;
  /** Hears of this supervisor's end; given by the parent with each start. */
  private listener: ChildListener | undefined;
  private phase: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
  /** Starts so far; every start after the first is from the static children. */
  private starts = 0;
  /** Set the moment a stop of this supervisor or an ancestor begins: nothing starts any more. */
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** Top level: the cool-down timer of the failed entry's next recovery attempt. */
  private recovery: ClockTimer | undefined;
  /** Top level: recovery attempts since the entry last ran (started by hand, or recovered). */
  private recoveries = 0;

  constructor(
    /** Its spec; `resize` (an instance group's scale) is the one writer of a new one. */
    public spec: ResolvedSupervisorSpec,
    readonly path: readonly string[],
    private readonly host: SupervisorHost,
    /** The supervisor of one top-level entry: invisible, never gives up (see the file comment). */
    readonly topLevel = false,
  ) {
    this.phase = topLevel ? 'running' : 'idle';
    this.mailbox = new Mailbox(this);
    // Made at its exact size: most supervisors are a top-level entry's, holding one child for good.
    this.records = spec.children.map((child) => host.createRecord(child, this, false));
  }

  get name(): string {
    return this.spec.name;
  }

  /** The records of the children, in start order (read-only: this supervisor writes them). */
  get children(): readonly ChildRecord[] {
    return this.records;
  }

  logs(): OutputLine[] {
    return [];
  }

  // ─── Requests from outside: each posts a message (a start on an idle mailbox runs in its turn) ───

  /** Starts the children in order; rejects (after stopping the started ones) if one fails to start. */
  start(listener: ChildListener): Promise<void> {
    this.listener = listener;
    this.stopping = false;
    this.stopped = undefined;
    return this.request((done) => ({ type: 'start', done }));
  }

  /** Holds a child added at runtime (started last, stopped first). Does not start it. */
  add(spec: ResolvedChildSpec): ChildRecord {
    const record = this.host.createRecord(spec, this, true);
    this.post({ type: 'add-child', record });
    return record;
  }

  /** Starts one child; a dynamic child that fails to start is discarded. */
  startChild(record: ChildRecord): Promise<void> {
    // At once when nothing else is being handled (a top-level entry's start, most often); queued
    // behind what is otherwise.
    return this.mailbox.runIfIdle(() => this.startOne(record)) ?? this.request((done) => ({ type: 'start-child', record, done }));
  }

  /** Stops one child by hand: it keeps its spec, is never restarted, and the stop never counts. */
  stopChild(record: ChildRecord): Promise<void> {
    this.urgent({ type: 'take-over', record });
    return this.request((done) => ({ type: 'stop-child', record, done }));
  }

  /** Stops a child if needed, then forgets it. */
  removeChild(record: ChildRecord): Promise<void> {
    this.urgent({ type: 'take-over', record });
    return this.request((done) => ({ type: 'remove-child', record, done }));
  }

  /**
   * Makes `children` its static children, in that order (an instance group's replicas, for
   * `pm.scale`): children no longer listed are stopped and forgotten, highest first; new ones are
   * created and, while it runs, started in order. They stay across its restarts (its spec changes).
   */
  resize(children: readonly ResolvedChildSpec[]): Promise<void> {
    return this.request((done) => ({ type: 'resize', children, done }));
  }

  /**
   * Stops every child in reverse start order. A stop during a stop returns the same promise. With a
   * finite `shutdown.timeout`, whatever still runs in the subtree after it is killed. Never rejects.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.urgent({ type: 'cancel-all' });
    const stopping = this.request((done) => ({ type: 'shutdown', done })).catch(() => {
      // A fault while stopping has already stopped every child (see `fault`).
    });
    this.stopped = this.spec.shutdownTimeout === Infinity ? stopping : this.killAfter(stopping, this.spec.shutdownTimeout);
    return this.stopped;
  }

  /**
   * Cancels, at once and through the whole subtree, everything that would start a process: pending
   * restarts and starts in flight (SEMANTICS: a stop of the child or its supervisor cancels the
   * pending start at once). The orderly stop then follows through the mailbox.
   */
  cancel(): void {
    this.urgent({ type: 'cancel-all' });
  }

  /** SIGKILLs every process of the subtree at once (a stop that ran out of time). */
  kill(): void {
    for (const { child } of this.records) child.kill();
  }

  // ─── The dispatcher ───

  private request(message: (done: Deferred<void>) => QueuedMessage): Promise<void> {
    const done = deferred();
    this.post(message(done));
    return done.promise;
  }

  private post(message: QueuedMessage): void {
    this.mailbox.post(message);
  }

  /** Handles an urgent message at once: it only cancels or marks, never awaits. */
  private urgent(message: UrgentMessage): void {
    switch (message.type) {
      case 'take-over':
        return this.takeOver(message.record);
      case 'cancel-all':
        return this.cancelAll();
      case 'child-ending':
        if (this.current(message.record, message.incarnation) && message.record.state === 'running') this.setState(message.record, 'stopping');
        return;
      case 'child-ended':
        // What users see changes at once; the decision about the exit waits its turn in the queue.
        if (this.current(message.record, message.incarnation) && !this.stopping && !message.record.manuallyStopped) {
          this.setState(message.record, endedState(message.record, message.exit));
        }
        return;
      default:
        return assertNever(message);
    }
  }

  /** Handles one message of its mailbox (only the mailbox calls it: one message at a time). */
  handle(message: QueuedMessage): Promise<void> | void {
    switch (message.type) {
      case 'start':
        return settle(message.done, this.startAll());
      case 'child-exited':
        return this.onChildExited(message.record, message.incarnation, message.exit);
      case 'restart-due':
        return this.onRestartDue(message.plan);
      case 'schedule-due':
        return this.onScheduleDue(message.record, message.timer);
      case 'recover-due':
        return this.onRecoverDue(message.record, message.timer);
      case 'add-child':
        this.records.push(message.record);
        return;
      case 'start-child':
        return settle(message.done, this.startOne(message.record));
      case 'stop-child':
        return settle(message.done, this.stopOne(message.record));
      case 'remove-child':
        return settle(message.done, this.removeOne(message.record));
      case 'resize':
        return settle(message.done, this.resizeTo(message.children));
      case 'shutdown':
        return settle(message.done, this.stopAll('stopped'));
      default:
        return assertNever(message);
    }
  }

  /**
   * A handler threw: a fault of this supervisor (a backoff function that threw, a bug). As OTP's
   * supervisor would, it fails: its children are stopped and its parent's strategy decides. A
   * top-level entry's supervisor marks its child `failed` with a `give-up`, and the manager runs on.
   * Whoever waited for the message is told.
   */
  async fault(error: unknown, message: QueuedMessage): Promise<void> {
    const cause = error instanceof Error ? error : new Error(String(error));
    if ('done' in message) message.done.reject(cause);
    const subject = this.topLevel ? this.records[0]?.child : this;
    this.host.emit('error', { name: subject?.name ?? this.name, time: this.host.clock.now(), path: subject?.path ?? this.path, error: cause });
    if (this.stopping) return;
    if (this.topLevel) {
      const record = this.records[0];
      if (!record) return;
      this.cancelPlans();
      record.plan = undefined;
      await record.child.stop();
      record.ended = true;
      this.disarmSchedule(record);
      this.setState(record, 'failed');
      const { maxRestarts, period } = this.spec.intensity;
      this.host.emit('give-up', { ...base(record.child, this.host.clock), maxRestarts, period });
      this.scheduleRecovery(record);
      return;
    }
    await this.endByItself('fault');
  }

  // ─── Handlers ───

  /** SEMANTICS: children start one at a time in list order, each after the previous is started. */
  private async startAll(): Promise<void> {
    // A restarted supervisor starts from its static children; children added at runtime are gone.
    if (this.starts++ > 0) this.restoreStaticChildren();
    this.window = NONE;
    this.phase = 'starting';
    this.startedAt = this.host.clock.now();
    for (const record of this.records) resetRecord(record);
    for (const [index, record] of this.records.entries()) {
      if (this.stopping) throw stoppedWhileStarting(this.name);
      try {
        await this.launch(record);
      } catch (cause) {
        // Nothing after it starts; what started stops again, in reverse. No retry, no intensity.
        await this.stopInReverse(this.records.slice(0, index));
        if (this.stopping) throw stoppedWhileStarting(this.name);
        this.phase = 'failed';
        throw childStartError(this.name, record.child.name, cause);
      }
    }
    if (this.stopping) throw stoppedWhileStarting(this.name);
    this.phase = 'running';
    this.host.emit('ready', { ...base(this, this.host.clock), data: undefined });
  }

  private async startOne(record: ChildRecord): Promise<void> {
    if (!this.holds(record)) throw new InvalidStateError(`\`${record.child.name}\` is no longer supervised`);
    if (record.state === 'running' || record.state === 'starting') return;
    try {
      if (this.stopping || this.phase !== 'running') throw this.notRunning(record);
      this.leavePlan(record);
      resetRecord(record);
      // A top-level entry started by hand (a revival included) begins with a fresh window.
      if (this.topLevel) {
        this.window = NONE;
        this.cancelRecovery();
        this.recoveries = 0;
      }
      // Only a dynamic child has anything to undo when its launch fails: the others are not waited
      // for here (a start of a thousand entries would hold a thousand suspended frames of this).
      if (!record.dynamic) return this.launch(record);
      await this.launch(record);
    } catch (error) {
      if (record.dynamic && !record.manuallyStopped) this.drop(record);
      throw error;
    }
  }

  private async resizeTo(children: readonly ResolvedChildSpec[]): Promise<void> {
    const wanted = new Set(children.map((c) => c.name));
    for (const record of this.records.filter((r) => !r.dynamic && !wanted.has(r.child.name)).reverse()) await this.removeOne(record);
    this.spec = Object.freeze({ ...this.spec, children: Object.freeze([...children]) });
    const added: ChildRecord[] = [];
    for (const spec of children) {
      if (this.records.some((r) => r.child.name === spec.name)) continue;
      const record = this.host.createRecord(spec, this, false);
      this.records.push(record);
      added.push(record);
    }
    if (this.phase !== 'running' || this.stopping) return;
    for (const record of added) await this.startOne(record);
  }

  private async stopOne(record: ChildRecord): Promise<void> {
    record.manuallyStopped = true;
    this.leavePlan(record);
    await this.stopChildNow(record);
  }

  private async removeOne(record: ChildRecord): Promise<void> {
    if (!this.holds(record)) return;
    await this.stopChildNow(record);
    this.drop(record);
  }

  /** Stops every child in reverse start order, one at a time, each by its own shutdown spec. */
  private async stopAll(final: 'stopped' | 'failed'): Promise<void> {
    if (this.phase !== 'idle') this.phase = 'stopping';
    this.cancelPlans();
    await this.stopInReverse(this.records);
    this.phase = final;
  }

  /** Stops `records` one at a time, last first; their cookie sweeps run once, after the last. */
  private async stopInReverse(records: readonly ChildRecord[]): Promise<void> {
    const sweeps = new SweepBatch();
    for (const record of [...records].reverse()) {
      record.plan = undefined;
      this.disarmSchedule(record);
      await this.stopChildNow(record, sweeps);
    }
    await sweeps.run(TUNING.unstoppedGrace);
  }

  /**
   * Stops one child by its own shutdown spec; it shows `stopping`, then `stopped`. With `sweeps`,
   * the stop's cookie sweep is left to the batch (the caller runs it after its last stop).
   */
  private async stopChildNow(record: ChildRecord, sweeps?: SweepBatch): Promise<void> {
    if (record.state === 'running' || record.state === 'starting') this.setState(record, 'stopping');
    await record.child.stop(sweeps?.defer);
    if (!record.removed) this.setState(record, 'stopped');
  }

  private onChildExited(record: ChildRecord, incarnation: number, exit: ExitInfo): Promise<void> | void {
    // An exit from an incarnation that was started again, or taken over by a group restart since.
    if (!this.current(record, incarnation)) return;
    record.lastExit = exit;
    // SEMANTICS: during a stop nothing restarts; children that exit meanwhile are simply recorded.
    if (this.stopping || record.manuallyStopped) return this.emitExit(record, exit, false);
    if (this.topLevel && record.child.kind === 'supervisor') {
      // A top-level tree that gave up (or shut itself down) stays down; it is never restarted.
      record.ended = true;
      this.setState(record, endedState(record, exit));
      this.emitExit(record, exit, false);
      if (record.state === 'failed') this.scheduleRecovery(record);
      return;
    }
    const decision = decideRestart(record.child.spec.restart, exit.class);
    if (decision === 'restart') return this.restartFrom(record, exit);
    this.emitExit(record, exit, false);
    record.ended = true;
    this.setState(record, endedState(record, exit));
    if (decision === 'remove') this.drop(record);
    return this.checkAutoShutdown(record);
  }

  /**
   * Decides a restart caused by `record` (its exit, or a failed start): records it against the
   * intensity window before any backoff, works out the delay, stops the bystanders the strategy
   * picks, and schedules the start of the whole group after the delay.
   */
  private async restartFrom(record: ChildRecord, exit?: ExitInfo): Promise<void> {
    const now = this.host.clock.now();
    const verdict = recordRestart(this.window, now, this.spec.intensity);
    this.window = verdict.window;
    // The delay before anything changes: a backoff function that throws (or returns a delay no
    // timer can hold) faults the supervisor, and the exit says it will not restart.
    const backoff = record.child.spec.backoff;
    // An unstable start (a run shorter than `minUptime`) earns no backoff reset (policy/min-uptime.ts).
    const attempt = nextAttempt(record.attempt, uptimeOf(record, exit?.time ?? now), backoff, minUptimeOf(record));
    let delay = 0;
    let failure: unknown;
    if (!verdict.exceeded) {
      try {
        delay = backoffDelay(backoff, attempt);
      } catch (error) {
        failure = error;
      }
    }
    if (exit) this.emitExit(record, exit, !verdict.exceeded && failure === undefined);
    if (failure !== undefined) throw failure;
    if (verdict.exceeded) return this.giveUp(record);
    record.attempt = attempt;

    const strategy = this.spec.strategy;
    const picked = affectedChildren(strategy, this.records.indexOf(record), this.records.map(isActive));
    const group = picked.map((i) => this.records[i] as ChildRecord);
    // The group restart covers whatever an old incarnation of the group still reports: never doubled.
    for (const member of group) member.incarnation++;

    // Bystanders stop in reverse start order; temporary ones are removed, and `never` ones kept
    // (stopped), not restarted.
    const kept = new Set<ChildRecord>();
    const sweeps = new SweepBatch();
    for (const bystander of group.filter((r) => r !== record).reverse()) {
      const pending = this.leavePlan(bystander);
      if (!pending) await this.stopChildNow(bystander, sweeps);
      if (bystander.child.spec.restart === 'temporary') this.drop(bystander);
      if (bystander.child.spec.restart === 'never') kept.add(bystander);
    }
    await sweeps.run(TUNING.unstoppedGrace);
    if (this.stopping) return;
    const restarting = group.filter((r) => this.holds(r) && !r.manuallyStopped && !kept.has(r));
    this.leavePlan(record);
    if (!restarting.includes(record)) return;

    for (const r of restarting) this.setState(r, r.child.kind === 'process' ? 'backoff' : 'stopped');
    this.host.emit('restart', { ...base(record.child, this.host.clock), attempt, delay });
    if (!this.topLevel) {
      const children = restarting.map((r) => r.child.name);
      this.host.emit('supervisor:restart', { ...base(this, this.host.clock), strategy, child: record.child.name, children });
    }
    const plan: RestartPlan = { cause: record, records: restarting, timer: undefined, admitted: false, ticket: undefined };
    for (const r of restarting) r.plan = plan;
    this.plans = [...this.plans, plan];
    // No delay means no timer (a 0 ms timer still waits a millisecond): the restart is the next message.
    if (delay === 0) this.post({ type: 'restart-due', plan });
    else plan.timer = this.host.clock.setTimeout(() => this.post({ type: 'restart-due', plan }), delay);
  }

  /** Starts a group again, in start order. A child stopped or started by hand meanwhile left the plan. */
  private async onRestartDue(plan: RestartPlan): Promise<void> {
    if (!this.plans.includes(plan) || this.stopping) return;
    if (!this.admitted(plan)) return;
    plan.ticket = undefined;
    try {
      for (const record of [...plan.records]) {
        // Cancelled meanwhile: its cause was stopped by hand, or a stop began.
        if (!this.plans.includes(plan) || this.stopping) return;
        if (record.plan !== plan) continue;
        record.plan = undefined;
        record.restarts++;
        try {
          await this.launch(record);
        } catch {
          if (this.stopping) return;
          if (record.manuallyStopped || !this.holds(record)) continue;
          this.forgetPlan(plan);
          // SEMANTICS: a failed start counts as a restart, and the strategy applies again from it.
          return await this.restartFrom(record);
        }
      }
    } finally {
      this.forgetPlan(plan);
    }
  }

  /**
   * Asks the manager's restart budget, once per plan, whether the restart may start now. When the
   * budget is spent the restart waits in its queue (still `backoff`), a `restart-delayed` event says
   * for how long at most, and its grant posts `restart-due` again in its turn.
   */
  private admitted(plan: RestartPlan): boolean {
    const budget = this.host.budget;
    if (budget === undefined || plan.admitted) return true;
    plan.admitted = true;
    const ticket = budget.request(() => this.post({ type: 'restart-due', plan }));
    if (ticket === undefined) return true;
    plan.ticket = ticket;
    const { delay, position } = ticket;
    this.host.emit('restart-delayed', { ...base(plan.cause.child, this.host.clock), delay, position, reason: 'budget' });
    return false;
  }

  // ─── Scheduled restarts (`schedule.restart`) ───

  /** Arms the child's next scheduled restart on the manager's clock, unless one is armed already. */
  private armSchedule(record: ChildRecord): void {
    const spec = record.child.spec;
    if (spec.kind !== 'process' || spec.schedule === undefined || record.schedule !== undefined) return;
    const now = this.host.clock.now();
    const due = nextOccurrence(spec.schedule.restart, now);
    if (due === undefined) return;
    // A timer holds at most MAX_TIMER_MS: a farther occurrence is reached in steps.
    const timer: ClockTimer = this.host.clock.setTimeout(() => this.post({ type: 'schedule-due', record, timer }), Math.min(due - now, MAX_TIMER_MS));
    record.schedule = { timer, due };
  }

  private disarmSchedule(record: ChildRecord): void {
    if (record.schedule !== undefined) this.host.clock.clearTimeout(record.schedule.timer);
    record.schedule = undefined;
  }

  /**
   * An occurrence came due: the next one is armed, then a running child is restarted, and one that
   * ended for good by itself (`exited`, its exit decided) is started. In any other state (waiting
   * for a restart, starting, stopping, failed) the occurrence is skipped.
   */
  private async onScheduleDue(record: ChildRecord, timer: unknown): Promise<void> {
    const armed = record.schedule;
    // Disarmed (stopped, removed, failed) or re-armed since the timer fired.
    if (armed === undefined || armed.timer !== timer || !this.holds(record)) return;
    record.schedule = undefined;
    if (this.stopping || record.manuallyStopped) return;
    const early = this.host.clock.now() < armed.due;
    this.armSchedule(record);
    if (early) return;
    if (record.state === 'running' || (record.state === 'exited' && record.ended)) await this.scheduledRestart(record);
  }

  /**
   * A scheduled restart: graceful (the stop ladder, then a start) and never counted toward
   * intensity, like a restart by hand; only this child, whatever the strategy. A start that fails
   * is a failed restart attempt like any other: it counts, and the restart policy takes over.
   *
   * The seam for `reload`: a spec that can reload in place would be reloaded here instead.
   */
  private async scheduledRestart(record: ChildRecord): Promise<void> {
    const { child } = record;
    const schedule = child.spec.kind === 'process' ? (child.spec.schedule?.restart ?? '') : '';
    this.host.emit('schedule-due', { ...base(child, this.host.clock), ...(child.pid !== undefined ? { pid: child.pid } : {}), schedule });
    // A process that shares its listening sockets is reloaded instead: a surge copy serves while
    // it restarts. The reload runs after this message, through the manager.
    if (record.state === 'running' && child.spec.kind === 'process' && child.spec.sockets.length > 0 && this.host.reload) {
      this.host.reload(child.name);
      return;
    }
    if (record.state === 'running') await this.stopChildNow(record);
    if (this.stopping || record.manuallyStopped || !this.holds(record)) return;
    record.ended = false;
    try {
      await this.launch(record);
    } catch {
      if (this.stopping || record.manuallyStopped || !this.holds(record)) return;
      await this.restartFrom(record);
    }
  }

  // ─── Recovery of a failed top-level entry (`recover.after`) ───

  /** Top level: a `failed` entry with `recover` is started again after its cool-down (open → half-open). */
  private scheduleRecovery(record: ChildRecord): void {
    const recover = record.child.spec.recover;
    if (!this.topLevel || recover === undefined || this.stopping || record.manuallyStopped || !this.holds(record)) return;
    this.cancelRecovery();
    const timer: ClockTimer = this.host.clock.setTimeout(() => this.post({ type: 'recover-due', record, timer }), recover.after);
    this.recovery = timer;
    this.host.emit('recover-scheduled', { ...base(record.child, this.host.clock), after: recover.after });
  }

  private cancelRecovery(): void {
    if (this.recovery !== undefined) this.host.clock.clearTimeout(this.recovery);
    this.recovery = undefined;
  }

  /**
   * The cool-down is over (half-open): a fresh start with a fresh restart window. Started, the entry
   * runs again under its restart policy (closed); a start that fails leaves it `failed` for another
   * cool-down (open), as does a later give-up.
   */
  private async onRecoverDue(record: ChildRecord, timer: unknown): Promise<void> {
    if (this.recovery !== timer) return;
    this.recovery = undefined;
    if (this.stopping || record.manuallyStopped || !this.holds(record) || record.state !== 'failed') return;
    this.host.emit('recover', { ...base(record.child, this.host.clock), attempt: ++this.recoveries });
    this.window = NONE;
    resetRecord(record);
    try {
      await this.launch(record);
      this.recoveries = 0;
    } catch {
      if (this.stopping || record.manuallyStopped || !this.holds(record)) return;
      record.ended = true;
      this.setState(record, 'failed');
      this.scheduleRecovery(record);
    }
  }

  /** Gives up: a top-level entry's child is marked failed; any other supervisor stops and escalates. */
  private async giveUp(record: ChildRecord): Promise<void> {
    const { maxRestarts, period } = this.spec.intensity;
    if (this.topLevel) {
      // The entry has no live process here: it just exited, or its start just failed.
      record.ended = true;
      this.leavePlan(record);
      this.disarmSchedule(record);
      this.setState(record, 'failed');
      this.host.emit('give-up', { ...base(record.child, this.host.clock), maxRestarts, period });
      this.scheduleRecovery(record);
      return;
    }
    this.host.emit('supervisor:give-up', { ...base(this, this.host.clock), child: record.child.name, maxRestarts, period });
    await this.endByItself('give-up');
  }

  /** SEMANTICS: automatic shutdown when significant children end by themselves and are not restarted. */
  private checkAutoShutdown(record: ChildRecord): Promise<void> | void {
    if (this.spec.autoShutdown === 'never' || !record.child.spec.significant) return;
    if (this.spec.autoShutdown === 'all-significant') {
      if (this.records.some((r) => r !== record && r.child.spec.significant && isActive(r))) return;
    }
    this.host.emit('supervisor:auto-shutdown', { ...base(this, this.host.clock), child: record.child.name });
    return this.endByItself('auto-shutdown');
  }

  /** Stops all children and reports the end to the parent (class `shutdown`, or `abnormal` for a fault). */
  private async endByItself(reason: ExitReason): Promise<void> {
    this.listener?.ending();
    this.cancelAll();
    await this.stopAll(reason === 'auto-shutdown' ? 'stopped' : 'failed');
    const exit: ExitInfo = { exitCode: null, signal: null, class: reason === 'fault' ? 'abnormal' : 'shutdown', reason, time: this.host.clock.now() };
    this.listener?.exited(exit);
  }

  // ─── Urgent steps ───

  /** Marks a child as stopped by hand and cancels at once whatever would start it. */
  private takeOver(record: ChildRecord): void {
    record.manuallyStopped = true;
    this.disarmSchedule(record);
    if (this.topLevel) this.cancelRecovery();
    // SEMANTICS: stopping the cause of a pending group restart cancels it; the others stay down.
    for (const plan of [...this.plans]) if (plan.cause === record) this.cancelPlan(plan);
    if (this.leavePlan(record)) this.setState(record, 'stopped');
    record.child.cancel();
  }

  /** A stop began here or above: nothing starts any more, anywhere below. */
  private cancelAll(): void {
    this.stopping = true;
    this.cancelPlans();
    this.cancelRecovery();
    for (const record of this.records) {
      record.plan = undefined;
      this.disarmSchedule(record);
      record.child.cancel();
    }
  }

  // ─── Helpers ───

  /** Starts one incarnation of a child; its end is reported with the incarnation's number. */
  private async launch(record: ChildRecord): Promise<void> {
    const incarnation = ++record.incarnation;
    record.upSince = undefined;
    this.setState(record, 'starting');
    try {
      await record.child.start(new RunListener(this, record, incarnation), { restarts: record.restarts });
    } catch (error) {
      if (this.current(record, incarnation)) this.setState(record, isStoppedWhileStarting(error) ? 'stopped' : 'failed');
      throw error;
    }
    record.upSince = this.host.clock.now();
    if (this.current(record, incarnation) && record.state === 'starting') this.setState(record, 'running');
    if (this.current(record, incarnation) && !this.stopping && !record.manuallyStopped) this.armSchedule(record);
  }

  /** A run of `record` ended by itself ({@link RunListener}). */
  runExited(record: ChildRecord, incarnation: number, exit: ExitInfo): void {
    this.urgent({ type: 'child-ended', record, incarnation, exit });
    this.post({ type: 'child-exited', record, incarnation, exit });
  }

  /** A run of `record` began ending for a supervision reason ({@link RunListener}). */
  runEnding(record: ChildRecord, incarnation: number): void {
    this.urgent({ type: 'child-ending', record, incarnation });
  }

  /** A run of `record` asks to be stopped by hand ({@link RunListener}). */
  runStopRequested(record: ChildRecord, incarnation: number): void {
    if (this.current(record, incarnation)) void this.stopChild(record).catch(() => {});
  }

  private setState(record: ChildRecord, next: State): void {
    if (record.state === next) return;
    record.state = next;
    this.host.changed(record);
  }

  private holds(record: ChildRecord): boolean {
    return !record.removed && this.records.includes(record);
  }

  /** True while `incarnation` is the child's latest and the child is still held here. */
  private current(record: ChildRecord, incarnation: number): boolean {
    return record.incarnation === incarnation && this.holds(record);
  }

  /** A restarted supervisor's children are its static children again, in spec order. */
  private restoreStaticChildren(): void {
    const restored = this.spec.children.map(
      // By name as well: a resized instance group (`pm.scale`) is the same child with a new spec.
      (spec) => this.records.find((r) => r.child.spec === spec || (!r.dynamic && r.child.name === spec.name)) ?? this.host.createRecord(spec, this, false),
    );
    for (const record of this.records.filter((r) => !restored.includes(r))) this.drop(record);
    this.records.splice(0, this.records.length, ...restored);
  }

  private notRunning(record: ChildRecord): InvalidStateError {
    const state = this.stopping && this.phase === 'running' ? 'stopping' : this.phase;
    return new InvalidStateError(`Cannot start \`${record.child.name}\`: supervisor \`${this.name}\` is ${state}`);
  }

  private drop(record: ChildRecord): void {
    const index = this.records.indexOf(record);
    if (index < 0) return;
    this.leavePlan(record);
    this.disarmSchedule(record);
    this.records.splice(index, 1);
    record.removed = true;
    this.host.forget(record);
  }

  /** Takes a child out of its pending restart; true if it was waiting for one. */
  private leavePlan(record: ChildRecord): boolean {
    const plan = record.plan;
    if (!plan) return false;
    record.plan = undefined;
    plan.records = plan.records.filter((r) => r !== record);
    if (plan.records.length === 0) {
      this.disposePlan(plan);
      this.forgetPlan(plan);
    }
    return true;
  }

  /** Cancels one pending group restart: its members that wait for it stay down (`stopped`). */
  private cancelPlan(plan: RestartPlan): void {
    this.disposePlan(plan);
    this.forgetPlan(plan);
    for (const member of plan.records) {
      if (member.plan !== plan) continue;
      member.plan = undefined;
      this.setState(member, 'stopped');
    }
  }

  private forgetPlan(plan: RestartPlan): void {
    if (this.plans.includes(plan)) this.plans = this.plans.filter((p) => p !== plan);
  }

  private cancelPlans(): void {
    const plans = this.plans;
    this.plans = NONE;
    for (const plan of plans) this.disposePlan(plan);
  }

  /** Clears a plan's backoff timer and takes it out of the budget's queue. */
  private disposePlan(plan: RestartPlan): void {
    if (plan.timer !== undefined) this.host.clock.clearTimeout(plan.timer);
    plan.timer = undefined;
    plan.ticket?.cancel();
    plan.ticket = undefined;
  }

  /** Waits for `work`; if it takes longer than `ms`, kills the subtree meanwhile so it ends. */
  private killAfter(work: Promise<void>, ms: number): Promise<void> {
    const timer = this.host.clock.setTimeout(() => this.kill(), ms);
    return work.finally(() => this.host.clock.clearTimeout(timer));
  }

  private emitExit(record: ChildRecord, exit: ExitInfo, willRestart: boolean): void {
    const { child } = record;
    const unstable = isUnstableRun(uptimeOf(record, exit.time), minUptimeOf(record));
    this.host.emit('exit', {
      ...base(child, this.host.clock),
      ...(child.lastPid !== undefined ? { pid: child.lastPid } : {}),
      exitCode: exit.exitCode,
      signal: exit.signal,
      class: exit.class,
      reason: exit.reason,
      willRestart,
      ...(unstable ? { unstable: true as const } : {}),
    });
  }
}

/** How long the child's latest incarnation had been started at `end` (0 if it never was). */
function uptimeOf(record: ChildRecord, end: number): number {
  return record.upSince === undefined ? 0 : Math.max(0, end - record.upSince);
}

/** The child's `minUptime` (processes only; 0 is off). */
function minUptimeOf(record: ChildRecord): number {
  return record.child.spec.kind === 'process' ? record.child.spec.minUptime : 0;
}

/**
 * The state of a child that ended by itself and is not restarted: a process has `exited`; a
 * supervisor that shut itself down is `stopped`, one that gave up or faulted has `failed`.
 */
function endedState(record: ChildRecord, exit: ExitInfo): State {
  if (record.child.kind === 'process') return 'exited';
  return exit.reason === 'auto-shutdown' ? 'stopped' : 'failed';
}

/** The fields every event about `child` starts with. */
function base(child: Child, clock: Clock): { name: string; time: number; path: readonly string[] } {
  return { name: child.name, time: clock.now(), path: child.path };
}

function settle(done: Deferred<void>, work: Promise<void>): Promise<void> {
  return work.then(done.resolve, done.reject);
}

function assertNever(value: never): never {
  throw new Error(`Unhandled supervisor message: ${JSON.stringify(value)}`);
}

/**
 * What a supervisor hears from one run of a child, passed on with the run's number: one small
 * object per run rather than three closures and the context they share (every live process has
 * one).
 */
class RunListener implements ChildListener {
  constructor(
    private readonly owner: Supervisor,
    private readonly record: ChildRecord,
    private readonly incarnation: number,
  ) {}

  exited(exit: ExitInfo): void {
    this.owner.runExited(this.record, this.incarnation, exit);
  }

  ending(): void {
    this.owner.runEnding(this.record, this.incarnation);
  }

  stopRequested(): void {
    this.owner.runStopRequested(this.record, this.incarnation);
  }
}
