/**
 * The process-wide signal coordinator behind `handleSignals: true`: one per host process, however
 * many managers ask for it.
 *
 * Why it exists: every manager used to install its own SIGINT/SIGTERM listeners and call
 * `process.exit` as soon as *its own* shutdown ended, so with two managers the first to finish cut
 * the other's graceful stop short; and those listeners were never removed, so they piled up in a
 * host that created and shut down managers. Here, the first signal shuts down every subscriber and
 * the host exits once, after all of them settled; a second signal SIGKILLs every tree; the
 * listeners exist only while someone is subscribed.
 */
import { constants } from 'node:os';

/** What a manager gives the coordinator. */
export interface SignalSubscriber {
  /** Graceful shutdown; resolves when everything the subscriber owns is stopped. */
  shutdown(): Promise<void>;
  /** A second signal arrived during shutdown: SIGKILL every process tree at once. */
  kill(): void;
}

/** One call of {@link onHostSignals}: the same subscriber may subscribe twice. */
interface Subscription {
  readonly subscriber: SignalSubscriber;
}

/** A coordinated shutdown under way, started by the first signal. */
interface CoordinatedShutdown {
  /** The exit code: 128 + the number of the first signal. */
  readonly code: number;
  /** Every subscriber asked to shut down, unsubscribed or not: the ones a second signal kills. */
  readonly involved: SignalSubscriber[];
  /** Their shutdowns; these never reject. */
  readonly settling: Promise<void>[];
}

const HANDLED = ['SIGINT', 'SIGTERM'] as const;
type HandledSignal = (typeof HANDLED)[number];

const subscriptions = new Set<Subscription>();
let listening = false;
let coordinated: CoordinatedShutdown | undefined;

/**
 * Subscribes to the host's SIGINT/SIGTERM handling. The first subscriber installs the listeners.
 *
 * On the first SIGINT or SIGTERM, `shutdown()` is called on every subscriber of that moment (and on
 * any that subscribes while the shutdown is under way); once all of them settled — resolved or
 * rejected — the host exits with 128 + the signal number (130 for SIGINT, 143 for SIGTERM). A
 * further signal during that shutdown calls `kill()` on every one of them; the exit code stays the
 * first signal's.
 *
 * @returns the unsubscribe function (idempotent). When the last subscriber leaves and no
 *   coordinated shutdown is under way, the listeners are removed. A subscriber that leaves during a
 *   coordinated shutdown (a manager does at the end of its own) is still waited for.
 */
export function onHostSignals(subscriber: SignalSubscriber): () => void {
  const subscription: Subscription = { subscriber };
  subscriptions.add(subscription);
  if (!listening) listen();
  const under = coordinated;
  if (under) {
    // Joined after the signal: shut it down too, once its constructor (our caller) has returned.
    queueMicrotask(() => {
      if (subscriptions.has(subscription)) involve(under, subscriber);
    });
  }
  return () => {
    if (!subscriptions.delete(subscription)) return;
    if (subscriptions.size === 0 && !coordinated) stopListening();
  };
}

function listen(): void {
  for (const signal of HANDLED) process.on(signal, onSignal);
  listening = true;
}

function stopListening(): void {
  for (const signal of HANDLED) process.off(signal, onSignal);
  listening = false;
}

/** The listener for both signals. Never throws: an exception here would crash the host. */
function onSignal(signal: HandledSignal): void {
  try {
    if (coordinated) killEvery(coordinated);
    else begin(signal);
  } catch (error) {
    warn(`handling ${signal}`, error);
  }
}

function begin(signal: HandledSignal): void {
  const state: CoordinatedShutdown = { code: 128 + constants.signals[signal], involved: [], settling: [] };
  coordinated = state;
  for (const { subscriber } of [...subscriptions]) involve(state, subscriber);
  void finish(state);
}

/** Asks one subscriber to shut down and counts it among those waited for. */
function involve(state: CoordinatedShutdown, subscriber: SignalSubscriber): void {
  if (state.involved.includes(subscriber)) return;
  state.involved.push(subscriber);
  state.settling.push(settle(subscriber));
}

/** The subscriber's shutdown, as a promise that never rejects (a failure is reported as a warning). */
async function settle(subscriber: SignalSubscriber): Promise<void> {
  try {
    await subscriber.shutdown();
  } catch (error) {
    warn('a shutdown', error);
  }
}

/** Waits for every shutdown, including those that joined meanwhile, then exits exactly once. */
async function finish(state: CoordinatedShutdown): Promise<void> {
  try {
    for (let seen = 0; seen < state.settling.length; ) {
      const batch = state.settling.slice(seen);
      seen = state.settling.length;
      await Promise.all(batch);
    }
    // process.emitWarning reports on a later tick; let any warning reach stderr before exiting.
    await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    process.exit(state.code);
  }
}

/** A further signal: SIGKILL every tree. One subscriber's failure does not spare the others. */
function killEvery(state: CoordinatedShutdown): void {
  const targets = new Set([...state.involved, ...[...subscriptions].map((s) => s.subscriber)]);
  for (const subscriber of targets) {
    try {
      subscriber.kill();
    } catch (error) {
      warn('a kill', error);
    }
  }
}

function warn(what: string, error: unknown): void {
  try {
    const reason = error instanceof Error ? error.message : String(error);
    process.emitWarning(`${what} failed during signal handling: ${reason}`, { type: 'ProcvisorWarning', code: 'PROCVISOR_SIGNALS' });
  } catch {
    // nothing left to report through
  }
}
