/**
 * A small glob dialect for `watch` paths and `ignore` patterns (chokidar 4 dropped globs): `*` and
 * `?` within one path segment, `**` as a whole segment for any depth (zero or more segments),
 * `[abc]` / `[!abc]` classes, `{a,b}` alternatives (nestable) and `\` to escape. `*` also matches
 * names starting with a dot. Paths use `/` as separator.
 */

const GLOB_CHARS = /[*?[\]{}]/;

/** True when `pattern` has glob syntax rather than naming one path. */
export function hasGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** The directory part before the first segment with glob syntax: what must be watched. */
export function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const first = segments.findIndex((segment) => hasGlob(segment));
  const base = (first === -1 ? segments : segments.slice(0, first)).join('/');
  return base === '' ? (pattern.startsWith('/') ? '/' : '.') : base;
}

const escape = (char: string): string => char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The index just past the `}` closing the `{` at `start`, or -1. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') i++;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Splits the inside of `{...}` at its top-level commas. */
function alternatives(inner: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i];
    if (char === '\\') i++;
    else if (char === '{') depth++;
    else if (char === '}') depth--;
    else if (char === ',' && depth === 0) {
      out.push(inner.slice(from, i));
      from = i + 1;
    }
  }
  out.push(inner.slice(from));
  return out;
}

/** The RegExp source of one segment (no `/` inside, `**` handled by the caller). */
function segmentSource(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] as string;
    if (char === '\\' && i + 1 < segment.length) {
      out += escape(segment[++i] as string);
    } else if (char === '*') {
      while (segment[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[' && segment.indexOf(']', i + 2) !== -1) {
      const end = segment.indexOf(']', i + 2);
      let body = segment.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^/' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = end;
    } else if (char === '{' && closingBrace(segment, i) !== -1) {
      const end = closingBrace(segment, i);
      out += `(?:${alternatives(segment.slice(i + 1, end - 1)).map(segmentSource).join('|')})`;
      i = end - 1;
    } else {
      out += escape(char);
    }
  }
  return out;
}

/** Compiles a glob into a RegExp matching whole `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  const segments = glob.split('/');
  let source = '';
  let needSeparator = false;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      // Any depth, including none: `a/**/b` matches `a/b`, `a/**` matches `a` and all below it.
      if (last) source += needSeparator ? '(?:/.*)?' : '.*';
      else source += needSeparator ? '/(?:.*/)?' : '(?:.*/)?';
      needSeparator = false;
      return;
    }
    if (needSeparator) source += '/';
    source += segmentSource(segment);
    needSeparator = true;
  });
  return new RegExp(`^${source}$`);
}
