/**
 * The supervisor: one state record and one dispatcher over a closed union of messages, handled one
 * at a time (OTP's `supervisor.erl`, Go's suture). Strategy selection, intensity and backoff are
 * pure functions (strategy.ts, policy/); this file only decides and sequences.
 *
 * The manager's root is a supervisor too, with two differences (SEMANTICS: "the manager's root never
 * gives up"): each top-level child keeps its own restart window, and a top-level child that exceeds
 * it, or a top-level tree that gives up, is marked `failed` while everything else runs on.
 */
import { StartError, StateError } from '../errors.js';
import type { EventName, EventPayload } from '../events.js';
import { backoffDelay, nextAttempt } from '../policy/backoff.js';
import { decideRestart } from '../policy/classify.js';
import { recordRestart } from '../policy/intensity.js';
import { StoppedWhileStartingError } from '../process/worker.js';
import type { ResolvedChildSpec, ResolvedIntensity, ResolvedSupervisorSpec } from '../spec/resolved.js';
import type { Clock, ExitInfo, ExitReason, SupervisorState } from '../types.js';
import { deferred, quiet, type Deferred } from '../util/deferred.js';
import type { RestartPlan, SupervisorMessage } from './messages.js';
import { createSlot, type ChildNode, type Slot } from './slot.js';
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
  restarts = 0;
  lastExit: ExitInfo | undefined;
  startedAt: number | undefined;
  /** Called when this supervisor ends by itself (gave up, or auto-shutdown); set by its parent. */
  onExit: ((exit: ExitInfo) => void) | undefined;
  readonly pid = undefined;
  private currentState: SupervisorState = 'idle';
  /** Restart times inside `intensity.period` (not used at the root). */
  private window: number[] = [];
  private readonly plans = new Set<RestartPlan>();
  private readonly mailbox: SupervisorMessage[] = [];
  private draining = false;
  /** Set the moment a stop of this supervisor or an ancestor begins: nothing starts any more. */
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly spec: ResolvedSupervisorSpec,
    readonly path: readonly string[],
    private readonly host: SupervisorHost,
    /** The manager's root: per-child windows, never gives up. */
    readonly isRoot = false,
  ) {
    for (const child of spec.children) this.adopt(createSlot(host.createNode(child, this), false));
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

  /** Starts the static children in order; rejects (after stopping them again) if one fails to start. */
  start(): Promise<void> {
    this.stopping = false;
    this.stopped = undefined;
    const done = deferred();
    this.post({ type: 'start', done });
    return done.promise;
  }

  /** Adds a child at runtime (started last, stopped first). Does not start it. */
  addChild(spec: ResolvedChildSpec): Slot {
    const slot = createSlot(this.host.createNode(spec, this), true);
    this.adopt(slot);
    return slot;
  }

  /** Starts one child; a dynamic child that fails to start is discarded. */
  startChild(slot: Slot): Promise<void> {
    if (this.stopping) return Promise.reject(new StateError(`Supervisor \`${this.name}\` is stopping`));
    const done = deferred();
    this.post({ type: 'start-child', slot, done });
    return done.promise;
  }

  /** Stops one child by hand: it keeps its spec, is never restarted, and the stop never counts. */
  stopChild(slot: Slot): Promise<void> {
    slot.manuallyStopped = true;
    this.leavePlan(slot);
    // A start in flight is cut short now, not after whatever the mailbox is busy with.
    if (slot.node.state === 'starting') quiet(slot.node.stop());
    const done = deferred();
    this.post({ type: 'stop-child', slot, done });
    return done.promise;
  }

  /** Stops a child if needed, then forgets it. */
  removeChild(slot: Slot): Promise<void> {
    slot.manuallyStopped = true;
    this.leavePlan(slot);
    const done = deferred();
    this.post({ type: 'remove-child', slot, done });
    return done.promise;
  }

  /** Stops every child in reverse start order. Idempotent: a stop during a stop returns the same promise. */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.prepareStop();
    const done = deferred();
    this.post({ type: 'shutdown', done });
    this.stopped = done.promise;
    return this.stopped;
  }

  /**
   * Cancels, at once and through the whole subtree, everything that would start a process: pending
   * restarts and starts in flight. The orderly stop then follows through the mailbox.
   */
  prepareStop(): void {
    this.stopping = true;
    for (const plan of this.plans) if (plan.timer !== undefined) this.host.clock.clearTimeout(plan.timer);
    this.plans.clear();
    for (const slot of this.slots) {
      slot.plan = undefined;
      if (slot.node.kind === 'supervisor') slot.node.prepareStop();
      else if (slot.node.state === 'starting') quiet(slot.node.stop());
    }
  }

  // ─── The dispatcher ───

  private post(message: SupervisorMessage): void {
    this.mailbox.push(message);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let message = this.mailbox.shift(); message; message = this.mailbox.shift()) {
        await this.handle(message);
      }
    } finally {
      this.draining = false;
    }
  }

  private async handle(message: SupervisorMessage): Promise<void> {
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

  private async startAll(): Promise<void> {
    // A restarted supervisor starts from its static children: runtime additions are gone.
    if (!this.isRoot) for (const slot of this.slots.filter((s) => s.dynamic)) this.drop(slot);
    this.window = [];
    this.state = 'starting';
    this.startedAt = this.host.clock.now();
    for (const slot of this.slots) {
      Object.assign(slot, { attempt: 0, manuallyStopped: false, ended: false, window: [] });
      if (this.stopping) break;
      try {
        await this.launch(slot);
      } catch (cause) {
        await this.stopAll('stopped');
        this.state = 'failed';
        if (cause instanceof StoppedWhileStartingError) throw cause;
        throw new StartError(slot.node.name, `Supervisor \`${this.name}\` could not start \`${slot.node.name}\`: ${(cause as Error).message}`, {
          cause,
          ...(cause instanceof StartError ? { exitCode: cause.exitCode, signal: cause.signal, lastOutput: cause.lastOutput } : {}),
        });
      }
    }
    if (this.stopping) throw new StoppedWhileStartingError(this.name);
    this.state = 'running';
    this.host.emit('ready', { ...this.base(), data: undefined });
  }

  private async startOne(slot: Slot): Promise<void> {
    if (!this.slots.includes(slot)) throw new StateError(`\`${slot.node.name}\` is no longer supervised`);
    if (slot.node.state === 'running' || slot.node.state === 'starting') return;
    this.leavePlan(slot);
    if (this.isRoot) {
      // Top-level entries stop in reverse order of their starts.
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.slots.push(slot);
    }
    Object.assign(slot, { manuallyStopped: false, ended: false, attempt: 0, window: [] });
    try {
      await this.launch(slot);
    } catch (error) {
      if (slot.dynamic && !this.isRoot && !(error instanceof StoppedWhileStartingError)) this.drop(slot);
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
    for (const slot of [...this.slots].reverse()) {
      slot.plan = undefined;
      const wasPending = slot.node.state === 'backoff';
      await slot.node.stop();
      if (wasPending || slot.node.state === 'exited') slot.node.state = 'stopped';
      if (slot.node.spec.restart === 'temporary' && !this.isRoot) this.drop(slot);
    }
    this.state = finalState;
  }

  private onChildExited(slot: Slot, incarnation: number, exit: ExitInfo): Promise<void> | void {
    // An exit from an older incarnation, or one that arrives while we stop, is only recorded.
    if (!this.slots.includes(slot) || slot.incarnation !== incarnation || this.stopping) return;
    const { node } = slot;
    node.lastExit = exit;
    if (this.isRoot && node.kind === 'supervisor') {
      // A top-level tree that gave up (or shut itself down) stays down; the root never restarts it.
      slot.ended = true;
      node.state = exit.reason === 'giveup' ? 'failed' : 'stopped';
      this.emitExit(slot, exit, false);
      return;
    }
    const decision = decideRestart(node.spec.restart, exit.class);
    this.emitExit(slot, exit, decision === 'restart');
    if (decision === 'restart') return this.restartFrom(slot);
    slot.ended = true;
    if (decision === 'remove') this.drop(slot);
    return this.checkAutoShutdown(slot);
  }

  /**
   * Decides a restart caused by `slot`: records it against the intensity window (before any
   * backoff), stops the bystanders the strategy picks, and schedules the start after the delay.
   */
  private async restartFrom(slot: Slot): Promise<void> {
    const now = this.host.clock.now();
    const intensity = this.intensityFor(slot);
    const verdict = recordRestart(this.isRoot ? slot.window : this.window, now, intensity);
    if (this.isRoot) slot.window = [...verdict.window];
    else this.window = [...verdict.window];
    if (verdict.exceeded) return this.giveUp(slot, intensity);

    const failed = this.slots.indexOf(slot);
    const strategy = this.isRoot ? 'one-for-one' : this.spec.strategy;
    const active = this.slots.map((s) => !s.manuallyStopped && !s.ended);
    const group = affectedChildren(strategy, failed, active).map((i) => this.slots[i] as Slot);

    // Bystanders stop in reverse start order; temporary ones are removed, not restarted.
    for (const bystander of group.filter((s) => s !== slot).reverse()) {
      this.leavePlan(bystander);
      await bystander.node.stop();
      bystander.node.state = 'stopped';
      if (bystander.node.spec.restart === 'temporary') this.drop(bystander);
    }
    if (this.stopping) return;
    const restarting = group.filter((s) => this.slots.includes(s));
    this.leavePlan(slot);

    const backoff = slot.node.spec.backoff;
    const uptime = slot.node.startedAt === undefined ? 0 : now - slot.node.startedAt;
    slot.attempt = nextAttempt(slot.attempt, uptime, backoff);
    const delay = backoffDelay(backoff, slot.attempt);
    for (const s of restarting) s.node.state = s.node.kind === 'process' ? 'backoff' : 'stopped';
    this.host.emit('restart', { ...this.base(slot.node), attempt: slot.attempt, delay });
    if (!this.isRoot) {
      this.host.emit('supervisor:restart', {
        ...this.base(),
        strategy,
        child: slot.node.name,
        children: restarting.map((s) => s.node.name),
      });
    }
    const plan: RestartPlan = { cause: slot, slots: restarting, timer: undefined };
    for (const s of restarting) s.plan = plan;
    this.plans.add(plan);
    // No delay means no timer: the restart is simply the next message.
    if (delay === 0) this.post({ type: 'restart-due', plan });
    else plan.timer = this.host.clock.setTimeout(() => this.post({ type: 'restart-due', plan }), delay);
  }

  private async onRestartDue(plan: RestartPlan): Promise<void> {
    if (!this.plans.delete(plan) || this.stopping) return;
    for (const slot of plan.slots) slot.plan = undefined;
    for (const slot of plan.slots) {
      if (!this.slots.includes(slot) || slot.manuallyStopped) continue;
      slot.node.restarts++;
      try {
        await this.launch(slot);
      } catch (error) {
        if (this.stopping || error instanceof StoppedWhileStartingError) return;
        // A failed start counts as a restart, and the strategy applies again from this child.
        return this.restartFrom(slot);
      }
    }
  }

  /** Gives up: the root marks the entry failed; any other supervisor stops and escalates. */
  private async giveUp(slot: Slot, intensity: ResolvedIntensity): Promise<void> {
    if (this.isRoot) {
      slot.ended = true;
      this.leavePlan(slot);
      await slot.node.stop();
      slot.node.state = 'failed';
      this.host.emit('giveup', { ...this.base(slot.node), restarts: intensity.maxRestarts, period: intensity.period });
      return;
    }
    this.host.emit('supervisor:giveup', {
      ...this.base(),
      child: slot.node.name,
      maxRestarts: intensity.maxRestarts,
      period: intensity.period,
    });
    await this.endByItself('giveup');
  }

  /** SEMANTICS: automatic shutdown when significant children end by themselves. */
  private checkAutoShutdown(slot: Slot): Promise<void> | void {
    if (this.isRoot || this.spec.autoShutdown === 'never' || !slot.node.spec.significant) return;
    if (this.spec.autoShutdown === 'all-significant') {
      const stillUp = this.slots.some((s) => s !== slot && s.node.spec.significant && !s.ended && !s.manuallyStopped);
      if (stillUp) return;
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

  /** Starts one child and counts its incarnation, so later exits can be told from stale ones. */
  private async launch(slot: Slot): Promise<void> {
    slot.incarnation++;
    await slot.node.start();
  }

  private intensityFor(slot: Slot): ResolvedIntensity {
    if (!this.isRoot) return this.spec.intensity;
    return slot.node.spec.intensity;
  }

  private adopt(slot: Slot): void {
    this.slots.push(slot);
    slot.node.onExit = (exit) => this.post({ type: 'child-exited', slot, incarnation: slot.incarnation, exit });
  }

  private drop(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.leavePlan(slot);
    this.slots.splice(index, 1);
    slot.node.onExit = undefined;
    this.host.forget(slot.node);
  }

  private leavePlan(slot: Slot): void {
    const plan = slot.plan;
    if (!plan) return;
    slot.plan = undefined;
    plan.slots = plan.slots.filter((s) => s !== slot);
    if (slot.node.state === 'backoff') slot.node.state = 'stopped';
    if (plan.slots.length === 0) {
      if (plan.timer !== undefined) this.host.clock.clearTimeout(plan.timer);
      this.plans.delete(plan);
    }
  }

  private emitExit(slot: Slot, exit: ExitInfo, willRestart: boolean): void {
    const event = {
      ...this.base(slot.node),
      ...(slot.node.kind === 'process' && slot.node.lastPid !== undefined ? { pid: slot.node.lastPid } : {}),
      code: exit.code,
      signal: exit.signal,
      class: exit.class,
      reason: exit.reason,
      willRestart,
    };
    this.host.emit('exit', event);
  }

  private base(node: ChildNode | Supervisor = this): { name: string; time: number; path: readonly string[] } {
    return { name: node.name, time: this.host.clock.now(), path: node.path };
  }
}

function settle(done: Deferred<void>, work: Promise<void>): Promise<void> {
  return work.then(done.resolve, done.reject);
}

function assertNever(value: never): never {
  throw new Error(`Unhandled supervisor message: ${JSON.stringify(value)}`);
}
