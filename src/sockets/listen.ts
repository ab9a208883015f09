/**
 * Listening sockets held by the manager and handed to children, as systemd's socket activation
 * does: each socket is opened once in the host and passed to every incarnation (and every
 * instance) as file descriptor 3, 4, …, with `LISTEN_FDS` (how many), `LISTEN_FDNAMES` (their
 * names, colon-separated) and `LISTEN_PID` (the child's own pid, set right before its program
 * runs). Any language can accept on them (Node: `server.listen({ fd: 3 })`); old and new
 * incarnations accept on the same socket during a reload, and a restart never meets "address in
 * use", because the socket never closes between incarnations.
 */
import { InvalidArgumentError, PortUnavailableError } from '../api/errors.js';
import { childProcess, net, util } from '../util/builtins.js';

/** One socket to listen on: a spec's resolved `sockets` entry, or the same shape (`host`, `name` optional). */
export interface SocketSpec {
  /** TCP port; 0 lets the OS pick one (read it back from {@link ListenSocket.port}). */
  readonly port: number;
  /** Address to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Its name in `LISTEN_FDNAMES`. Default `socket<N>` (N from 0, in order). */
  readonly name?: string;
}

/** A listening socket the host holds open for its children. */
export interface ListenSocket {
  /** The file descriptor in the host (the child sees it as 3 + its index). */
  readonly fd: number;
  readonly name: string;
  readonly host: string;
  /** The port it listens on (the OS's pick when the spec said 0). */
  readonly port: number;
  /** Closes the host's descriptor (idempotent); children keep their copies until they exit. */
  close(): void;
}

/** The first descriptor a child receives, as systemd's `SD_LISTEN_FDS_START`. */
export const LISTEN_FDS_START = 3;

/** The part of Node's internal TCP handle used here (the one `cluster` shares with its workers). */
interface TcpHandle {
  readonly fd: number;
  getsockname(out: { port?: number }): number;
  close(): void;
}

type CreateServerHandle = (address: string, port: number, addressType: 4 | 6, fd: undefined, flags: number) => TcpHandle | number;

/** Node's name of a libuv error number (negative), for messages. */
function errorName(errno: number): string {
  return util().getSystemErrorMap().get(errno)?.[0] ?? String(errno);
}

/**
 * A TCP socket bound to `host:port`, not yet listening, that this process does not poll: Node's
 * `net._createServerHandle`, which `cluster` uses to share one socket between processes. A
 * `net.Server` would not do: it accepts connections in the host, racing the children for them.
 */
function bind(host: string, port: number): TcpHandle {
  const netModule = net();
  const create = (netModule as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
  if (typeof create !== 'function' || process.platform === 'win32') {
    throw new InvalidArgumentError('sockets', undefined, 'Listening sockets can be handed to children only where they are file descriptors (Linux, macOS), not on Windows');
  }
  const handle = create(host, port, netModule.isIPv6(host) ? 6 : 4, undefined, 0);
  if (typeof handle === 'number') {
    const code = errorName(handle);
    throw inUse(host, port, code);
  }
  // libuv reports a failed bind only at listen (its "delayed error"), and listen(2) on an unbound
  // socket binds a random port: what the socket is bound to says whether the bind took.
  const bound: { port?: number } = {};
  handle.getsockname(bound);
  if (!bound.port || (port !== 0 && bound.port !== port)) {
    handle.close();
    throw inUse(host, port, 'EADDRINUSE');
  }
  return handle;
}

function inUse(host: string, port: number, code: string): PortUnavailableError {
  return new PortUnavailableError(port, `Cannot listen on ${host}:${port} (${code})${code === 'EADDRINUSE' ? ' — something else holds that port' : ''}`);
}

/**
 * Puts bound sockets into the listening state without listening in this process: a throwaway
 * Node process receives them as fd 3, 4, … and calls listen(2) on each, then exits. Listening is a
 * property of the socket, shared by every descriptor of it, so it stays after the helper is gone,
 * and this process never polls them. Once per socket set, not per incarnation (about 0.1 s).
 */
function listenOnce(fds: readonly number[]): void {
  const script = `const net=require('node:net');let n=${fds.length};for(let i=0;i<${fds.length};i++)net.createServer().listen({fd:3+i,backlog:511},()=>{if(--n===0)process.exit(0)})`;
  const result = childProcess().spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe', ...fds], timeout: 10_000, windowsHide: true });
  if (result.status !== 0) {
    throw new InvalidArgumentError('sockets', undefined, `Could not put the sockets into the listening state: ${String(result.stderr ?? result.error ?? result.status).trim()}`);
  }
}

/**
 * Opens every socket, listening (all or none: a failure closes those already bound), in order.
 * @throws PortUnavailableError naming the address (a port in use), InvalidArgumentError (a platform without descriptors)
 */
export function openSockets(specs: readonly SocketSpec[]): ListenSocket[] {
  const handles: TcpHandle[] = [];
  try {
    for (const spec of specs) handles.push(bind(spec.host ?? '127.0.0.1', spec.port));
    if (handles.length > 0) listenOnce(handles.map((h) => h.fd));
  } catch (error) {
    for (const handle of handles) handle.close();
    throw error;
  }
  return handles.map((handle, index) => {
    const spec = specs[index] as SocketSpec;
    const address: { port?: number } = {};
    handle.getsockname(address);
    let closed = false;
    return {
      fd: handle.fd,
      name: spec.name ?? `socket${index}`,
      host: spec.host ?? '127.0.0.1',
      port: address.port ?? spec.port,
      close: () => {
        if (!closed) handle.close();
        closed = true;
      },
    };
  });
}

/** The environment that tells a child about its sockets (`LISTEN_PID` comes at exec, with its pid). */
export function socketEnv(sockets: readonly ListenSocket[]): Record<string, string> {
  return { LISTEN_FDS: String(sockets.length), LISTEN_FDNAMES: sockets.map((s) => s.name).join(':') };
}
