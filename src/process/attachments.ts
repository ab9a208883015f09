/**
 * Per-incarnation machinery beyond spawn and stop: polled readiness, liveness probes, heartbeats and
 * the IPC channel. The manager owns one Extensions; workers call `onSpawn` when an incarnation is
 * spawned and `attach` once it runs. Everything is torn down by the incarnation's abort signal.
 */
import { DEFAULTS } from '../api/defaults.js';
import { ProcvisorError, StateError } from '../api/errors.js';
import type { EventName, EventPayload } from '../api/events.js';
import { createHeartbeatMonitor } from '../health/heartbeat.js';
import { IpcChannel } from '../ipc/channel.js';
import type { Incarnation } from './incarnation.js';
import type { PolledReadiness } from './readiness.js';
import type { ProcessWorker } from './worker.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import type { Clock, HealthStatus, ProbeResult } from '../api/types.js';
import { systemClock } from '../util/clock.js';

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
function heartbeatProbe(probe: Extract<ResolvedProbe, { type: 'ipc' }>, beats: (() => void)[]): ResolvedProbe {
  let count = 0;
  beats.push(() => {
    count += 1;
  });
  const check = (): Promise<ProbeResult> => {
    const seen = count;
    count = 0;
    return Promise.resolve(seen > 0 ? { ok: true, data: { heartbeats: seen } } : { ok: false, message: 'No heartbeat since the previous check' });
  };
  return { ...probe, type: 'custom', initialDelay: probe.initialDelay + probe.interval, check };
}

export class Extensions {
  private readonly channels = new WeakMap<ProcessWorker, IpcChannel>();

  /**
   * @param emit emits a manager event.
   * @param clock the manager's clock: event times, liveness intervals and heartbeat timeouts.
   */
  constructor(
    private readonly emit: Emit,
    private readonly clock: Clock = systemClock,
  ) {}

  private base(worker: ProcessWorker, pid: number): { name: string; time: number; path: readonly string[]; pid: number } {
    return { name: worker.name, time: this.clock.now(), path: worker.path, pid };
  }

  /** Runs a polled readiness probe (http, tcp, exec, custom) until it passes; its data becomes `readyData`. */
  readonly polledReadiness: PolledReadiness = async (probe, ctx) => {
    const { waitReady } = await loadRunner();
    const result = await waitReady(probe, { ...ctx, clock: this.clock });
    return result.data ?? result;
  };

  /** Opens the IPC channel of a fresh incarnation, so `ready()` can count as readiness. */
  readonly onSpawn = (worker: ProcessWorker, inc: Incarnation): void => {
    if (!worker.spec.ipc) return;
    const channel = new IpcChannel(inc.child, {
      onReady: (data) => {
        for (const watcher of inc.announceWatchers) watcher(data);
      },
      onHeartbeat: () => worker.onHeartbeat?.(),
      onMessage: (message) => this.emit('message', { ...this.base(worker, inc.pid), message }),
    });
    this.channels.set(worker, channel);
    worker.askToStop = () => void channel.requestShutdown();
    inc.signal.addEventListener(
      'abort',
      () => {
        channel.close();
        if (this.channels.get(worker) === channel) this.channels.delete(worker);
      },
      { once: true },
    );
  };

  /**
   * Starts liveness probes and the heartbeat watchdog of a running incarnation. Their verdicts are
   * dropped once the incarnation is being ended for any reason: a process on its way out (a stop, a
   * restart) routinely fails its checks, and that is no news.
   */
  readonly attach = (worker: ProcessWorker, inc: Incarnation): void => {
    const { spec } = worker;
    const ending = (): boolean => inc.terminationReason !== undefined || inc.signal.aborted;
    const setHealth = (status: HealthStatus, source: string, result?: ProbeResult): void => {
      if (!ending()) worker.setHealth(status, source, result);
    };
    const beats: (() => void)[] = [];
    const source = spec.liveness.length > 0 ? 'liveness' : spec.heartbeat ? 'heartbeat' : 'readiness';
    if (spec.readiness || spec.liveness.length > 0 || spec.heartbeat) setHealth('healthy', source);
    if (spec.liveness.length > 0) {
      // Mapped now, not once the runner is loaded: `ipc` probes count heartbeats from the start.
      const probes = spec.liveness.map((probe) => (probe.type === 'ipc' ? heartbeatProbe(probe, beats) : probe));
      void this.startLiveness(worker, inc, probes, setHealth, ending);
    }
    if (spec.heartbeat) {
      const monitor = createHeartbeatMonitor(spec.heartbeat, {
        clock: this.clock,
        onMissed: ({ silence, phi }) => {
          if (ending()) return;
          this.emit('heartbeat-missed', { ...this.base(worker, inc.pid), silence, ...(phi === undefined ? {} : { phi }) });
          setHealth('failed', 'heartbeat');
          void worker.terminate('heartbeat');
        },
      });
      beats.push(() => monitor.beat());
      inc.signal.addEventListener('abort', () => monitor.stop(), { once: true });
    }
    if (beats.length > 0) {
      const onHeartbeat = (): void => {
        for (const beat of beats) beat();
      };
      worker.onHeartbeat = onHeartbeat;
      inc.signal.addEventListener(
        'abort',
        () => {
          if (worker.onHeartbeat === onHeartbeat) worker.onHeartbeat = undefined;
        },
        { once: true },
      );
    }
  };

  /** Starts the liveness loops once the probe runner is loaded (unless the incarnation ended meanwhile). */
  private async startLiveness(
    worker: ProcessWorker,
    inc: Incarnation,
    probes: readonly ResolvedProbe[],
    setHealth: (status: HealthStatus, source: string, result?: ProbeResult) => void,
    ending: () => boolean,
  ): Promise<void> {
    const { startLiveness } = await loadRunner();
    if (inc.signal.aborted) return;
    const liveness = startLiveness(
      probes,
      { name: worker.name, pid: inc.pid, signal: inc.signal, initialStatus: 'healthy', clock: this.clock },
      {
        onStatus: (status, result) => setHealth(status, 'liveness', result),
        onFailed: () => {
          if (!ending()) void worker.terminate('liveness');
        },
      },
    );
    inc.signal.addEventListener('abort', () => liveness.stop(), { once: true });
  }

  private channelOf(worker: ProcessWorker): IpcChannel {
    if (!worker.spec.ipc) throw new StateError(`\`${worker.name}\` has no IPC channel: set \`ipc: true\` in its spec`);
    const channel = this.channels.get(worker);
    if (!channel || !channel.connected) throw new ProcvisorError('IPC_UNAVAILABLE', `\`${worker.name}\` is not running, so its IPC channel is closed`);
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
  request(worker: ProcessWorker, message: unknown, timeout: number | undefined): Promise<unknown> {
    try {
      return this.channelOf(worker).request(message, { timeout: timeout ?? DEFAULTS.ipcRequestTimeout });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops manager-wide machinery. */
  close(): void {}
}
