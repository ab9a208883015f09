/**
 * Procfiles (foreman, Heroku): one `name: command` line per process; `#` starts a comment line;
 * blank lines are skipped. Each process runs its command line through a shell, in the Procfile's
 * directory. Names are letters, digits, `_` and `-`, as foreman accepts them.
 */
import type { ProcessSpec } from '../../api/types.js';
import type { ConfigIssue } from './issues.js';

/** What a Procfile declares, and the lines that could not be read. */
export interface ParsedProcfile {
  readonly processes: ProcessSpec[];
  readonly issues: ConfigIssue[];
}

const ENTRY = /^([A-Za-z0-9_-]+)[ \t]*:[ \t]*(.*)$/;

/** Parses the text of a Procfile; every malformed line is an issue named `line N`. */
export function parseProcfile(text: string): ParsedProcfile {
  const processes: ProcessSpec[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const at = `line ${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const match = ENTRY.exec(line);
    if (!match) {
      issues.push({ path: at, message: `expected \`name: command\` (a name of letters, digits, \`_\` or \`-\`), got \`${line}\`` });
      return;
    }
    const [, name = '', command = ''] = match;
    if (command.trim() === '') {
      issues.push({ path: at, message: `\`${name}\` has no command` });
      return;
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      issues.push({ path: at, message: `\`${name}\` is declared twice (first on line ${previous})` });
      return;
    }
    seen.set(name, i + 1);
    processes.push({ name, command: command.trim(), shell: true });
  });
  return { processes, issues };
}
