/**
 * Writing unit files by systemd's own rules (systemd.syntax(7), systemd.service(5)): unit names
 * escaped as `systemd-escape` does, command lines quoted word by word, `%` specifiers and `$`
 * substitutions neutralised, so each setting reads back as the value it was given.
 */

/** A unit name part: `[A-Za-z0-9:_.-]` kept, anything else `\xNN` (systemd-escape's rule). */
export function unitName(name: string): string {
  return [...Buffer.from(name, 'utf8')]
    .map((byte, i) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9:_-]/.test(c) || (c === '.' && i > 0) ? c : `\\x${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

/** `%` doubled: specifiers are expanded in nearly every setting. */
export function noSpecifiers(value: string): string {
  return value.replaceAll('%', '%%');
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\v': '\\v', '\f': '\\f', '\b': '\\b', '\x07': '\\a' };

/** One word, double-quoted with C escapes where needed (systemd.syntax "Quoting"). */
export function quoteWord(word: string, first = false): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) && !(first && /^[-@:+!|]/.test(word))) return word;
  const body = [...word].map((c) => ESCAPES[c] ?? (c < ' ' || c === '\x7f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('');
  return `"${body}"`;
}

/** An `Exec*=` command line: each word quoted, `%` → `%%`, `$` → `$$` (no environment substitution). */
export function commandLine(argv: readonly string[]): string {
  // The first word's leading `-@:+!|` would be read as prefixes (systemd.service "Command lines").
  return argv.map((word, i) => (word === ';' ? '\\;' : quoteWord(noSpecifiers(word).replaceAll('$', '$$$$'), i === 0))).join(' ');
}

/** An `Environment=` assignment, one variable, quoted. */
export function environmentLine(key: string, value: string): string {
  return quoteWord(noSpecifiers(`${key}=${value}`));
}

/** One section of a unit file: `[Name]` then `Key=Value` lines (a key may repeat). */
export type Section = readonly [name: string, entries: readonly (readonly [key: string, value: string])[]];

/** The text of a unit file. */
export function unitFile(header: string, sections: readonly Section[]): string {
  const body = sections
    .filter(([, entries]) => entries.length > 0)
    .map(([name, entries]) => [`[${name}]`, ...entries.map(([key, value]) => `${key}=${value}`)].join('\n'));
  return `${header}\n${body.join('\n\n')}\n`;
}
