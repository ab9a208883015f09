/**
 * Shared by the spec tests: run something that must fail validation, and check the error's class,
 * stable code and field path.
 */
import { expect } from 'vitest';
import { InvalidArgumentError, InvalidSpecError } from '../../src/api/errors.js';

/**
 * Runs `fn`, expects an InvalidSpecError (`INVALID_SPEC`) at `path` — or an InvalidArgumentError
 * (`INVALID_ARGUMENT`) for `kind: 'argument'` — and returns it.
 */
export function validationFailure(fn: () => unknown, path: string, kind?: 'spec'): InvalidSpecError;
export function validationFailure(fn: () => unknown, path: string, kind: 'argument'): InvalidArgumentError;
export function validationFailure(fn: () => unknown, path: string, kind: 'spec' | 'argument'): InvalidSpecError | InvalidArgumentError;
export function validationFailure(fn: () => unknown, path: string, kind: 'spec' | 'argument' = 'spec'): InvalidSpecError | InvalidArgumentError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  const error = caught as InvalidSpecError | InvalidArgumentError;
  if (kind === 'spec') {
    expect(caught).toBeInstanceOf(InvalidSpecError);
    expect(error.code).toBe('INVALID_SPEC');
  } else {
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(error.code).toBe('INVALID_ARGUMENT');
  }
  expect(error.path).toBe(path);
  return error;
}
