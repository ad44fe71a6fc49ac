import type { PlannedRecipe } from '../../plan/plan.js';
import { planSession, selectRecipes } from '../../plan/session.js';
import { sessionFrom } from '../common.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

const STATE_WORD: Record<string, string> = {
  satisfied: 'installed',
  'satisfied-by-host': 'satisfied by the host',
  partial: 'partial',
  pending: 'not installed',
  unknown: 'unknown',
  blocked: 'needs root',
  skipped: 'not for this host',
  meta: 'meta',
};

/** A recipe's word for `list`: meta (only requires), satisfied by the host (its steps skipped as the host has it), partial (some step done), or the plan's state. */
function listState(r: PlannedRecipe): string {
  if (r.meta) return 'meta';
  if (r.byHost) return 'satisfied-by-host';
  return r.state === 'pending' && r.steps.some((s) => s.state === 'satisfied') ? 'partial' : r.state;
}

/** `setup list`: one line per recipe: name, state, description. */
export default async function list(_: string[], opts: GlobalOpts & { state?: boolean }): Promise<number> {
  const o = makeOutput(opts);
  const session = await sessionFrom(opts, undefined, { trustNotes: true }); // a listing may skip what `run` re-checks
  const recipes = [...session.catalog.recipes.values()].sort((a, b) => a.name.localeCompare(b.name));
  const states = new Map<string, string>();
  if (opts.state !== false) {
    const { plan } = await withSpinner(o, 'checking recipes…', planSession(session, selectRecipes(session, [])));
    for (const r of plan.recipes) states.set(r.name, listState(r));
  }
  if (o.json) {
    writeJson(o, 'list', {
      recipes: recipes.map((r) => ({
        name: r.name,
        format: r.format,
        description: r.description,
        state: states.get(r.name) ?? null,
        file: r.file,
        origin: r.origin,
        overrides: r.overrides,
        requires: r.requires,
      })),
    });
    return 0;
  }
  const width = Math.max(4, ...recipes.map((r) => r.name.length));
  const wordOf = (st: string | undefined): string => (st === undefined ? '' : (STATE_WORD[st] ?? st));
  const wordWidth = Math.max(...recipes.map((r) => wordOf(states.get(r.name)).length));
  for (const r of recipes) {
    const st = states.get(r.name);
    const word = wordOf(st);
    const colored =
      st === 'satisfied' || st === 'satisfied-by-host'
        ? o.c.green(word)
        : st === 'partial'
          ? o.c.yellow(word)
          : st === 'unknown'
            ? o.c.magenta(word)
            : o.c.dim(word);
    const origin = r.origin === 'bundled' ? '' : o.c.dim(` (${tilde(o, r.file)})`);
    o.out(
      `${r.name.padEnd(width)}  ${st === undefined ? '' : `${colored.padEnd(wordWidth + (colored.length - word.length))}  `}${r.description}${origin}`,
    );
  }
  if (!recipes.length) o.err('no recipes found');
  return 0;
}
