/**
 * Validation of a process spec's `sockets`: the listening sockets the manager holds for it.
 */
import type { ResolvedSocket } from './resolved.js';
import * as v from './validate.js';
import type { Subject } from './validate.js';

const SOCKET_KEYS = ['port', 'host', 'name'] as const;
/** systemd's rule for names in `LISTEN_FDNAMES`: no `:` (the separator), printable, at most 255. */
const NAME = /^[A-Za-z0-9_.-]{1,255}$/;

/** Resolves `sockets`: a list of `{ port, host?, name? }` with unique names and addresses. */
export function resolveSockets(s: Subject, path: string, value: unknown): ResolvedSocket[] {
  const list = v.array(s, path, value);
  const sockets = list.map((item, i): ResolvedSocket => {
    const at = v.index(path, i);
    const raw = v.object(s, at, item, 'a socket `{ port, host?, name? }`');
    v.knownKeys(s, at, raw, SOCKET_KEYS, ['port']);
    const port = v.integer(s, v.join(at, 'port'), raw.port, 1, 65_535);
    const host = raw.host === undefined ? '127.0.0.1' : v.string(s, v.join(at, 'host'), raw.host);
    const name = raw.name === undefined ? `socket${i}` : v.string(s, v.join(at, 'name'), raw.name);
    if (!NAME.test(name)) throw v.invalid(s, v.join(at, 'name'), raw.name, 'a name of letters, digits, `_`, `-` or `.`', 'it goes into LISTEN_FDNAMES, whose separator is `:`');
    return { port, host, name };
  });
  sockets.forEach((socket, i) => {
    const earlier = sockets.findIndex((o) => o.name === socket.name || (o.port === socket.port && o.host === socket.host));
    if (earlier !== i) throw v.invalid(s, v.index(path, i), list[i], 'a socket of its own', `\`${v.index(path, earlier)}\` has the same ${sockets[earlier]?.name === socket.name ? 'name' : 'address'}`);
  });
  return sockets;
}
