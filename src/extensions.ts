/**
 * Per-incarnation machinery beyond spawn and stop: polled readiness, liveness probes, heartbeats and
 * the IPC channel. The manager owns one Extensions; workers call `onSpawn` when an incarnation is
 * spawned and `attach` once it runs. Everything is torn down by the incarnation's abort signal.
 */
import { ProcvisorError, StateError } from './errors.js';
import type { EventName, EventPayload } from './events.js';
import { createHeartbeatMonitor } from './health/heartbeat.js';
import { startLiveness, waitReady } from './health/runner.js';
import { IpcChannel } from './ipc/channel.js';
import type { Incarnation } from './process/incarnation.js';
import type { PolledReadiness } from './process/readiness.js';
import type { ProcessWorker } from './process/worker.js';
import type { HealthStatus, ProbeResult } from './types.js';

type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** Default time an IPC request waits for its answer when the caller gives none. */
const DEFAULT_REQUEST_TIMEOUT = 30_000;

export class Extensions {
  private readonly channels = new WeakMap<ProcessWorker, IpcChannel>();

  constructor(private readonly emit: Emit) {}

  private base(worker: ProcessWorker, pid: number): { name: string; time: number; path: readonly string[]; pid: number } {
    return { name: worker.name, time: Date.now(), path: worker.path, pid };
  }

  /** Runs a polled readiness probe (http, tcp, exec, custom) until it passes; its data becomes `readyData`. */
  readonly polledReadiness: PolledReadiness = async (probe, ctx) => {
    const result = await waitReady(probe, ctx);
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

  /** Starts liveness probes and the heartbeat watchdog of a running incarnation. */
  readonly attach = (worker: ProcessWorker, inc: Incarnation): void => {
    const { spec } = worker;
    const setHealth = (status: HealthStatus, source: string, result?: ProbeResult): void => {
      const previous = worker.health;
      if (previous === status) return;
      worker.health = status;
      this.emit('health', { ...this.base(worker, inc.pid), status, previous, source, ...(result ? { result } : {}) });
    };
    if (spec.readiness || spec.liveness.length > 0) setHealth('healthy', spec.liveness.length > 0 ? 'liveness' : 'readiness');
    if (spec.liveness.length > 0) {
      const liveness = startLiveness(
        spec.liveness,
        { name: worker.name, pid: inc.pid, signal: inc.signal, initialStatus: 'healthy' },
        {
          onStatus: (status, result) => setHealth(status, 'liveness', result),
          onFailed: () => void worker.terminate('liveness'),
        },
      );
      inc.signal.addEventListener('abort', () => liveness.stop(), { once: true });
    }
    if (spec.heartbeat) {
      const monitor = createHeartbeatMonitor(spec.heartbeat, {
        onMissed: ({ silence, phi }) => {
          this.emit('heartbeat-missed', { ...this.base(worker, inc.pid), silence, ...(phi === undefined ? {} : { phi }) });
          setHealth('failed', 'heartbeat');
          void worker.terminate('heartbeat');
        },
      });
      worker.onHeartbeat = () => monitor.beat();
      inc.signal.addEventListener(
        'abort',
        () => {
          monitor.stop();
          worker.onHeartbeat = undefined;
        },
        { once: true },
      );
    }
  };

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
      return this.channelOf(worker).request(message, { timeout: timeout ?? DEFAULT_REQUEST_TIMEOUT });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops manager-wide machinery. */
  close(): void {}
}
