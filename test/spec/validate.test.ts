import { describe, expect, it } from 'vitest';
import type { InvalidArgumentError, InvalidSpecError } from '../../src/api/errors.js';
import { validationFailure } from './support.js';
import { editDistance, suggest } from '../../src/spec/suggest.js';
import * as v from '../../src/spec/validate.js';

const api = v.specSubject('api');

/** Runs `fn`, expects a InvalidSpecError at `path`, returns it. */
function failure(fn: () => unknown, path: string, kind: 'spec' | 'argument' = 'spec'): InvalidSpecError | InvalidArgumentError {
  return validationFailure(fn, path, kind);
}

describe('message template', () => {
  it('names the spec, the field path, the value and its type, and what was expected', () => {
    const error = failure(() => v.duration(api, 'shutdown.timeout', -5), 'shutdown.timeout');
    expect(error.message).toBe('Invalid spec `api`: expected `shutdown.timeout` to be a non-negative duration, got `-5` (number)');
    expect(error.value).toBe(-5);
    expect(error.name).toBe('InvalidSpecError');
  });

  it('falls back to a nameless subject, and names the whole value at the root path', () => {
    expect(v.specSubject(undefined).label).toBe('spec');
    expect(v.specSubject('   ').label).toBe('spec');
    const error = failure(() => v.object(v.specSubject(42), '', null), '');
    expect(error.message).toBe('Invalid spec: expected the spec to be an object, got `null` (null)');
    expect(failure(() => v.object(v.OPTIONS_SUBJECT, '', 7), '', 'argument').message).toMatch(/^Invalid manager options: expected the options to be/);
  });

  it('appends a hint after a dash', () => {
    expect(v.invalid(api, 'a', 1, 'x', 'because').message).toMatch(/\(number\) — because$/);
  });

  it('tells arrays, null, RegExps and functions apart from objects', () => {
    expect([null, [], /x/, () => 1, {}, 'a', 1, undefined, 1n].map(v.typeName)).toEqual([
      'null', 'array', 'RegExp', 'function', 'object', 'string', 'number', 'undefined', 'bigint',
    ]);
  });

  it('keeps rendered values short and on one line', () => {
    const long = { a: 'x'.repeat(500), b: Array.from({ length: 100 }, (_, i) => i), c: { d: { e: { f: 1 } } } };
    const text = v.describeValue(long);
    expect(text.length).toBeLessThanOrEqual(60);
    expect(text).not.toContain('\n');
    expect(text.endsWith('…')).toBe(true);
    expect(v.describeValue('abc')).toBe("'abc'");
  });

  it('builds paths with dots and brackets', () => {
    expect(v.join('', 'name')).toBe('name');
    expect(v.join(v.index(v.join('', 'children'), 2), 'name')).toBe('children[2].name');
  });
});

describe('did you mean', () => {
  it('counts a transposition as one edit, case-insensitively', () => {
    expect(editDistance('restrat', 'restart')).toBe(1);
    expect(editDistance('Restart', 'restart')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the closest name within typo distance, and nothing for a different word', () => {
    const known = ['restart', 'readiness', 'liveness', 'shutdown'];
    expect(suggest('restrat', known)).toBe('restart');
    expect(suggest('readyness', known)).toBe('readiness');
    expect(suggest('shutdwn', known)).toBe('shutdown');
    expect(suggest('banana', known)).toBeUndefined();
    expect(suggest('xy', ['ab'])).toBeUndefined();
  });

  it('rejects unknown keys with the suggestion in the message', () => {
    const error = failure(() => v.options(api, '', { name: 'api', restrat: 'always' }, ['name', 'restart']), 'restrat');
    expect(error.message).toBe('Invalid spec `api`: unknown option `restrat` — did you mean `restart`?');
    expect(error.value).toBe('always');
  });

  it('lists the known options of a small object when nothing is close', () => {
    const error = failure(() => v.options(api, 'heartbeat', { zzz: 1 }, ['timeout', 'detector']), 'heartbeat.zzz');
    expect(error.message).toContain('unknown option `heartbeat.zzz` — known options: `timeout`, `detector`');
  });
});

describe('checkers', () => {
  it('string', () => {
    expect(v.string(api, 'cwd', '/tmp')).toBe('/tmp');
    expect(v.string(api, 'x', '', true)).toBe('');
    expect(failure(() => v.string(api, 'cwd', ''), 'cwd').message).toContain("got `''` (string)");
    expect(failure(() => v.string(api, 'cwd', 5), 'cwd').message).toContain('a non-empty string, got `5` (number)');
  });

  it('boolean', () => {
    expect(v.boolean(api, 'ipc', false)).toBe(false);
    expect(failure(() => v.boolean(api, 'ipc', 'yes'), 'ipc').message).toContain("`ipc` to be `true` or `false`, got `'yes'`");
  });

  it('oneOf lists the choices', () => {
    expect(v.oneOf(api, 'restart', 'transient', ['permanent', 'transient'])).toBe('transient');
    expect(failure(() => v.oneOf(api, 'restart', 'always', ['permanent', 'transient']), 'restart').message).toContain(
      "one of `'permanent'`, `'transient'`, got `'always'` (string)",
    );
  });

  it('integer', () => {
    expect(v.integer(api, 'n', 255, 0, 255)).toBe(255);
    for (const bad of [256, -1, 1.5, NaN, '3', Infinity]) failure(() => v.integer(api, 'n', bad, 0, 255), 'n');
    expect(failure(() => v.integer(api, 'n', 0, 1), 'n').message).toContain('an integer >= 1');
  });

  it('number with inclusive and exclusive bounds', () => {
    expect(v.number(api, 'f', 1, { min: 1 })).toBe(1);
    expect(v.number(api, 'j', 0, { min: 0, max: 1 })).toBe(0);
    failure(() => v.number(api, 'c', 0, { above: 0 }), 'c');
    failure(() => v.number(api, 'c', Infinity, {}), 'c');
    expect(failure(() => v.number(api, 'j', 1.5, { min: 0, max: 1 }), 'j').message).toContain('a number >= 0 and <= 1, got `1.5`');
  });

  it('duration parses strings and enforces its rules', () => {
    expect(v.duration(api, 'd', '1.5s')).toBe(1_500);
    expect(v.duration(api, 'd', 0)).toBe(0);
    expect(v.duration(api, 'd', Infinity, { infinity: true })).toBe(Infinity);
    failure(() => v.duration(api, 'd', Infinity), 'd');
    failure(() => v.duration(api, 'd', 0, { positive: true }), 'd');
    failure(() => v.duration(api, 'd', null), 'd');
    expect(failure(() => v.duration(api, 'd', '5 parsecs'), 'd').message).toContain("got `'5 parsecs'` (string) — write it as ms");
    expect(failure(() => v.duration(api, 'd', '25d', { timer: true }), 'd').message).toContain(`at most ${v.MAX_TIMER_MS} ms`);
    expect(v.duration(api, 'd', v.MAX_TIMER_MS, { timer: true })).toBe(v.MAX_TIMER_MS);
    expect(failure(() => v.duration(api, 'd', 5, { atLeast: { ms: 10, what: 'ten' } }), 'd').message).toContain('at least ten (10 ms)');
  });

  it('size parses strings and rejects zero unless allowed', () => {
    expect(v.size(api, 'm', '1KiB')).toBe(1_024);
    expect(v.size(api, 'm', 0, false)).toBe(0);
    failure(() => v.size(api, 'm', 0), 'm');
    expect(failure(() => v.size(api, 'm', '12XB'), 'm').message).toContain("got `'12XB'` (string)");
  });

  it('func, array, stringArray', () => {
    const fn = (): number => 1;
    expect(v.func(api, 'f', fn)).toBe(fn);
    failure(() => v.func(api, 'f', {}), 'f');
    failure(() => v.array(api, 'a', {}), 'a');
    failure(() => v.array(api, 'a', [], true), 'a');
    const input = ['a', ''];
    const copy = v.stringArray(api, 'args', input);
    expect(copy).toEqual(input);
    expect(copy).not.toBe(input);
    failure(() => v.stringArray(api, 'args', ['a', 2]), 'args[1]');
  });

  it('signal accepts only names this platform knows', () => {
    expect(v.signal(api, 's', 'SIGINT')).toBe('SIGINT');
    for (const bad of ['SIGFOO', 'sigterm', 15, 'toString']) failure(() => v.signal(api, 's', bad), 's');
  });

  it('stringOrRegExp copies RegExps', () => {
    const re = /x/g;
    const copy = v.stringOrRegExp(api, 'p', re);
    expect(copy).not.toBe(re);
    expect(String(copy)).toBe('/x/g');
    failure(() => v.stringOrRegExp(api, 'p', ''), 'p');
  });

  it('object accepts null-prototype objects but not class instances', () => {
    expect(v.isPlainObject(Object.create(null))).toBe(true);
    expect(v.isPlainObject(new Date())).toBe(false);
    expect(v.isPlainObject([])).toBe(false);
  });
});
