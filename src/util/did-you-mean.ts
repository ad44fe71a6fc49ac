/** Levenshtein distance, for "did you mean" suggestions. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate to `word`, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = lc.startsWith(w) || w.startsWith(lc) ? Math.abs(lc.length - w.length) * 0.5 : distance(w, lc);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/**
 * Up to `n` candidates close to `word` (a typo away, or containing it), closest first: for a pattern that
 * matched nothing. `*` and `?` in `word` are ignored when comparing.
 */
export function closeNames(word: string, candidates: Iterable<string>, n = 3): string[] {
  const w = word.replace(/[*?]/g, '').toLowerCase();
  if (!w) return [];
  const limit = Math.max(2, Math.floor(w.length / 3));
  const scored: [string, number][] = [];
  for (const c of candidates) {
    const lc = c.toLowerCase();
    // Containing it counts as one typo (a little more the longer the difference), so real typos come first.
    const d = lc.includes(w) || w.includes(lc) ? 1 + Math.abs(lc.length - w.length) * 0.01 : distance(w, lc);
    if (d <= limit) scored.push([c, d]);
  }
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([c]) => c);
}

/** ` (did you mean "x"?)` or the empty string; `named` turns the closest candidate into what to suggest (an alias into its kind). */
export function didYouMean(
  word: string,
  candidates: Iterable<string>,
  named: (candidate: string) => string = (c) => c,
): string {
  const c = closest(word, candidates);
  return c ? ` (did you mean "${named(c)}"?)` : '';
}
