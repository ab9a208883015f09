/**
 * Everything attached to one incarnation beyond spawn and stop — the IPC channel, liveness probes,
 * the heartbeat watchdog, resource sampling and limits — built in one place and used alike by
 * supervised processes and jobs. Each piece is started from the incarnation's RunContext and torn
 * down by the incarnation's abort signal, so nothing an incarnation started outlives it. Health
 * verdicts go through `run.reportHealth` into the incarnation's one aggregator.
 */
import { DEFAULTS } from '../api/defaults.js';
import { IpcUnavailableError } from '../api/errors.js';
import type { EventName, EventPayload } from '../api/events.js';
import type { Clock, ProbeResult } from '../api/types.js';
import { createHeartbeatMonitor } from '../health/heartbeat.js';
import { IpcChannel } from '../ipc/channel.js';
import type { ResourceMonitor } from '../resources/monitor.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import { checked, type PolledReadiness } from './readiness.js';
import type { Attachments, ProcessWorker, RunContext } from './worker.js';

/**
 * The probe runner pulls in node:http and node:net: loaded on first use, so a host that supervises
 * processes without polled probes never pays for them at import time.
 */
const loadRunner = (): Promise<typeof import('../health/runner.js')> => import('../health/runner.js');

type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/**
 * An `ipc` liveness probe is driven by the child's heartbeats (`heartbeat()` from procvisor/child or
 * `::procvisor::heartbeat` lines): each check passes when at least one arrived since the previous
 * check. The first check comes one `interval` after `initialDelay`, so it judges a whole interval
 * (beats are counted from the moment the process became ready). Unlike the `heartbeat` watchdog,
 * which ends the incarnation on the first silence, this goes through the health levels and the
 * probe's thresholds like any other liveness probe.
 */
function heartbeatProbe(probe: Extract<ResolvedProbe, { type: 'ipc' }>, run: RunContext): ResolvedProbe {
  let count = 0;
  run.inc.watchHeartbeats(() => {
    count += 1;
  });
  const check = (): Promise<ProbeResult> => {
    const seen = count;
    count = 0;
    return Promise.resolve(seen > 0 ? { ok: true, data: { heartbeats: seen } } : { ok: false, message: 'No heartbeat since the previous check' });
  };
  return { ...probe, type: 'custom', initialDelay: probe.initialDelay + probe.interval, check };
}

/** The manager's attachments: one per manager, shared by its supervised processes and its jobs. */
export class IncarnationAttachments implements Attachments {
  private readonly channels = new WeakMap<ProcessWorker, IpcChannel>();

  /**
   * @param emit emits a manager event.
   * @param clock the manager's clock: event times, probe intervals and heartbeat timeouts.
   * @param resources samples running incarnations and applies their limits.
   */
  constructor(
    private readonly emit: Emit,
    private readonly clock: Clock,
    private readonly resources: ResourceMonitor,
  ) {}

  /** Runs a polled readiness probe (http, tcp, exec, custom) until it passes; its data becomes `readyData`. */
  readonly polledReadiness: PolledReadiness = async (probe, ctx) => {
    const { waitReady } = await loadRunner();
    const result = await waitReady(probe, { ...ctx, clock: this.clock });
    return result.data ?? result;
  };

  /** Opens the IPC channel of a fresh incarnation, so `ready()` can count as readiness. */
  spawned(run: RunContext): void {
    const { worker, inc } = run;
    if (!worker.spec.ipc) return;
    const channel = new IpcChannel(
      inc.child,
      {
        onReady: (data) => inc.announceReady(data),
        onHeartbeat: () => inc.heartbeat(),
        onMessage: (message) => run.emit('message', { name: worker.name, time: this.clock.now(), path: worker.path, pid: inc.pid, message }),
      },
      { clock: this.clock },
    );
    this.channels.set(worker, channel);
    inc.askToStop = () => void channel.requestShutdown();
    inc.end.on(() => {
      channel.close();
      if (this.channels.get(worker) === channel) this.channels.delete(worker);
    });
  }

  /**
   * Starts liveness probes, the heartbeat watchdog, sampling and limits of a running incarnation.
   * Their verdicts are dropped once the incarnation is being ended for any reason (RunContext): a
   * process on its way out routinely fails its checks, and that is no news.
   */
  running(run: RunContext): void {
    const { spec } = run.worker;
    if (spec.liveness.length > 0) {
      run.reportHealth('liveness', 'healthy');
      // Mapped now, not once the runner is loaded: `ipc` probes count heartbeats from the start.
      const probes = spec.liveness.map((probe) => (probe.type === 'ipc' ? heartbeatProbe(probe, run) : probe));
      void this.startLiveness(run, probes);
    }
    if (spec.heartbeat) this.startWatchdog(run, spec.heartbeat);
    this.resources.watch(run);
  }

  private startWatchdog(run: RunContext, heartbeat: NonNullable<ProcessWorker['spec']['heartbeat']>): void {
    const { worker, inc } = run;
    run.reportHealth('heartbeat', 'healthy');
    const monitor = createHeartbeatMonitor(heartbeat, {
      clock: this.clock,
      onMissed: ({ silence, phi }) => {
        if (inc.terminationReason !== undefined || inc.end.ended) return;
        run.emit('heartbeat-missed', { name: worker.name, time: this.clock.now(), path: worker.path, pid: inc.pid, silence, ...(phi === undefined ? {} : { phi }) });
        run.reportHealth('heartbeat', 'failed');
        run.terminate('heartbeat');
      },
    });
    inc.watchHeartbeats(() => monitor.beat());
    inc.end.on(() => monitor.stop());
  }

  /** Starts the liveness loops once the probe runner is loaded (unless the incarnation ended meanwhile). */
  private async startLiveness(run: RunContext, probes: readonly ResolvedProbe[]): Promise<void> {
    const { startLiveness } = await loadRunner();
    const { worker, inc } = run;
    if (inc.end.ended) return;
    // Each probe by its type as written: an `ipc` probe runs as a custom heartbeat count.
    const types = worker.spec.liveness.map((probe) => probe.type);
    const onCheck = (result: ProbeResult, duration: number, index: number): void =>
      run.emit('probe-checked', {
        name: worker.name,
        time: this.clock.now(),
        path: worker.path,
        pid: inc.pid,
        role: 'liveness',
        type: types[index] ?? 'custom',
        ...checked(result, duration),
      });
    const liveness = startLiveness(
      probes,
      { name: worker.name, pid: inc.pid, signal: inc.signal, initialStatus: 'healthy', clock: this.clock, cookie: inc.cookie, onCheck },
      {
        onStatus: (status, result) => run.reportHealth('liveness', status, result),
        onFailed: () => run.terminate('liveness'),
      },
    );
    inc.end.on(() => liveness.stop());
  }

  private channelOf(worker: ProcessWorker): IpcChannel {
    if (!worker.spec.ipc) throw new IpcUnavailableError(`\`${worker.name}\` has no IPC channel: set \`ipc: true\` in its spec`);
    const channel = this.channels.get(worker);
    if (!channel || !channel.connected) throw new IpcUnavailableError(`\`${worker.name}\` is not running, so its IPC channel is closed`);
    return channel;
  }

  /** Sends an IPC message to a process. */
  send(worker: ProcessWorker, message: unknown): void {
    void this.channelOf(worker)
      .send(message)
      .catch(() => {
        // The channel closed under the message: the exit tells the rest.
      });
  }

  /** Sends an IPC request to a process and resolves with its answer. */
  request(worker: ProcessWorker, message: unknown, timeout: number | undefined, signal?: AbortSignal): Promise<unknown> {
    try {
      return this.channelOf(worker).request(message, { timeout: timeout ?? DEFAULTS.ipcRequestTimeout, ...(signal ? { signal } : {}) });
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
