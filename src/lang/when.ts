import { getOwn } from '../util/keys.js';
import { FACT_BY_ID, type FactValue } from '../facts/registry.js';
import { didYouMean } from '../util/did-you-mean.js';
import { looksLikeRange, normalizeRange, satisfies } from '../util/version.js';

/** One matcher under `when:`: a value, a list of values (any may match), or a version range. */
export type WhenMatcher = string | number | boolean | readonly (string | number | boolean)[];

/** Problems with a `when:` map, each with the fact (and list index) it is about. */
export interface WhenProblem {
  fact: string;
  index?: number;
  message: string;
  hint?: string;
}

/** Checks that every fact is known and every range parses. */
export function validateWhen(when: Record<string, WhenMatcher>): WhenProblem[] {
  const problems: WhenProblem[] = [];
  for (const [fact, m] of Object.entries(when)) {
    if (!FACT_BY_ID.has(fact)) {
      const guess = didYouMean(fact, FACT_BY_ID.keys());
      problems.push({
        fact,
        message: `unknown fact "${fact}" in when${guess}`,
        hint: guess ? undefined : 'see `setup doctor` for the facts of this host',
      });
      continue;
    }
    const list = Array.isArray(m) ? m : [m];
    list.forEach((v, i) => {
      if (typeof v === 'string' && looksLikeRange(v) && normalizeRange(v) === null) {
        // `=>3` and `=<3` are the usual slips for `>=3` and `<=3`.
        const swapped = v.replace(/^(\s*)=([<>])/, '$1$2=');
        const guess = swapped !== v && normalizeRange(swapped) !== null ? ` (did you mean "${swapped}"?)` : '';
        problems.push({
          fact,
          index: Array.isArray(m) ? i : undefined,
          message: `bad version range "${v}" for ${fact}${guess}`,
          hint: guess ? undefined : 'write e.g. ">=3.8", "<12", "^1.7"',
        });
      }
    });
  }
  return problems;
}

/** Does one fact value satisfy one matcher value? */
function matchOne(value: FactValue, want: string | number | boolean): boolean {
  if (value === null) return want === false || want === 'none';
  if (typeof want === 'boolean') return value === want;
  if (typeof want === 'string' && looksLikeRange(want)) return satisfies(String(value), want);
  const a = String(value).toLowerCase();
  const b = String(want).toLowerCase();
  if (a === b) return true;
  // `distro_version: 12` matches 12.4; `python: 3.11` matches 3.11.7.
  return /^\d/.test(b) && a.startsWith(b + '.');
}

/** Evaluates `when:` against facts: null when every matcher holds, else why not (the first that failed). */
export function evaluateWhen(
  when: Record<string, WhenMatcher> | undefined,
  facts: Record<string, FactValue>,
): string | null {
  if (!when) return null;
  for (const [fact, m] of Object.entries(when)) {
    const value = getOwn(facts, fact) ?? null;
    const list = Array.isArray(m) ? m : [m];
    if (!list.some((w) => matchOne(value, w))) {
      const wanted = Array.isArray(m) ? `one of ${list.join(', ')}` : String(m);
      return `${fact} is ${value === null ? 'not present' : String(value)}, wants ${wanted}`;
    }
  }
  return null;
}

/**
 * Is `when:` false because the host already has what the step is for hosts without? A fact matched with
 * `none` (`cmake: [none, "<3.24"]`) that is present here and matches nothing (cmake 3.25).
 */
export function hostAlreadyHas(
  when: Record<string, WhenMatcher> | undefined,
  facts: Record<string, FactValue>,
): boolean {
  return Object.entries(when ?? {}).some(([fact, m]) => {
    const value = getOwn(facts, fact) ?? null;
    const list = Array.isArray(m) ? m : [m];
    return value !== null && list.includes('none') && !list.some((w) => matchOne(value, w));
  });
}
