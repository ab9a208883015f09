/**
 * Masking of secrets in output lines and in any other text procvisor shows (error messages, the
 * output tail of a `StartFailedError`).
 */

/** What a secret is replaced with. */
export const MASK = '***';

/** Replaces the secrets in one line. */
export type Masker = (line: string) => string;

// A pattern that can match the empty string (e.g. /x*?/) would otherwise put `***` between every
// character; the function is only called on a match, so unmatched lines pay nothing for it.
const replaceMatch = (match: string): string => (match === '' ? match : MASK);

/** A copy of `pattern` that matches every occurrence: `g` forced, `y` dropped, the caller's object untouched. */
function globalCopy(pattern: RegExp): RegExp {
  const flags = pattern.flags.replace('y', '');
  return new RegExp(pattern, flags.includes('g') ? flags : `${flags}g`);
}

/**
 * Builds the masker for `output.mask`, or returns `undefined` when there is nothing to mask so the
 * hot path can skip the call. Strings are matched literally (no special characters), regular
 * expressions as given but always globally; every match becomes `***`. Empty strings are ignored.
 */
export function createMasker(mask: readonly (string | RegExp)[]): Masker | undefined {
  const literals: string[] = [];
  const patterns: RegExp[] = [];
  for (const item of mask) {
    if (typeof item === 'string') {
      if (item !== '' && !literals.includes(item)) literals.push(item);
    } else {
      patterns.push(globalCopy(item));
    }
  }
  if (literals.length === 0 && patterns.length === 0) return undefined;
  // Longer literals first, so a secret that contains a shorter one is masked whole.
  literals.sort((a, b) => b.length - a.length);
  return (line: string): string => {
    let out = line;
    for (const literal of literals) {
      // includes() first: most lines hold no secret, and replaceAll would allocate a result anyway.
      if (out.includes(literal)) out = out.replaceAll(literal, MASK);
    }
    // A global RegExp is stateless under replace() (lastIndex is reset), so sharing one is safe.
    for (const pattern of patterns) out = out.replace(pattern, replaceMatch);
    return out;
  };
}

/**
 * Masks multi-line `text` (an error message, joined output) line by line with the same masker as the
 * output, so `^`/`$` in patterns mean the same thing in both. Returns `text` unchanged without a masker.
 */
export function maskText(text: string, masker: Masker | undefined): string {
  if (masker === undefined) return text;
  if (!text.includes('\n')) return masker(text);
  return text.split('\n').map(masker).join('\n');
}
