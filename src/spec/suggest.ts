/**
 * "Did you mean" for unknown option names: the closest known name by edit distance, when it is
 * close enough to be a typo rather than a different word.
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
 * The known name closest to `word`, or `undefined` when none is within typo distance. Ties go to
 * the earlier candidate, so list the most common names first.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
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
