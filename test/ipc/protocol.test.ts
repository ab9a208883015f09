import { describe, expect, it } from 'vitest';
import { encodeMessage, envelope, isEnvelope, isMarked, toRemoteError } from '../../src/ipc/protocol.js';

describe('IPC protocol', () => {
  it('recognises envelopes of known types only', () => {
    expect(isEnvelope(envelope({ type: 'heartbeat' }))).toBe(true);
    expect(isEnvelope({ procvisor: 1, type: 'ready', data: 1 })).toBe(true);
    expect(isEnvelope({ procvisor: 1, type: 'later-version' })).toBe(false);
    expect(isEnvelope({ procvisor: 2, type: 'ready' })).toBe(false);
    expect(isEnvelope({ type: 'ready' })).toBe(false);
    expect(isEnvelope('ready')).toBe(false);
    expect(isEnvelope(null)).toBe(false);
    expect(isMarked({ procvisor: 1, type: 'later-version' })).toBe(true);
    expect(isMarked({ type: 'ready' })).toBe(false);
  });

  it('sends user messages bare unless they could pass for an envelope', () => {
    expect(encodeMessage({ hello: 'world' })).toEqual({ hello: 'world' });
    expect(encodeMessage('text')).toBe('text');
    const tricky = { procvisor: 1, type: 'shutdown' };
    expect(encodeMessage(tricky)).toEqual({ procvisor: 1, type: 'message', payload: tricky });
  });

  it('carries errors as plain data', () => {
    const error = Object.assign(new RangeError('too big'), { code: 'E_BIG' });
    expect(toRemoteError(error)).toEqual({ name: 'RangeError', message: 'too big', code: 'E_BIG' });
    expect(toRemoteError('just text')).toEqual({ name: 'Error', message: 'just text' });
  });
});
