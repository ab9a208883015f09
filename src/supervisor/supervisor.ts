/**
 * The supervisor: one state record and one dispatcher over a closed union of messages, handled one
 * at a time (OTP's `supervisor.erl`, Go's suture). Strategy selection, intensity and backoff are
 * pure functions (strategy.ts, policy/); this file only decides and sequences. SEMANTICS.md is the
 * specification; comments quote the rule a step implements.
 *
 * The manager's root is a supervisor too, with three differences (SEMANTICS: "the manager's root
 * never gives up"): each top-level child keeps its own restart window, a top-level child that exceeds
 * it, or a top-level tree that gives up, is marked `failed` while everything else runs on, and each
 * top-level child has its own mailbox lane so one slow start never holds up the others.
 */
import { StateError } from '../api/errors.js';
import type { EventName, EventPayload } from '../api/events.js';
import { backoffDelay, nextAttempt } from '../policy/backoff.js';
import { decideRestart } from '../policy/classify.js';
import { recordRestart } from '../policy/intensity.js';
import { StoppedWhileStartingError } from '../process/worker.js';
import type { ResolvedChildSpec, ResolvedIntensity, ResolvedSupervisorSpec } from '../spec/resolved.js';
import type { Clock, ExitInfo, ExitReason, SupervisorState } from '../api/types.js';
import { deferred, quiet, type Deferred } from '../util/deferred.js';
import { Mailbox } from './mailbox.js';
import type { RestartPlan, SupervisorMessage } from './messages.js';
import { createSlot, isActive, resetSlot, type ChildNode, type Slot } from './slot.js';
import { childStartError } from './start-error.js';
import { affectedChildren } from './strategy.js';

/** What a supervisor needs from the manager that owns the tree. */
export interface SupervisorHost {
  readonly clock: Clock;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Creates (and registers) the node for a child spec. */
  createNode(spec: ResolvedChildSpec, parent: Supervisor): ChildNode;
  /** Unregisters a node (and, for a supervisor, its whole subtree). */
  forget(node: ChildNode): void;
  /** Told about every state change. */
  stateChanged(node: ChildNode): void;
}

/** A supervisor of processes and nested supervisors. */
export class Supervisor {
  readonly kind = 'supervisor' as const;
  /** Children in start order. */
  readonly slots: Slot[] = [];
  /** Restarts of this supervisor by its parent. */
  restarts = 0;
  lastExit: ExitInfo | undefined;
  startedAt: number | undefined;
  /** Called when this supervisor ends by itself (gave up, or auto-shutdown); set by its parent. */
  onExit: ((exit: ExitInfo) => void) | undefined;
  readonly pid = undefined;
  private currentState: SupervisorState = 'idle';
  /** Restart times inside `intensity.period` (not used at the root: see `Slot.window`). */
  private window: number[] = [];
  private readonly plans = new Set<RestartPlan>();
  private readonly mailbox: Mailbox<SupervisorMessage>;
  /** Starts so far; every start after the first is from the static children. */
  private starts = 0;
  /** Set the moment a stop of this supervisor or an ancestor begins: nothing starts any more. */
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly spec: ResolvedSupervisorSpec,
    readonly path: readonly string[],
    private readonly host: SupervisorHost,
    /** The manager's root: per-child windows and lanes, never gives up. */
    readonly isRoot = false,
  ) {
    this.mailbox = new Mailbox(
      (message) => this.handle(message),
      (message) => this.laneOf(message),
      (error) => this.host.emit('error', { ...this.base(), error: error instanceof Error ? error : new Error(String(error)) }),
    );
    for (const child of spec.children) this.slots.push(createSlot(host.createNode(child, this), false));
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): SupervisorState {
    return this.currentState;
  }
  set state(next: SupervisorState) {
    if (next === this.currentState) return;
    this.currentState = next;
    this.host.stateChanged(this);
  }

  // ─── Requests from outside: each posts a message and waits for its handling ───

  /** Starts the children in order; rejects (after stopping the started ones) if one fails to start. */
  start(): Promise<void> {
    this.stopping = false;
    this.stopped = undefined;
    return this.request((done) => ({ type: 'start', done }));
  }

  /** Adds a child at runtime (started last, stopped first). Does not start it. */
  addChild(spec: ResolvedChildSpec): Slot {
    const slot = createSlot(this.host.createNode(spec, this), true);
    this.slots.push(slot);
    return slot;
  }

  /** Starts one child; a dynamic child that fails to start is discarded. */
  startChild(slot: Slot): Promise<void> {
    return this.request((done) => ({ type: 'start-child', slot, done }));
  }

  /** Stops one child by hand: it keeps its spec, is never restarted, and the stop never counts. */
  stopChild(slot: Slot): Promise<void> {
    this.takeOver(slot);
    return this.request((done) => ({ type: 'stop-child', slot, done }));
  }

  /** Stops a child if needed, then forgets it. */
  removeChild(slot: Slot): Promise<void> {
    this.takeOver(slot);
    return this.request((done) => ({ type: 'remove-child', slot, done }));
  }

  /**
   * Stops every child in reverse start order. A stop during a stop returns the same promise. With a
   * finite `shutdown.timeout`, whatever still runs in the subtree after it is killed.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.prepareStop();
    const stopping = this.request((done) => ({ type: 'shutdown', done }));
    this.stopped = this.spec.shutdownTimeout === Infinity ? stopping : this.killAfter(stopping, this.spec.shutdownTimeout);
    return this.stopped;
  }

  /**
   * Cancels, at once and through the whole subtree, everything that would start a process: pending
   * restarts and starts in flight (SEMANTICS: a stop of the child or its supervisor cancels the
   * pending start at once). The orderly stop then follows through the mailbox.
   */
  prepareStop(): void {
    this.stopping = true;
    for (const plan of this.plans) if (plan.timer !== undefined) this.host.clock.clearTimeout(plan.timer);
    this.plans.clear();
    for (const slot of this.slots) {
      slot.plan = undefined;
      cutShort(slot.node);
    }
  }

  /** SIGKILLs every process of the subtree at once (a stop that ran out of time). */
  kill(): void {
    for (const { node } of this.slots) node.kill();
  }

  // ─── The dispatcher ───

  private request(message: (done: Deferred<void>) => SupervisorMessage): Promise<void> {
    const done = deferred();
    this.mailbox.post(message(done));
    return done.promise;
  }

  private post(message: SupervisorMessage): void {
    this.mailbox.post(message);
  }

  /** A user supervisor has one lane; the root has one per top-level child (see the file comment). */
  private laneOf(message: SupervisorMessage): unknown {
    if (!this.isRoot) return this;
    switch (message.type) {
      case 'child-exited':
      case 'start-child':
      case 'stop-child':
      case 'remove-child':
        return message.slot;
      case 'restart-due':
        return message.plan.cause;
      default:
        return this;
    }
  }

  private handle(message: SupervisorMessage): Promise<void> | void {
    switch (message.type) {
      case 'start':
        return settle(message.done, this.startAll());
      case 'child-exited':
        return this.onChildExited(message.slot, message.incarnation, message.exit);
      case 'restart-due':
        return this.onRestartDue(message.plan);
      case 'start-child':
        return settle(message.done, this.startOne(message.slot));
      case 'stop-child':
        return settle(message.done, this.stopOne(message.slot));
      case 'remove-child':
        return settle(message.done, this.removeOne(message.slot));
      case 'shutdown':
        return settle(message.done, this.stopAll('stopped'));
      default:
        return assertNever(message);
    }
  }

  // ─── Handlers ───

  /** SEMANTICS: children start one at a time in list order, each after the previous is started. */
  private async startAll(): Promise<void> {
    // A restarted supervisor starts from its static children; children added at runtime are gone.
    if (this.starts++ > 0) this.restoreStaticChildren();
    this.window = [];
    this.state = 'starting';
    this.startedAt = this.host.clock.now();
    for (const slot of this.slots) resetSlot(slot);
    for (const [index, slot] of this.slots.entries()) {
      if (this.stopping) throw new StoppedWhileStartingError(this.name);
      try {
        await this.launch(slot);
      } catch (cause) {
        // Nothing after it starts; what started stops again, in reverse. No retry, no intensity.
        await this.stopInReverse(this.slots.slice(0, index));
        if (this.stopping) throw new StoppedWhileStartingError(this.name);
        this.state = 'failed';
        throw childStartError(this.name, slot.node.name, cause);
      }
    }
    if (this.stopping) throw new StoppedWhileStartingError(this.name);
    this.state = 'running';
    this.host.emit('ready', { ...this.base(), data: undefined });
  }

  private async startOne(slot: Slot): Promise<void> {
    if (!this.slots.includes(slot)) throw new StateError(`\`${slot.node.name}\` is no longer supervised`);
    if (slot.node.state === 'running' || slot.node.state === 'starting') return;
    try {
      if (this.stopping || (!this.isRoot && this.state !== 'running')) throw this.notRunning(slot);
      this.leavePlan(slot);
      // Top-level entries stop in reverse order of their starts.
      if (this.isRoot) this.slots.push(...this.slots.splice(this.slots.indexOf(slot), 1));
      resetSlot(slot);
      await this.launch(slot);
    } catch (error) {
      if (slot.dynamic && !this.isRoot && !slot.manuallyStopped) this.drop(slot);
      throw error;
    }
  }

  private async stopOne(slot: Slot): Promise<void> {
    slot.manuallyStopped = true;
    this.leavePlan(slot);
    await slot.node.stop();
    slot.node.state = 'stopped';
  }

  private async removeOne(slot: Slot): Promise<void> {
    if (!this.slots.includes(slot)) return;
    await slot.node.stop();
    this.drop(slot);
  }

  /** Stops every child in reverse start order, one at a time, each by its own shutdown spec. */
  private async stopAll(finalState: SupervisorState): Promise<void> {
    if (this.state !== 'idle') this.state = 'stopping';
    for (const plan of this.plans) if (plan.timer !== undefined) this.host.clock.clearTimeout(plan.timer);
    this.plans.clear();
    await this.stopInReverse(this.slots);
    this.state = finalState;
  }

  private async stopInReverse(slots: readonly Slot[]): Promise<void> {
    for (const slot of [...slots].reverse()) {
      slot.plan = undefined;
      await slot.node.stop();
      slot.node.state = 'stopped';
    }
  }

  private onChildExited(slot: Slot, incarnation: number, exit: ExitInfo): Promise<void> | void {
    // An exit from an incarnation that was started again, or taken over by a group restart since.
    if (!this.slots.includes(slot) || slot.incarnation !== incarnation) return;
    const { node } = slot;
    node.lastExit = exit;
    // SEMANTICS: during a stop nothing restarts; children that exit meanwhile are simply recorded.
    if (this.stopping || slot.manuallyStopped) return this.emitExit(slot, exit, false);
    if (this.isRoot && node.kind === 'supervisor') {
      // A top-level tree that gave up (or shut itself down) stays down; the root never restarts it.
      slot.ended = true;
      node.state = exit.reason === 'giveup' ? 'failed' : 'stopped';
      return this.emitExit(slot, exit, false);
    }
    const decision = decideRestart(node.spec.restart, exit.class);
    if (decision === 'restart') return this.restartFrom(slot, exit);
    this.emitExit(slot, exit, false);
    slot.ended = true;
    if (decision === 'remove') this.drop(slot);
    return this.checkAutoShutdown(slot);
  }

  /**
   * Decides a restart caused by `slot` (its exit, or a failed start): records it against the
   * intensity window before any backoff, stops the bystanders the strategy picks, and schedules the
   * start of the whole group after the cause's backoff delay.
   */
  private async restartFrom(slot: Slot, exit?: ExitInfo): Promise<void> {
    const now = this.host.clock.now();
    const intensity = this.isRoot ? slot.node.spec.intensity : this.spec.intensity;
    const verdict = recordRestart(this.isRoot ? slot.window : this.window, now, intensity);
    if (this.isRoot) slot.window = [...verdict.window];
    else this.window = [...verdict.window];
    if (exit) this.emitExit(slot, exit, !verdict.exceeded);
    if (verdict.exceeded) return this.giveUp(slot, intensity);

    const strategy = this.isRoot ? 'one-for-one' : this.spec.strategy;
    const picked = affectedChildren(strategy, this.slots.indexOf(slot), this.slots.map(isActive));
    const group = picked.map((i) => this.slots[i] as Slot);
    // The group restart covers whatever an old incarnation of the group still reports: never doubled.
    for (const member of group) member.incarnation++;

    // Bystanders stop in reverse start order; temporary ones are removed, not restarted.
    for (const bystander of group.filter((s) => s !== slot).reverse()) {
      const pending = this.leavePlan(bystander);
      if (!pending) await bystander.node.stop();
      if (bystander.node.spec.restart === 'temporary') this.drop(bystander);
    }
    if (this.stopping) return;
    const restarting = group.filter((s) => this.slots.includes(s) && !s.manuallyStopped);
    this.leavePlan(slot);

    const backoff = slot.node.spec.backoff;
    const uptime = slot.upSince === undefined ? 0 : now - slot.upSince;
    slot.attempt = nextAttempt(slot.attempt, uptime, backoff);
    const delay = backoffDelay(backoff, slot.attempt);
    for (const s of restarting) s.node.state = s.node.kind === 'process' ? 'backoff' : 'stopped';
    this.host.emit('restart', { ...this.base(slot.node), attempt: slot.attempt, delay });
    if (!this.isRoot) {
      const children = restarting.map((s) => s.node.name);
      this.host.emit('supervisor:restart', { ...this.base(), strategy, child: slot.node.name, children });
    }
    const plan: RestartPlan = { cause: slot, slots: restarting, timer: undefined };
    for (const s of restarting) s.plan = plan;
    this.plans.add(plan);
    // No delay means no timer (a 0 ms timer still waits a millisecond): the restart is the next message.
    if (delay === 0) this.post({ type: 'restart-due', plan });
    else plan.timer = this.host.clock.setTimeout(() => this.post({ type: 'restart-due', plan }), delay);
  }

  /** Starts a group again, in start order. A child stopped or started by hand meanwhile left the plan. */
  private async onRestartDue(plan: RestartPlan): Promise<void> {
    if (!this.plans.delete(plan) || this.stopping) return;
    for (const slot of [...plan.slots]) {
      if (slot.plan !== plan) continue;
      slot.plan = undefined;
      slot.node.restarts++;
      try {
        await this.launch(slot);
      } catch {
        if (this.stopping) return;
        if (slot.manuallyStopped || !this.slots.includes(slot)) continue;
        // SEMANTICS: a failed start counts as a restart, and the strategy applies again from it.
        return this.restartFrom(slot);
      }
    }
  }

  /** Gives up: the root marks the entry failed; any other supervisor stops and escalates. */
  private async giveUp(slot: Slot, intensity: ResolvedIntensity): Promise<void> {
    if (this.isRoot) {
      // The entry has no live process here: it just exited, or its start just failed.
      slot.ended = true;
      this.leavePlan(slot);
      slot.node.state = 'failed';
      this.host.emit('giveup', { ...this.base(slot.node), restarts: intensity.maxRestarts, period: intensity.period });
      return;
    }
    const { maxRestarts, period } = intensity;
    this.host.emit('supervisor:giveup', { ...this.base(), child: slot.node.name, maxRestarts, period });
    await this.endByItself('giveup');
  }

  /** SEMANTICS: automatic shutdown when significant children end by themselves and are not restarted. */
  private checkAutoShutdown(slot: Slot): Promise<void> | void {
    if (this.isRoot || this.spec.autoShutdown === 'never' || !slot.node.spec.significant) return;
    if (this.spec.autoShutdown === 'all-significant') {
      if (this.slots.some((s) => s !== slot && s.node.spec.significant && isActive(s))) return;
    }
    this.host.emit('supervisor:auto-shutdown', { ...this.base(), child: slot.node.name });
    return this.endByItself('auto-shutdown');
  }

  /** Stops all children and reports to the parent as an exit of class `shutdown`. */
  private async endByItself(reason: ExitReason): Promise<void> {
    this.prepareStop();
    await this.stopAll(reason === 'giveup' ? 'failed' : 'stopped');
    const exit: ExitInfo = { code: null, signal: null, class: 'shutdown', reason, time: this.host.clock.now() };
    this.lastExit = exit;
    this.onExit?.(exit);
  }

  // ─── Helpers ───

  /** Starts one incarnation of a child; its exit is reported with the incarnation's number. */
  private async launch(slot: Slot): Promise<void> {
    const incarnation = ++slot.incarnation;
    slot.upSince = undefined;
    slot.node.onExit = (exit) => this.post({ type: 'child-exited', slot, incarnation, exit });
    await slot.node.start();
    slot.upSince = this.host.clock.now();
  }

  /** Marks a child as stopped by hand and cancels at once whatever would start it. */
  private takeOver(slot: Slot): void {
    slot.manuallyStopped = true;
    if (this.leavePlan(slot)) slot.node.state = 'stopped';
    cutShort(slot.node);
  }

  /** A restarted supervisor's children are its static children again, in spec order. */
  private restoreStaticChildren(): void {
    const restored = this.spec.children.map(
      (child) => this.slots.find((s) => s.node.spec === child) ?? createSlot(this.host.createNode(child, this), false),
    );
    for (const slot of this.slots.filter((s) => !restored.includes(s))) this.drop(slot);
    this.slots.splice(0, this.slots.length, ...restored);
  }

  private notRunning(slot: Slot): StateError {
    const state = this.stopping && this.state === 'running' ? 'stopping' : this.state;
    return new StateError(`Cannot start \`${slot.node.name}\`: supervisor \`${this.name}\` is ${state}`);
  }

  private drop(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.leavePlan(slot);
    this.slots.splice(index, 1);
    slot.node.onExit = undefined;
    this.host.forget(slot.node);
  }

  /** Takes a child out of its pending restart; true if it was waiting for one. */
  private leavePlan(slot: Slot): boolean {
    const plan = slot.plan;
    if (!plan) return false;
    slot.plan = undefined;
    plan.slots = plan.slots.filter((s) => s !== slot);
    if (plan.slots.length === 0) {
      if (plan.timer !== undefined) this.host.clock.clearTimeout(plan.timer);
      this.plans.delete(plan);
    }
    return true;
  }

  /** Waits for `work`; if it takes longer than `ms`, kills the subtree meanwhile so it ends. */
  private killAfter(work: Promise<void>, ms: number): Promise<void> {
    const timer = this.host.clock.setTimeout(() => this.kill(), ms);
    return work.finally(() => this.host.clock.clearTimeout(timer));
  }

  private emitExit(slot: Slot, exit: ExitInfo, willRestart: boolean): void {
    const { node } = slot;
    this.host.emit('exit', {
      ...this.base(node),
      ...(node.kind === 'process' && node.lastPid !== undefined ? { pid: node.lastPid } : {}),
      code: exit.code,
      signal: exit.signal,
      class: exit.class,
      reason: exit.reason,
      willRestart,
    });
  }

  private base(node: ChildNode = this): { name: string; time: number; path: readonly string[] } {
    return { name: node.name, time: this.host.clock.now(), path: node.path };
  }
}

/** Cuts short a start in flight: a starting process is stopped, a supervisor cancels its subtree. */
function cutShort(node: ChildNode): void {
  if (node.kind === 'supervisor') node.prepareStop();
  else if (node.state === 'starting') quiet(node.stop());
}

function settle(done: Deferred<void>, work: Promise<void>): Promise<void> {
  return work.then(done.resolve, done.reject);
}

function assertNever(value: never): never {
  throw new Error(`Unhandled supervisor message: ${JSON.stringify(value)}`);
}
