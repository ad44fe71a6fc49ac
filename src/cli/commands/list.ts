import { planSession, selectRecipes } from '../../session.js';
import { sessionFrom } from '../common.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

const STATE_WORD: Record<string, string> = { satisfied: 'installed', pending: 'not installed', unknown: 'unknown', blocked: 'needs root', skipped: 'not for this host' };

/** `setup list`: one line per recipe: name, state, description. */
export default async function list(_: string[], opts: GlobalOpts & { state?: boolean }): Promise<number> {
  const o = makeOutput(opts);
  const session = await sessionFrom(opts);
  const recipes = [...session.catalog.recipes.values()].sort((a, b) => a.name.localeCompare(b.name));
  const states = new Map<string, string>();
  if (opts.state !== false) {
    const { plan } = await withSpinner(o, 'checking recipes…', planSession(session, selectRecipes(session, [])));
    for (const r of plan.recipes) {
      const done = r.steps.filter((s) => s.state === 'satisfied' || s.state === 'skipped').length;
      states.set(r.name, r.state === 'pending' && done > 0 ? 'partial' : r.state);
    }
  }
  if (o.json) {
    writeJson(o, 'list', {
      recipes: recipes.map((r) => ({ name: r.name, format: r.format, description: r.description, state: states.get(r.name) ?? null, file: r.file, origin: r.origin, overrides: r.overrides, requires: r.requires })),
    });
    return 0;
  }
  const width = Math.max(4, ...recipes.map((r) => r.name.length));
  for (const r of recipes) {
    const st = states.get(r.name);
    const word = st === undefined ? '' : st === 'partial' ? 'partial' : STATE_WORD[st] ?? st;
    const colored = st === 'satisfied' ? o.c.green(word) : st === 'partial' ? o.c.yellow(word) : st === 'unknown' ? o.c.magenta(word) : o.c.dim(word);
    const origin = r.origin === 'bundled' ? '' : o.c.dim(` (${tilde(o, r.file)})`);
    o.out(`${r.name.padEnd(width)}  ${st === undefined ? '' : colored.padEnd(13 + (colored.length - word.length))}  ${r.description}${origin}`);
  }
  if (!recipes.length) o.err('no recipes found');
  return 0;
}
