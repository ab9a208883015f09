/**
 * Validation of a process spec's `sockets` (src/spec/resolve-sockets.ts).
 */
import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/index.js';
import { resolveManagerOptions, resolveProcessSpec } from '../../src/spec/resolve.js';

const defaults = resolveManagerOptions({}).defaults;
const spec = (sockets: unknown) => resolveProcessSpec({ name: 'web', command: 'node', sockets }, defaults);

function failure(sockets: unknown): InvalidSpecError {
  try {
    spec(sockets);
  } catch (error) {
    if (error instanceof InvalidSpecError) return error;
    throw error;
  }
  throw new Error('expected an InvalidSpecError');
}

describe('sockets', () => {
  it('fills host and name', () => {
    expect(spec([{ port: 8080 }, { port: 8443, host: '0.0.0.0', name: 'https' }]).sockets).toEqual([
      { port: 8080, host: '127.0.0.1', name: 'socket0' },
      { port: 8443, host: '0.0.0.0', name: 'https' },
    ]);
    expect(resolveProcessSpec({ name: 'web', command: 'node' }, defaults).sockets).toEqual([]);
  });

  it.each([
    [{ port: 0 }, 'sockets[0].port'],
    [{ port: 70_000 }, 'sockets[0].port'],
    [{ host: '127.0.0.1' }, 'sockets[0].port'],
    [{ port: 80, name: 'a:b' }, 'sockets[0].name'],
    [{ port: 80, prot: 'tcp' }, 'sockets[0].prot'],
  ])('rejects %j at %s', (socket, path) => {
    expect(failure([socket]).path).toBe(path);
  });

  it('rejects two sockets with one name or one address, naming the first', () => {
    expect(failure([{ port: 80, name: 'x' }, { port: 81, name: 'x' }]).message).toContain('`sockets[0]` has the same name');
    expect(failure([{ port: 80 }, { port: 80 }]).message).toContain('`sockets[0]` has the same address');
  });

  it('is not a job option', async () => {
    const { resolveJobSpec } = await import('../../src/jobs/resolve.js');
    expect(() => resolveJobSpec({ name: 'j', command: 'node', sockets: [{ port: 80 }] } as never, defaults)).toThrow(InvalidSpecError);
  });
});
