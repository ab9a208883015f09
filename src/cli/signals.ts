/**
 * SIGINT and SIGTERM for the command's own use (not the library's `handleSignals`, which exits 130
 * even after a clean stop): the first signal asks for a graceful stop, any further one for a kill.
 */

/** What to do on the first and on every further SIGINT or SIGTERM. */
export interface TerminationHandlers {
  first(signal: NodeJS.Signals): void;
  again(signal: NodeJS.Signals): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Installs the listeners; returns their removal. */
export function onTermination(handlers: TerminationHandlers): () => void {
  let received = 0;
  const listener = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) handlers.first(signal);
    else handlers.again(signal);
  };
  for (const signal of SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of SIGNALS) process.off(signal, listener);
  };
}
