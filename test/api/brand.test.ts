/**
 * `isProcvisorError` recognises errors across copies of the package (two versions in one dependency
 * tree), where `instanceof` cannot. The second copy is the bundle test/global-setup.ts builds
 * (test/.build/procvisor.mjs): a module graph of its own, with its own error classes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as local from '../../src/index.js';
import { track } from '../helpers.js';

type Procvisor = typeof local;

/** The other copy (a path, not a literal, so TypeScript does not look for its declarations). */
const COPY = new URL('../.build/procvisor.mjs', import.meta.url).href;
let other: Procvisor;

beforeAll(async () => {
  other = (await import(COPY)) as Procvisor;
});

describe('isProcvisorError across two copies of the package', () => {
  it('the copies are distinct: their classes differ', () => {
    expect(other.ProcvisorError).not.toBe(local.ProcvisorError);
    expect(other.InvalidSpecError).not.toBe(local.InvalidSpecError);
  });

  it("recognises the other copy's error, where instanceof does not", async () => {
    // A real rejection of the other copy's manager: an invalid spec, nothing spawned.
    const pm = track(new other.ProcessManager());
    const error: unknown = await pm.start({ name: 'x', command: 'true', restart: 'sometimes' as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(other.InvalidSpecError);
    expect(local.isProcvisorError(error)).toBe(true);
    expect(error instanceof local.ProcvisorError).toBe(false);
    expect(error instanceof local.InvalidSpecError).toBe(false);
    if (!local.isProcvisorError(error)) return;
    expect(error.code).toBe('INVALID_SPEC');
  });

  it('every error class of the other copy is recognised', () => {
    const made = [
      new other.InvalidArgumentError('timeout', -1, 'm'),
      new other.InvalidStateError('m'),
      new other.TimeoutError('m'),
    ];
    for (const error of made) {
      expect(local.isProcvisorError(error)).toBe(true);
      expect(error instanceof local.ProcvisorError).toBe(false);
    }
  });

  it("and the other way round: the other copy recognises this copy's error", () => {
    const error = new local.InvalidSpecError('restart', 'sometimes', 'm');
    expect(other.isProcvisorError(error)).toBe(true);
    expect(error instanceof other.ProcvisorError).toBe(false);
    expect(error instanceof local.ProcvisorError).toBe(true);
  });

  it('neither copy takes a plain error, or an object that only looks like one of ours', () => {
    const lookalike = Object.assign(new Error('m'), { code: 'INVALID_SPEC', name: 'InvalidSpecError' });
    for (const is of [local.isProcvisorError, other.isProcvisorError]) {
      expect(is(new Error('m'))).toBe(false);
      expect(is(lookalike)).toBe(false);
      expect(is(null)).toBe(false);
      expect(is('INVALID_SPEC')).toBe(false);
    }
  });
});
