import { describe, expect, it } from 'vitest';
import type { ResolvedWatch } from '../../src/spec/resolved.js';
import { compileWatch } from '../../src/watch/matcher.js';

const spec = (paths: string[], ignore: (string | RegExp)[] = []): ResolvedWatch => ({ paths, ignore, debounce: 0, action: 'restart' });
const CWD = '/proj';

describe('compileWatch', () => {
  it('watches plain paths and glob bases, relative to the working directory', () => {
    const m = compileWatch(spec(['src', 'lib/**/*.js', '/etc/app.conf', '**/*.json']), CWD);
    expect(m.roots).toEqual(['/proj/src', '/proj/lib', '/etc/app.conf', '/proj']);
  });

  it('accepts what a plain path names or a glob matches', () => {
    const m = compileWatch(spec(['src', 'lib/**/*.js', 'config.json']), CWD);
    expect(m.accepts('/proj/src')).toBe(true);
    expect(m.accepts('/proj/src/deep/a.txt')).toBe(true);
    expect(m.accepts('/proj/srcx/a.txt')).toBe(false);
    expect(m.accepts('/proj/lib/a.js')).toBe(true);
    expect(m.accepts('/proj/lib/x/a.js')).toBe(true);
    expect(m.accepts('/proj/lib/a.ts')).toBe(false);
    expect(m.accepts('/proj/config.json')).toBe(true);
    expect(m.accepts('/proj/other.json')).toBe(false);
  });

  it('knows which paths lie on the way to a root, in it, or off it', () => {
    const m = compileWatch(spec(['a/b/c', 'lib/**/*.js']), CWD);
    expect(m.relevant('/proj')).toBe(true);
    expect(m.relevant('/proj/a/b')).toBe(true);
    expect(m.relevant('/proj/a/b/c/d/e')).toBe(true);
    expect(m.relevant('/proj/lib/x/y.js')).toBe(true);
    expect(m.relevant('/proj/a/other')).toBe(false);
    expect(m.relevant('/proj/node_modules')).toBe(false);
  });

  it('ignores by name anywhere, by anchored path (and what is below), and by RegExp', () => {
    const m = compileWatch(spec(['.'], ['node_modules', '*.log', 'build/out', /\.swp$/, /^tmp\//]), CWD);
    expect(m.ignores('/proj/node_modules')).toBe(true);
    expect(m.ignores('/proj/a/node_modules/b/c.js')).toBe(true);
    expect(m.ignores('/proj/logs/x.log')).toBe(true);
    expect(m.ignores('/proj/build/out')).toBe(true);
    expect(m.ignores('/proj/build/out/a.js')).toBe(true);
    expect(m.ignores('/proj/build/outside.js')).toBe(false);
    expect(m.ignores('/proj/x/build/out/a.js')).toBe(false);
    expect(m.ignores('/proj/a.js.swp')).toBe(true);
    expect(m.ignores('/proj/tmp/a')).toBe(true);
    expect(m.ignores('/proj/src/tmp/a')).toBe(false);
    expect(m.ignores('/proj/src/index.ts')).toBe(false);
  });

  it('does not read the working directory as a pattern', () => {
    const m = compileWatch(spec(['*.ts'], ['gen/*.ts']), '/my[app]');
    expect(m.accepts('/my[app]/a.ts')).toBe(true);
    expect(m.accepts('/mya/a.ts')).toBe(false);
    expect(m.ignores('/my[app]/gen/b.ts')).toBe(true);
  });

  it('matches ignore globs with slashes and a RegExp with the g flag every time', () => {
    const m = compileWatch(spec(['.'], ['dist/**/*.map', /\.tmp$/g]), CWD);
    expect(m.ignores('/proj/dist/a/b.js.map')).toBe(true);
    expect(m.ignores('/proj/dist/a/b.js')).toBe(false);
    expect([m.ignores('/proj/a.tmp'), m.ignores('/proj/a.tmp'), m.ignores('/proj/a.tmp')]).toEqual([true, true, true]);
  });
});
