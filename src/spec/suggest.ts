/**
 * "Did you mean" for unknown option names: the closest known name by edit distance, when it is
 * close enough to be a typo rather than a different word. A required option the spec lacks is the
 * likeliest meaning of an unknown key, so it is tried first and more generously: `cmd` beside a
 * missing `command` means `command`, not the nearer `cwd`.
 */

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment), so
 * `restrat` is one edit from `restart`. Case-insensitive: `Restart` is zero edits from `restart`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Three rolling rows: the transposition step looks two rows back.
  let prevPrev: number[] = [];
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, (prevPrev[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    prevPrev = prev;
    prev = row;
  }
  return prev[t.length] ?? 0;
}

/** Largest distance still read as a typo: short words tolerate fewer edits. */
function tolerance(word: string): number {
  if (word.length <= 3) return 1;
  if (word.length <= 6) return 2;
  return 3;
}

/**
 * True when `word` reads as a shortening of `name`: same first letter, and every letter of `word`
 * in `name` in order (`cmd` of `command`, `env` of `environment`, `args` of `arguments`).
 */
function abbreviates(word: string, name: string): boolean {
  const w = word.toLowerCase();
  const n = name.toLowerCase();
  if (w.length < 2 || w.length >= n.length || w[0] !== n[0]) return false;
  let at = 0;
  for (const char of n) if (char === w[at]) at += 1;
  return at >= w.length;
}

/**
 * The known name closest to `word`, or `undefined` when none is within typo distance. Ties go to
 * the earlier candidate, so list the most common names first. `missing` names required options the
 * value lacks: one of them that `word` abbreviates, or is within the typo distance of the longer of
 * the two words, wins over any other candidate.
 */
export function suggest(word: string, candidates: readonly string[], missing: readonly string[] = []): string | undefined {
  let wanted: string | undefined;
  let wantedDistance = Infinity;
  for (const name of missing) {
    const distance = editDistance(word, name);
    const near = distance <= tolerance(word.length >= name.length ? word : name) || abbreviates(word, name);
    if (near && distance < wantedDistance) {
      wanted = name;
      wantedDistance = distance;
    }
  }
  if (wanted !== undefined) return wanted;
  let best: string | undefined;
  let bestDistance = tolerance(word) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
