/**
 * `tcp` probe: a connection that opens passes. The socket is closed as soon as it connects, and
 * destroyed at once when the check ends first (timeout or end of the incarnation).
 */
import { connect } from 'node:net';
import type { ProbeResult } from '../api/types.js';
import type { ResolvedProbe } from '../spec/resolved.js';
import type { CheckEnd } from './check-end.js';

type TcpProbe = Extract<ResolvedProbe, { readonly type: 'tcp' }>;

/** Opens and closes one TCP connection to `probe.host:probe.port`. */
export function checkTcp(probe: TcpProbe, end: CheckEnd): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const data = { host: probe.host, port: probe.port };
    if (end.ended) {
      resolve({ ok: false, message: 'aborted', data });
      return;
    }
    const socket = connect({ host: probe.host, port: probe.port });
    const finish = (result: ProbeResult): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => finish({ ok: true, data }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, message: `${error.code ?? 'ERROR'}: could not connect to ${probe.host}:${probe.port}`, data }),
    );
    // After a result this only destroys a socket already destroyed.
    end.on(() => finish({ ok: false, message: 'aborted', data }));
  });
}
