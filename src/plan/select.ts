import { UsageError } from '../util/errors.js';
import { closeNames } from '../util/did-you-mean.js';
import type { ResolvedStep } from '../steps/types.js';

/**
 * Which steps `plan` and `run` take. With `--only` or `--tags`, a step is in when it matches one of the
 * patterns or carries one of the tags; then `--skip` and `--skip-tags` leave out what they match, and `--from`
 * leaves out every step before the one it names (plan order).
 */
export interface Selection {
  only: readonly string[];
  skip: readonly string[];
  tags: readonly string[];
  skipTags: readonly string[];
  from?: string;
}

/** Why selection left a step out: what to say, and how to take it back in. */
export interface LeftOut {
  /** `--only "faiss#3"` left it out (the options, as the user wrote them). */
  by: string;
  /** How to include it: `add --only faiss#2`, `drop --skip "Build*"`. */
  fix: string;
  /**
   * Left out only by name (`--skip`, `--skip-tags`): the user chose it, so the later steps of its own recipe
   * run without it (the plan notes it). A step a selection just did not take in still holds them back.
   */
  named: boolean;
}

/** Whether any selection option was given. */
export function hasSelection(sel: Selection | undefined): sel is Selection {
  return !!sel && !!(sel.only.length || sel.skip.length || sel.tags.length || sel.skipTags.length || sel.from);
}

/**
 * A glob as a matcher: `*` any run of characters, `?` one, everything else literal; the whole text must
 * match, case-insensitively (step names are written for people; ids are lowercase anyway).
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  const body = [...pattern]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${body}$`, 'is');
  return (text) => re.test(text);
}

/** A step matches a pattern by its id (`faiss#3`), its name (`Build faiss`) or its recipe's name (`faiss`: every step). */
export function matchesStep(pattern: string, step: Pick<ResolvedStep, 'id' | 'name' | 'recipe'>): boolean {
  const m = globMatcher(pattern);
  return m(step.id) || m(step.recipe) || (step.name !== '' && m(step.name));
}

/** `a,b` and repeated flags → the words, trimmed, no empties, lowercase (tags are lowercase words). */
export function splitTags(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',').map((t) => t.trim().toLowerCase())).filter(Boolean);
}

const quote = (p: string): string => (/^[\w#.-]+$/.test(p) ? p : `"${p}"`);

/**
 * Applies a selection to the steps in plan order (pure): the steps it leaves out, each with why and how to
 * take it back. A pattern or tag that matches no step is a UsageError (exit 2) naming close ones.
 */
export function selectSteps(steps: readonly ResolvedStep[], sel: Selection): Map<string, LeftOut> {
  const out = new Map<string, LeftOut>();
  if (!hasSelection(sel)) return out;
  const names = [...new Set(steps.flatMap((s) => [s.recipe, s.id, ...(s.name ? [s.name] : [])]))];
  const noMatch = (flag: string, p: string): never => {
    const close = closeNames(p, names);
    throw new UsageError(
      `${flag} ${quote(p)} matches no step${close.length ? ` (close: ${close.map(quote).join(', ')})` : ''}`,
      '`setup plan <recipe…>` lists the steps; a pattern matches a step id (faiss#3), a step name or a recipe name, with * and ?',
    );
  };
  for (const [flag, list] of [
    ['--only', sel.only],
    ['--skip', sel.skip],
  ] as const)
    for (const p of list) if (!steps.some((s) => matchesStep(p, s))) noMatch(flag, p);
  const allTags = new Set(steps.flatMap((s) => s.tags ?? []));
  for (const [flag, list] of [
    ['--tags', sel.tags],
    ['--skip-tags', sel.skipTags],
  ] as const)
    for (const t of list)
      if (!allTags.has(t)) {
        const close = closeNames(t, allTags);
        throw new UsageError(
          `${flag} ${t}: no step has this tag${close.length ? ` (close: ${close.join(', ')})` : allTags.size ? ` (tags: ${[...allTags].sort().join(', ')})` : ''}`,
          'tags come from `tags: [gpu, slow]` on steps',
        );
      }
  const start = sel.from === undefined ? 0 : steps.findIndex((s) => matchesStep(sel.from!, s));
  if (start < 0) noMatch('--from', sel.from!);

  const flags = (flag: string, list: readonly string[]): string => list.map((p) => `${flag} ${quote(p)}`).join(' ');
  steps.forEach((s, i) => {
    const tags = s.tags ?? [];
    const why: { by: string; fix: string }[] = [];
    if (i < start) why.push({ by: flags('--from', [sel.from!]), fix: `start earlier: --from ${s.id}` });
    // --only and --tags take steps in (either will do); --skip, --skip-tags and --from leave them out.
    if (
      (sel.only.length || sel.tags.length) &&
      !sel.only.some((p) => matchesStep(p, s)) &&
      !sel.tags.some((t) => tags.includes(t))
    ) {
      const by = [flags('--only', sel.only), sel.tags.length ? `--tags ${sel.tags.join(',')}` : ''];
      why.push({ by: by.filter(Boolean).join(' '), fix: `add --only ${s.id}` });
    }
    const picked = why.length;
    const skip = sel.skip.filter((p) => matchesStep(p, s));
    if (skip.length) why.push({ by: flags('--skip', skip), fix: `drop ${flags('--skip', skip)}` });
    const skipTags = sel.skipTags.filter((t) => tags.includes(t));
    if (skipTags.length)
      why.push({ by: `--skip-tags ${skipTags.join(',')}`, fix: `drop ${skipTags.join(',')} from --skip-tags` });
    if (why.length)
      out.set(s.id, {
        by: why.map((w) => w.by).join(', '),
        fix: why.map((w) => w.fix).join(', '),
        named: !picked,
      });
  });
  if (steps.length && out.size === steps.length) throw nothingLeft(sel);
  return out;
}

/** The options of a selection that leaves no step, as the user wrote them: they cancel each other out. */
function nothingLeft(sel: Selection): UsageError {
  const given = [
    ...sel.only.map((p) => `--only ${quote(p)}`),
    ...(sel.tags.length ? [`--tags ${sel.tags.join(',')}`] : []),
    ...(sel.from !== undefined ? [`--from ${quote(sel.from)}`] : []),
    ...sel.skip.map((p) => `--skip ${quote(p)}`),
    ...(sel.skipTags.length ? [`--skip-tags ${sel.skipTags.join(',')}`] : []),
  ];
  return new UsageError(
    `${given.join(' ')} leave${given.length === 1 ? 's' : ''} no step: they cancel each other out`,
    'drop or change one of them; `setup plan <recipe…>` lists the steps with their ids and tags',
  );
}
