/**
 * The process-wide signal coordinator behind `handleSignals: true` (placeholder: implemented in
 * the next commit). One coordinator per host process, however many managers ask for it.
 */

/** What a manager gives the coordinator. */
export interface SignalSubscriber {
  /** Graceful shutdown; resolves when everything the subscriber owns is stopped. */
  shutdown(): Promise<void>;
  /** A second signal arrived during shutdown: SIGKILL every process tree at once. */
  kill(): void;
}

/** Subscribes to SIGINT/SIGTERM handling; returns the unsubscribe function. */
export function onHostSignals(subscriber: SignalSubscriber): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    void subscriber.shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
