/**
 * How a probe words a failed connection: the error code and the address it could not reach
 * (`ECONNREFUSED 127.0.0.1:3000`), the words a person searches for. Node's own message repeats the
 * code after the syscall (`connect ECONNREFUSED 127.0.0.1:3000`), which adds nothing.
 */

/** `CODE address:port` for an error that names its address, else `CODE: message`. */
export function describeNetworkError(error: NodeJS.ErrnoException & { address?: unknown; port?: unknown }): string {
  const code = error.code ?? 'ERROR';
  if (typeof error.address === 'string' && typeof error.port === 'number') return `${code} ${hostPort(error.address, error.port)}`;
  return `${code}: ${error.message}`;
}

/** `host:port`, with brackets around an IPv6 address. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
