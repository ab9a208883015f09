/**
 * Helpers shared by the manager tests: specs that run fixtures under the test's Node, an event
 * recorder, bounded waits for one event, and last-resort cleanup of PIDs a test learned about.
 */
import type { EventName, EventPayload, ProcessManager, ProcessSpec } from '../../src/index.js';
import { alive, fixture, NODE } from '../helpers.js';

/** A process spec running `test/fixtures/<script>` with the test's Node binary. */
export function nodeSpec(name: string, script: string, args: string[] = [], extra: Omit<ProcessSpec, 'name' | 'command'> = {}): ProcessSpec {
  return { ...extra, name, command: NODE, args: [fixture(script), ...args] };
}

/** Readiness on the `ready` line fixtures print once their signal handlers are installed. */
export const READY_LINE = { type: 'log', pattern: /^ready\b/ } as const;

/** One recorded event with the monotonic time it arrived. */
export interface Recorded<E extends EventName = EventName> {
  event: E;
  at: number;
  payload: EventPayload<E>;
}

/** Records every payload of `names` in arrival order. */
export function record<const E extends EventName>(pm: ProcessManager, names: readonly E[]): Recorded<E>[] {
  const seen: Recorded<E>[] = [];
  for (const event of names) {
    (pm.on as (event: E, fn: (payload: EventPayload<E>) => void) => unknown)(event, (payload) => {
      seen.push({ event, at: performance.now(), payload });
    });
  }
  return seen;
}

/** The payloads of one event name from a recording. */
export function payloads<E extends EventName>(seen: readonly Recorded[], event: E): EventPayload<E>[] {
  return seen.filter((r) => r.event === event).map((r) => r.payload as EventPayload<E>);
}

/** Resolves with the next `event` whose payload passes `accept`; rejects after `timeout` ms. */
export function nextEvent<E extends EventName>(
  pm: ProcessManager,
  event: E,
  accept: (payload: EventPayload<E>) => boolean = () => true,
  timeout = 5000,
): Promise<EventPayload<E>> {
  type Listener = (payload: EventPayload<E>) => void;
  const on = pm.on as (event: E, fn: Listener) => unknown;
  const off = pm.off as (event: E, fn: Listener) => unknown;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off.call(pm, event, listener);
      reject(new Error(`No \`${event}\` event within ${timeout} ms`));
    }, timeout);
    const listener: Listener = (payload) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      off.call(pm, event, listener);
      resolve(payload);
    };
    on.call(pm, event, listener);
  });
}

/** SIGKILLs whatever of `pids` still lives (and the groups they lead); cleanup after failures. */
export function killAll(pids: readonly (number | undefined)[]): void {
  for (const pid of pids) {
    if (pid === undefined || pid <= 1) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone, or not a group leader
      }
    }
  }
}

/** The PIDs in `pids` that are still alive. */
export function living(pids: readonly number[]): number[] {
  return pids.filter((pid) => alive(pid));
}

/** PIDs a fork-tree.mjs child reports. */
export interface ForkTree {
  pid: number;
  group: number[];
  setsid: number;
}

/** Readiness on fork-tree.mjs's JSON line, so `readyData[0]` is the report. */
export const TREE_READY = { type: 'log', pattern: /^\{"pid".*\}$/ } as const;

/** The report of a fork-tree.mjs child started with {@link TREE_READY}. */
export function treeOf(readyData: unknown): ForkTree {
  return JSON.parse((readyData as RegExpMatchArray)[0]) as ForkTree;
}

/** Every PID of a fork tree. */
export function treePids(tree: ForkTree): number[] {
  return [tree.pid, ...tree.group, tree.setsid];
}
