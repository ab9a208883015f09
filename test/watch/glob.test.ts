import { describe, expect, it } from 'vitest';
import { globBase, globToRegExp, hasGlob } from '../../src/watch/glob.js';

const matches = (glob: string, path: string): boolean => globToRegExp(glob).test(path);

describe('globToRegExp', () => {
  it.each([
    ['*.ts', 'a.ts', true],
    ['*.ts', 'dir/a.ts', false],
    ['*.ts', '.hidden.ts', true],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/x/a.ts', false],
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['src/**/*.ts', 'lib/a.ts', false],
    ['**/*.ts', 'a.ts', true],
    ['**/*.ts', 'x/y/a.ts', true],
    ['src/**', 'src', true],
    ['src/**', 'src/x/y', true],
    ['src/**', 'srcx', false],
    ['**', 'anything/at/all', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[ab].txt', 'b.txt', true],
    ['[!ab].txt', 'b.txt', false],
    ['[!ab].txt', 'c.txt', true],
    ['*.{js,ts}', 'x.ts', true],
    ['*.{js,ts}', 'x.md', false],
    ['{a,b{c,d}}.txt', 'bd.txt', true],
    ['{a,b{c,d}}.txt', 'b.txt', false],
    ['a.b', 'axb', false],
    ['a+(b)', 'a+(b)', true],
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'x.txt', false],
    ['/abs/**/*.js', '/abs/x/y.js', true],
  ])('%s against %s is %s', (glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });
});

describe('hasGlob and globBase', () => {
  it('tells globs from paths', () => {
    expect(hasGlob('src/index.ts')).toBe(false);
    expect(hasGlob('src/*.ts')).toBe(true);
    expect(hasGlob('src/{a,b}')).toBe(true);
  });

  it('finds the static directory a glob lives under', () => {
    expect(globBase('src/**/*.ts')).toBe('src');
    expect(globBase('src/lib/*.{js,ts}')).toBe('src/lib');
    expect(globBase('**/*.ts')).toBe('.');
    expect(globBase('/abs/x/*.js')).toBe('/abs/x');
    expect(globBase('/*.js')).toBe('/');
  });
});
