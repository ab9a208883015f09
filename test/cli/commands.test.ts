/**
 * The commands of `procvisor run`: npm:/pnpm:/yarn:/bun: shortcuts and wildcards expanded against a
 * package.json fixture (test/fixtures/cli-npm), names from `--names`, usable and unique names.
 */
import { describe, expect, it } from 'vitest';
import { readScripts } from '../../src/cli/commands/run.js';
import { CommandExpansionError, expandCommands } from '../../src/cli/run/commands.js';
import { fixturePath } from './support.js';

const scripts = readScripts(fixturePath('cli-npm'));

describe('expandCommands', () => {
  it('reads the scripts of the fixture', () => {
    expect(Object.keys(scripts ?? {})).toEqual(['build', 'lint:js', 'lint:css', 'lint:fix', 'watch-api', 'test']);
  });

  it('names plain commands by their position and runs them as written', () => {
    expect(expandCommands(['echo a', 'node server.js'], [], undefined)).toEqual([
      { name: '0', command: 'echo a' },
      { name: '1', command: 'node server.js' },
    ]);
  });

  it('npm:build runs `npm run build`, named build; arguments follow', () => {
    expect(expandCommands(['npm:build', 'pnpm:test -- --watch', 'yarn:lint:js', 'bun:build'], [], undefined)).toEqual([
      { name: 'build', command: 'npm run build' },
      { name: 'test', command: 'pnpm run test -- --watch' },
      { name: 'lint:js', command: 'yarn run lint:js' },
      { name: 'build-2', command: 'bun run build' },
    ]);
  });

  it('npm:lint:* expands to every matching script, named by the wildcard part, in package.json order', () => {
    expect(expandCommands(['npm:lint:*'], [], scripts)).toEqual([
      { name: 'js', command: 'npm run lint:js' },
      { name: 'css', command: 'npm run lint:css' },
      { name: 'fix', command: 'npm run lint:fix' },
    ]);
  });

  it('a wildcard anywhere, an omission, and a given name in front of each match', () => {
    expect(expandCommands(['npm:*-api', 'npm:lint:*(!fix)'], ['', 'lint-'], scripts)).toEqual([
      { name: 'watch', command: 'npm run watch-api' },
      { name: 'lint-js', command: 'npm run lint:js' },
      { name: 'lint-css', command: 'npm run lint:css' },
    ]);
  });

  it('applies --names in order to the commands as written; missing names fall back', () => {
    expect(expandCommands(['echo a', 'npm:build', 'echo c'], ['first', 'compile'], undefined)).toEqual([
      { name: 'first', command: 'echo a' },
      { name: 'compile', command: 'npm run build' },
      { name: '2', command: 'echo c' },
    ]);
  });

  it('makes names usable and unique', () => {
    expect(expandCommands(['echo 1', 'echo 2', 'echo 3', 'echo 4'], ['web#1', 'a/b', 'x', 'x'], undefined).map((c) => c.name)).toEqual(['web-1', 'a-b', 'x', 'x-2']);
  });

  it('a wildcard with no package.json, or matching nothing, is an error naming the command', () => {
    expect(() => expandCommands(['npm:lint:*'], [], undefined)).toThrow(CommandExpansionError);
    expect(() => expandCommands(['npm:deploy:*'], [], scripts)).toThrow(/`npm:deploy:\*` matches no script/);
  });
});
