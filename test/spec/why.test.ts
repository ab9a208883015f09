/**
 * Validation messages that point at the fix: an unknown key beside a missing required option is
 * that option misspelt or shortened (`cmd` → `command`, not the nearer `cwd`), and a `log` readiness
 * pattern written as a regular expression in a string is refused with the RegExp to write instead.
 */
import { describe, expect, it } from 'vitest';
import { resolveJobSpec } from '../../src/jobs/resolve.js';
import { resolveChildSpec, resolveManagerOptions } from '../../src/spec/resolve.js';
import { suggest } from '../../src/spec/suggest.js';
import { validationFailure } from './support.js';

const defaults = resolveManagerOptions(undefined).defaults;
const resolve = (spec: unknown) => () => resolveChildSpec(spec, defaults);

describe('suggestions weigh required options', () => {
  it('`cmd` without `command` means `command`', () => {
    const error = validationFailure(resolve({ name: 'x', cmd: 'node' }), 'cmd');
    expect(error.message).toBe('Invalid spec `x`: unknown option `cmd` — did you mean `command`?');
  });

  it('`cmd` beside a `command` is still read as a typo of `cwd`', () => {
    const error = validationFailure(resolve({ name: 'x', command: 'node', cmd: '/srv' }), 'cmd');
    expect(error.message).toBe('Invalid spec `x`: unknown option `cmd` — did you mean `cwd`?');
  });

  it('a job spec, a supervisor spec and probes favour their missing required option too', () => {
    expect(validationFailure(() => resolveJobSpec({ name: 'j', cmd: 'make' }, defaults), 'cmd').message).toContain('did you mean `command`?');
    expect(validationFailure(resolve({ name: 's', strategy: 'one-for-one', childs: [] }), 'childs').message).toContain('did you mean `children`?');
    const probe = { name: 'x', command: 'node', readiness: { type: 'http', uri: 'http://127.0.0.1:1/' } };
    expect(validationFailure(resolve(probe), 'readiness.uri').message).toContain('did you mean `readiness.url`?');
  });

  it('suggest(): a missing name wins when abbreviated or within typo distance, and only then', () => {
    const known = ['name', 'command', 'args', 'cwd', 'env'];
    expect(suggest('cmd', known)).toBe('cwd');
    expect(suggest('cmd', known, ['command'])).toBe('command');
    expect(suggest('commmand', known, ['command'])).toBe('command');
    // Not a shortening (no `w` in `command`) and far from it: the ordinary closest name.
    expect(suggest('cwdir', known, ['command'])).toBe('cwd');
    expect(suggest('banana', known, ['command'])).toBeUndefined();
  });
});

describe('a log pattern string that reads as a regular expression', () => {
  const spec = (pattern: unknown) => ({ name: 'web', command: 'node', readiness: { type: 'log', pattern } });

  it.each(['listening on \\d+', 'port \\w+', 'ready\\s', 'on\\s*port', '\\bready\\b', 'v\\d.\\d', 'started.*', 'up.+now', 'no \\D here', '^ready', '^ready$'])('refuses %j with the RegExp to write', (pattern) => {
    const error = validationFailure(resolve(spec(pattern)), 'readiness.pattern');
    expect(error.message).toContain('a string matches literally');
    expect(error.message).toContain(`pass a RegExp (\`/${pattern}/\`) instead`);
  });

  it('says it in full for the common case', () => {
    const error = validationFailure(resolve(spec('listening on \\d+')), 'readiness.pattern');
    expect(error.message).toBe(
      "Invalid spec `web`: expected `readiness.pattern` to be a RegExp when it is written like one, got `'listening on \\\\d+'` (string) — a string matches literally, so this one would match only the exact characters `listening on \\d+`: pass a RegExp (`/listening on \\d+/`) instead",
    );
  });

  it.each(['ready.', '[ok] started', 'listening on [::]:80 (pid *)', '^C', 'ready$', 'price: $5+', 'C:\\app\\server', 'D:\\data\\db\\wal'])('accepts %j as literal text', (pattern) => {
    const resolved = resolveChildSpec(spec(pattern), defaults);
    const probe = resolved.kind === 'process' ? resolved.readiness : undefined;
    expect(probe?.type === 'log' && probe.pattern.test(`x ${pattern} y`)).toBe(true);
  });

  it('a RegExp is fine', () => {
    expect(() => resolveChildSpec(spec(/listening on \d+/), defaults)).not.toThrow();
  });
});
