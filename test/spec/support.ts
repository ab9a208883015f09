/**
 * Shared by the spec tests: run something that must fail validation, and check the error's class,
 * stable code and field path.
 */
import { expect } from 'vitest';
import { ValidationError } from '../../src/api/errors.js';

/** Runs `fn`, expects a ValidationError (`INVALID_SPEC`) at `path`, and returns it. */
export function validationFailure(fn: () => unknown, path: string): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.code).toBe('INVALID_SPEC');
  expect(error.path).toBe(path);
  return error;
}
