/**
 * The naming rule of every error class the package exports: `code` is the class name without
 * `Error`, in upper snake case; `name` is the class name; each is a ProcvisorError, recognised by
 * isProcvisorError.
 */
import { describe, expect, it } from 'vitest';
import * as procvisor from '../../src/index.js';

const classes = Object.entries(procvisor as Record<string, unknown>).filter(
  (entry): entry is [string, new (...args: never[]) => Error] => /^[A-Z]\w*Error$/.test(entry[0]) && entry[0] !== 'ProcvisorError' && typeof entry[1] === 'function',
);

describe('exported error classes', () => {
  it('are all there (a new class is listed here by the rule, not by hand)', () => {
    expect(classes.map(([name]) => name)).toContain('PortUnavailableError');
    expect(classes.length).toBeGreaterThanOrEqual(14);
  });

  it.each(classes)('%s: code by the rule, name, base class', (name, Class) => {
    const expected = name
      .replace(/Error$/, '')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toUpperCase();
    // `code` is an instance field: read from an instance.
    const made = construct(Class);
    if (!made) throw new Error(`${name} could not be constructed with any placeholder arguments`);
    expect(made.code).toBe(expected);
    expect(made.name).toBe(name);
    expect(made).toBeInstanceOf(procvisor.ProcvisorError);
    expect(procvisor.isProcvisorError(made)).toBe(true);
  });
});

/** An instance made with placeholder arguments (every constructor takes strings, objects or arrays). */
function construct(Class: new (...args: never[]) => Error): procvisor.ProcvisorError | undefined {
  const attempts: unknown[][] = [['x', 'x', 'x'], [[], 'x'], [undefined, 'x'], [{ name: 'x', message: 'x' }], ['x', 'x', {}]];
  for (const args of attempts) {
    try {
      const made = new (Class as unknown as new (...a: unknown[]) => procvisor.ProcvisorError)(...args);
      if (typeof made.code === 'string') return made;
    } catch {
      // try the next shape
    }
  }
  return undefined;
}
