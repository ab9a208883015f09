/**
 * Procfile parsing: `name: command` lines, comments, blank lines, and every malformed line named.
 */
import { describe, expect, it } from 'vitest';
import { parseProcfile } from '../../src/cli/config/procfile.js';

describe('parseProcfile', () => {
  it('reads name: command lines, skipping comments and blank lines; commands run through a shell', () => {
    const text = ['# the app', '', 'web: node server.js --port $PORT', '  worker:npm run worker  ', 'clock_2 : echo "a: b" # not a comment', ''].join('\n');
    expect(parseProcfile(text)).toEqual({
      processes: [
        { name: 'web', command: 'node server.js --port $PORT', shell: true },
        { name: 'worker', command: 'npm run worker', shell: true },
        { name: 'clock_2', command: 'echo "a: b" # not a comment', shell: true },
      ],
      issues: [],
    });
  });

  it('accepts CRLF line ends', () => {
    expect(parseProcfile('a: echo a\r\nb: echo b\r\n').processes.map((p) => p.command)).toEqual(['echo a', 'echo b']);
  });

  it('names every malformed line by its number and keeps the good ones', () => {
    const { processes, issues } = parseProcfile(['web: node a.js', 'just a command', 'empty:', 'web: node b.js', 'bad name: x'].join('\n'));
    expect(processes).toEqual([{ name: 'web', command: 'node a.js', shell: true }]);
    expect(issues.map((i) => i.path)).toEqual(['line 2', 'line 3', 'line 4', 'line 5']);
    expect(issues[1]?.message).toMatch(/`empty` has no command/);
    expect(issues[2]?.message).toMatch(/declared twice \(first on line 1\)/);
  });

  it('an empty Procfile declares nothing (validation then says there is nothing to run)', () => {
    expect(parseProcfile('# nothing\n\n')).toEqual({ processes: [], issues: [] });
  });
});
