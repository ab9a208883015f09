/**
 * Per-incarnation machinery beyond spawn and stop: polled readiness, liveness, heartbeats, IPC and
 * resource sampling. The manager owns one Extensions; workers call `attach` once an incarnation runs.
 */
import { StateError } from './errors.js';
import type { EventName, EventPayload } from './events.js';
import type { Incarnation } from './process/incarnation.js';
import type { PolledReadiness } from './process/readiness.js';
import type { ProcessWorker } from './process/worker.js';
import type { ResolvedManagerOptions } from './spec/resolve.js';

type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export class Extensions {
  constructor(
    private readonly options: ResolvedManagerOptions,
    private readonly emit: Emit,
  ) {}

  /** Runs a polled readiness probe until it passes. */
  readonly polledReadiness: PolledReadiness = async (probe) => {
    throw new StateError(`readiness probes of type \`${probe.type}\` are not available yet`);
  };

  /** Wires a running incarnation. */
  readonly attach = (_worker: ProcessWorker, _inc: Incarnation): void => {
    void this.options;
    void this.emit;
  };

  /** Sends an IPC message to a process. */
  send(worker: ProcessWorker, _message: unknown): void {
    throw new StateError(`\`${worker.name}\` has no IPC channel`);
  }

  /** Sends an IPC request to a process. */
  request(worker: ProcessWorker, _message: unknown, _timeout: number | undefined): Promise<unknown> {
    return Promise.reject(new StateError(`\`${worker.name}\` has no IPC channel`));
  }

  /** Stops manager-wide machinery (the sampler). */
  close(): void {}
}
