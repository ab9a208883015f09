/**
 * `tcp` probe: a connection that opens passes. The socket is closed as soon as it connects, and
 * destroyed at once when the check ends first (timeout or end of the incarnation).
 *
 * A connection to a local port in the ephemeral range that nothing listens on can connect to
 * itself: the kernel may pick that very port as the probe's own source port (TCP simultaneous
 * open). That is no server, and the self-connected socket even holds the port against the server
 * about to bind it, so it fails the check.
 */
import { connect, type Socket } from 'node:net';
import type { ProbeResult } from '../api/types.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import type { Ending } from '../util/ending.js';
import { hostPort } from './errno.js';

type TcpProbe = Extract<ResolvedProbe, { readonly type: 'tcp' }>;

/** True for a socket whose two ends are the same address and port (see the file comment). */
export function connectedToItself(socket: Pick<Socket, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>): boolean {
  return socket.localPort !== undefined && socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
}

/** How long a passed probe's connection may take to close gently before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Closes a connection that passed the probe the way a client that is done does: reads and drops
 * what the server sends and half-closes (FIN). Destroying it at once would close it with unread
 * data in its buffer (a server that greets, as databases do), which sends a reset: the server's
 * write then fails with ECONNRESET, and a server without an error handler on the connection
 * crashes — killed by its own readiness probe. Cut after a grace if the server never closes.
 */
function closeGently(socket: Socket): void {
  socket.on('error', () => {});
  socket.resume();
  socket.end();
  // Real time, not the manager's clock: connection upkeep, no behaviour waits on it.
  const cut = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
}

/** Opens and closes one TCP connection to `probe.host:probe.port`. */
export function checkTcp(probe: TcpProbe, end: Ending): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const data = { host: probe.host, port: probe.port };
    if (end.ended) {
      resolve({ ok: false, message: 'aborted', data });
      return;
    }
    const socket = connect({ host: probe.host, port: probe.port });
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => {
      if (connectedToItself(socket)) {
        finish({ ok: false, message: `ECONNREFUSED ${hostPort(probe.host, probe.port)}: nothing listens there (the probe connected to itself)`, data });
        return;
      }
      // Settled: the end of the check (below) must not cut the connection it passed on.
      settled = true;
      resolve({ ok: true, data });
      closeGently(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, message: `${error.code ?? 'ERROR'} ${hostPort(probe.host, probe.port)}`, data }),
    );
    // Before a result: the check is abandoned (timeout, stop). After one it does nothing.
    end.on(() => finish({ ok: false, message: 'aborted', data }));
  });
}
