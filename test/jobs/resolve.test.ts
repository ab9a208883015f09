import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/api/errors.js';
import { JOB_SPEC_KEYS, resolveJobSpec } from '../../src/jobs/resolve.js';
import { resolveManagerOptions } from '../../src/spec/resolve.js';

const defaults = resolveManagerOptions(undefined).defaults;
const base = { name: 'build', command: 'make' };

function error(spec: unknown): InvalidSpecError {
  try {
    resolveJobSpec(spec, defaults);
  } catch (e) {
    if (e instanceof InvalidSpecError) return e;
    throw e;
  }
  throw new Error('expected a InvalidSpecError');
}

describe('resolveJobSpec', () => {
  it('fills the job defaults: no timeout, no retries, the backoff as retry backoff', () => {
    const job = resolveJobSpec(base, defaults);
    expect(job.timeout).toBe(Infinity);
    expect(job.retries).toBe(0);
    expect(job.retryBackoff).toEqual(defaults.backoff);
    expect(job.process).toMatchObject({ name: 'build', command: 'make', args: [], restart: 'temporary', successExitCodes: [0] });
    expect(Object.isFrozen(job)).toBe(true);
  });

  it('parses timeout, retries and retryBackoff, and leaves them out of the process spec', () => {
    const job = resolveJobSpec({ ...base, timeout: '2m', retries: 3, retryBackoff: { type: 'fixed', delay: '1s' } }, defaults);
    expect(job).toMatchObject({ timeout: 120_000, retries: 3, retryBackoff: { type: 'fixed', delay: 1000 } });
    expect(job.process).not.toHaveProperty('timeout');
  });

  it('uses the job\'s own `backoff` when `retryBackoff` is absent', () => {
    const job = resolveJobSpec({ ...base, backoff: { type: 'linear', initial: 50 } }, defaults);
    expect(job.retryBackoff).toMatchObject({ type: 'linear', initial: 50, step: 50 });
  });

  it('applies the manager defaults to the process part', () => {
    const managed = resolveManagerOptions({ output: { mask: ['s3cret'] }, startTimeout: '5s' }).defaults;
    const job = resolveJobSpec(base, managed);
    expect(job.process.output.mask).toEqual(['s3cret']);
    expect(job.process.startTimeout).toBe(5000);
  });

  it('does not touch the caller\'s object', () => {
    const spec = { ...base, args: ['-j4'], timeout: '1s' };
    const copy = structuredClone(spec);
    resolveJobSpec(spec, defaults);
    expect(spec).toEqual(copy);
  });

  it.each([
    ['restart', 'permanent', /use `retries`/],
    ['instances', 2, /once per job/],
    ['watch', 'src', /not restarted on file changes/],
  ])('rejects `%s` with the reason', (key, value, reason) => {
    const e = error({ ...base, [key]: value });
    expect(e.path).toBe(key);
    expect(e.message).toMatch(new RegExp(`Invalid spec \`build\`: expected \`${key}\` to be absent in a job spec`));
    expect(e.message).toMatch(reason);
  });

  it('rejects a supervisor spec', () => {
    expect(error({ name: 'tree', strategy: 'one-for-one', children: [] }).message).toMatch(/a job runs one process/);
  });

  it('names the field path and the bad value', () => {
    expect(error({ ...base, timeout: 0 })).toMatchObject({ path: 'timeout', value: 0 });
    expect(error({ ...base, timeout: 'soon' }).message).toMatch(/expected `timeout` to be a positive duration or `Infinity`, got `'soon'`/);
    expect(error({ ...base, retries: 1.5 })).toMatchObject({ path: 'retries' });
    expect(error({ ...base, retryBackoff: { type: 'fixed' } })).toMatchObject({ path: 'retryBackoff.delay' });
    expect(error({ ...base, output: { mask: [''] } })).toMatchObject({ path: 'output.mask[0]' });
    expect(error({ ...base, command: '' })).toMatchObject({ path: 'command' });
    expect(error('make').message).toMatch(/expected the spec to be a job spec object/);
  });

  it('suggests job options for typos', () => {
    expect(error({ ...base, retires: 2 }).message).toMatch(/unknown option `retires` — did you mean `retries`\?/);
    expect(error({ ...base, timout: 2 }).message).toMatch(/did you mean `timeout`\?/);
  });

  it('accepts an infinite timeout and knows every job option', () => {
    expect(resolveJobSpec({ ...base, timeout: Infinity }, defaults).timeout).toBe(Infinity);
    expect(JOB_SPEC_KEYS).toEqual(expect.arrayContaining(['timeout', 'retries', 'retryBackoff', 'command']));
    expect(JOB_SPEC_KEYS).not.toContain('restart');
  });
});
