/**
 * Nothing a child sends over IPC may crash the host, and nothing the host cannot send is dropped
 * silently: odd error answers become IpcRemoteErrors, unsendable messages a typed error at once.
 */
import { describe, expect, it } from 'vitest';
import { IpcRemoteError, ProcessManager, ProcvisorError } from '../../src/index.js';
import { fixture, NODE, track } from '../helpers.js';

function hostile(name: string, error: unknown) {
  return {
    name,
    command: NODE,
    args: [fixture('ipc-hostile.mjs'), JSON.stringify(error)],
    ipc: true,
    readiness: { type: 'log', pattern: /^ready$/ } as const,
  };
}

describe('IPC answers a host must survive', () => {
  it.each([[null], ['just text'], [42], [{ name: 5, message: { nested: true } }], [{}]])('a response with error %j rejects the request, the host runs on', async (error) => {
    const pm = track(new ProcessManager());
    const handle = await pm.start(hostile('h', error));
    const failure = await handle.request({ op: 'anything' }, { timeout: 5000 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(IpcRemoteError);
    expect(typeof (failure as Error).message).toBe('string');
    expect(handle.state).toBe('running');
    await pm.stop('h');
  });
});

describe('messages IPC cannot carry', () => {
  const unsendable: [string, unknown][] = [
    ['undefined', undefined],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['a cyclic object', (() => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    })()],
    ['a function', () => 1],
  ];
  it.each(unsendable)('%s: send() throws and request() rejects with INVALID_MESSAGE', async (_label, message) => {
    const pm = track(new ProcessManager());
    const handle = await pm.start(hostile('m', null));
    expect(() => handle.send(message)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE' }));
    const rejected = await handle.request(message).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ProcvisorError);
    expect(rejected).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('JSON-serialised') });
    await pm.stop('m');
  });
});

describe('request options', () => {
  it('validate the timeout: a delay no timer holds is an InvalidArgumentError, not a request that times out at once', async () => {
    const pm = track(new ProcessManager());
    const handle = await pm.start(hostile('t', null));
    await expect(handle.request({}, { timeout: 1e10 })).rejects.toMatchObject({ name: 'InvalidArgumentError', path: 'timeout' });
    await expect(handle.request({}, { timeout: 'soon' as '1s' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    const controller = new AbortController();
    controller.abort(new Error('not any more'));
    await expect(handle.request({}, { signal: controller.signal })).rejects.toThrow('not any more');
    await pm.stop('t');
  });
});
