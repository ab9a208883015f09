/**
 * Validation and resolution of the `stdin` and `color` fields of a process spec (and of a job,
 * which takes every process field): defaults, accepted values, and errors naming the field and
 * what it may be.
 */
import { describe, expect, it } from 'vitest';
import { resolveJobSpec } from '../../src/jobs/resolve.js';
import { resolveChildSpec, resolveManagerOptions, resolveProcessSpec } from '../../src/spec/resolve.js';
import { validationFailure } from './support.js';

const defaults = resolveManagerOptions(undefined).defaults;
const proc = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'api', command: 'node', ...extra });

describe('stdin', () => {
  it("defaults to 'ignore' and takes 'pipe' and 'inherit'", () => {
    expect(resolveProcessSpec(proc({}), defaults).stdin).toBe('ignore');
    for (const stdin of ['ignore', 'pipe', 'inherit'] as const) expect(resolveProcessSpec(proc({ stdin }), defaults).stdin).toBe(stdin);
    expect(resolveJobSpec(proc({ stdin: 'pipe' }), defaults).process.stdin).toBe('pipe');
  });

  it.each([['stream'], [true], [0], [null], ['PIPE']])('rejects %j naming the field and the allowed values', (stdin) => {
    const error = validationFailure(() => resolveChildSpec(proc({ stdin }), defaults), 'stdin');
    expect(error.message).toMatch(/^Invalid spec `api`: expected `stdin` to be one of `'ignore'`, `'pipe'`, `'inherit'`, got /);
  });

  it('names the path inside a tree', () => {
    const tree = { name: 't', strategy: 'one-for-one', children: [proc({ stdin: 'tty' })] };
    validationFailure(() => resolveChildSpec(tree, defaults), 'children[0].stdin');
  });
});

describe('color', () => {
  it("is undefined unless given, and takes 'auto', true and false", () => {
    expect(resolveProcessSpec(proc({}), defaults).color).toBeUndefined();
    for (const color of ['auto', true, false] as const) expect(resolveProcessSpec(proc({ color }), defaults).color).toBe(color);
    expect(resolveJobSpec(proc({ color: false }), defaults).process.color).toBe(false);
  });

  it.each([['always'], [1], [null], ['true']])('rejects %j naming the field and the allowed values', (color) => {
    const error = validationFailure(() => resolveChildSpec(proc({ color }), defaults), 'color');
    expect(error.message).toContain("expected `color` to be `'auto'`, `true` or `false`");
  });
});
