/**
 * Resource sampling for the manager: one Sampler (one timer) for every sampled process, a short
 * history per process, and the limit monitors that turn sustained breaches into `limit` events and
 * actions. Per incarnation: added when it runs (an attachment, process/attachments.ts), removed
 * when it ends. This module owns the samples: handles and snapshots read them from here.
 */
import type { EventName, EventPayload } from '../api/events.js';
import type { Clock, Usage } from '../api/types.js';
import type { ProcessWorker, RunContext } from '../process/worker.js';
import type { ResolvedSampling } from '../spec/resolved.js';
import { UsageHistory } from './history.js';
import { LimitMonitor } from './limits.js';
import { Sampler } from './sampler.js';

type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** What the resource monitor needs from the manager. */
export interface ResourceHost {
  readonly emit: Emit;
  /** The manager's clock: sample times and the sampling timer. */
  readonly clock: Clock;
  /** Reports a fault of procvisor itself. */
  readonly fault: (error: Error) => void;
}

interface Target {
  readonly run: RunContext;
  readonly limits: LimitMonitor | undefined;
}

export class ResourceMonitor {
  private sampler: Sampler | undefined;
  private readonly targets = new Map<string, Target>();
  private readonly histories = new WeakMap<ProcessWorker, UsageHistory>();
  private readonly latest = new WeakMap<ProcessWorker, Usage>();
  private incarnations = 0;

  constructor(
    private readonly defaults: ResolvedSampling | false,
    private readonly host: ResourceHost,
  ) {}

  /** The history of a process (kept across its incarnations). */
  history(worker: ProcessWorker): UsageHistory | undefined {
    return this.histories.get(worker);
  }

  /** The last sample of a process (kept across its incarnations). */
  usage(worker: ProcessWorker): Usage | undefined {
    return this.latest.get(worker);
  }

  /** Starts sampling a running incarnation, if sampling is on for it. */
  watch(run: RunContext): void {
    const { worker, inc } = run;
    const sampling = worker.spec.sampling ?? this.defaults;
    if (!sampling) return;
    // One key per incarnation: jobs and services may share a name, and two jobs may run at once.
    const key = `${worker.name}\0${++this.incarnations}`;
    const limits = worker.spec.limits ? new LimitMonitor(worker.spec.limits, sampling.interval) : undefined;
    let history = this.histories.get(worker);
    if (!history || history.capacity !== sampling.history) this.histories.set(worker, (history = new UsageHistory(sampling.history)));
    this.targets.set(key, { run, limits });
    this.samplerFor(sampling.interval).add(key, inc.pid, sampling.interval);
    inc.end.on(() => {
      this.targets.delete(key);
      this.sampler?.remove(key);
    });
  }

  private samplerFor(interval: number): Sampler {
    this.sampler ??= new Sampler({
      interval,
      clock: this.host.clock,
      onSample: (key, usage) => this.onSample(key, usage),
      onError: (error) => this.host.fault(error),
    });
    return this.sampler;
  }

  private onSample(key: string, usage: Usage): void {
    const target = this.targets.get(key);
    if (!target || target.run.inc.ended) return;
    const { run, limits } = target;
    const { worker, inc } = run;
    this.latest.set(worker, usage);
    this.histories.get(worker)?.push(usage);
    const base = { name: worker.name, time: this.host.clock.now(), path: worker.path, pid: inc.pid };
    run.emit('usage', { ...base, usage });
    if (!limits) return;
    const verdicts = limits.observe(usage);
    for (const verdict of verdicts) run.emit('limit', { ...base, ...verdict });
    run.reportHealth('limits', limits.status);
    const breach = verdicts.find((v) => v.level === 'limit');
    if (!breach) return;
    if (breach.action === 'restart') run.terminate('limit');
    else if (breach.action === 'stop') run.requestStop();
  }

  /** Stops the sampler. */
  close(): void {
    this.sampler?.stop();
    this.sampler = undefined;
    this.targets.clear();
  }
}
