/**
 * The manager's listening sockets, by the process they belong to. A spec with `sockets` gets them
 * opened once, when it is registered; every process of it — each incarnation, each instance
 * (`web#0`, `web#1`), a reload's surge — gets the same descriptors. They close when the last process
 * of that spec is removed, or at shutdown. One owner: only this registry opens and closes them.
 */
import type { ResolvedChildSpec } from '../spec/resolved.js';
import type { LaunchExtras } from '../os/spawn.js';
import { openSockets, socketEnv, type ListenSocket } from './listen.js';

/**
 * Separates a surge's name from the process it stands in for during a reload. `#` is reserved (no
 * name of a spec may hold it), so a surge can never collide with a user's process.
 */
export const SURGE_SUFFIX = '#surge';

/** The spec a process's sockets belong to: `web` for `web`, `web#1`, `web#surge` and `web#1#surge`. */
export function socketOwner(name: string): string {
  const base = name.endsWith(SURGE_SUFFIX) ? name.slice(0, -SURGE_SUFFIX.length) : name;
  return base.replace(/#\d+$/, '');
}

export class SocketRegistry {
  readonly #open = new Map<string, ListenSocket[]>();

  /**
   * Opens the sockets of every process spec in `spec` (a tree, or an instance group) that has
   * some and whose are not open yet. All or none. Returns the owners it opened (for {@link discard}).
   * @throws PortUnavailableError (a port in use), InvalidArgumentError (no descriptors on this platform)
   */
  open(spec: ResolvedChildSpec): string[] {
    const wanted = new Map<string, ResolvedChildSpec & { kind: 'process' }>();
    const visit = (s: ResolvedChildSpec): void => {
      if (s.kind === 'supervisor') s.children.forEach(visit);
      else if (s.sockets.length > 0 && !this.#open.has(socketOwner(s.name))) wanted.set(socketOwner(s.name), s);
    };
    visit(spec);
    const opened: ListenSocket[][] = [];
    try {
      for (const [owner, process] of wanted) {
        const sockets = openSockets(process.sockets);
        opened.push(sockets);
        this.#open.set(owner, sockets);
      }
    } catch (error) {
      for (const owner of wanted.keys()) this.#open.delete(owner);
      for (const sockets of opened) for (const socket of sockets) socket.close();
      throw error;
    }
    return [...wanted.keys()];
  }

  /** Closes what {@link open} just opened, when what it was opened for was not registered after all. */
  discard(owners: readonly string[]): void {
    for (const owner of owners) {
      for (const socket of this.#open.get(owner) ?? []) socket.close();
      this.#open.delete(owner);
    }
  }

  /** The descriptors and variables a spawn of process `name` gets, or undefined without sockets. */
  launchExtras(name: string): LaunchExtras | undefined {
    const sockets = this.#open.get(socketOwner(name));
    if (!sockets || sockets.length === 0) return undefined;
    return { fds: sockets.map((s) => s.fd), envAtExec: { ...socketEnv(sockets), LISTEN_PID: '$$' } };
  }

  /** The sockets of process `name` (for a reload's checks and docs' examples). */
  socketsOf(name: string): readonly ListenSocket[] {
    return this.#open.get(socketOwner(name)) ?? [];
  }

  /**
   * Process `name` was unregistered: its spec's sockets close unless a process of that spec is
   * among `registered` (the names still registered).
   */
  release(name: string, registered: Iterable<string>): void {
    const owner = socketOwner(name);
    const sockets = this.#open.get(owner);
    if (!sockets) return;
    for (const other of registered) if (socketOwner(other) === owner) return;
    this.#open.delete(owner);
    for (const socket of sockets) socket.close();
  }

  /** Closes every socket (the manager's shutdown). */
  closeAll(): void {
    for (const sockets of this.#open.values()) for (const socket of sockets) socket.close();
    this.#open.clear();
  }
}
