import fs from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { loadRecipeFile } from './load.js';
import type { Origin, Recipe } from './types.js';

/** A folder of recipes, in priority order (later folders override earlier ones). */
export interface RecipeFolder {
  dir: string;
  origin: Origin;
  /** The user named it (flag or config): a missing folder is an error, not silence. */
  explicit: boolean;
}

/** Every recipe found, by name, with every problem found on the way. */
export interface Catalog {
  recipes: Map<string, Recipe>;
  problems: Problem[];
}

/** The recipe files directly in a folder (not in subfolders such as profiles/). */
export async function recipeFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Loads every recipe of every folder, applies overrides, then the cross-recipe rules. */
export async function loadCatalog(folders: readonly RecipeFolder[]): Promise<Catalog> {
  const problems: Problem[] = [];
  const recipes = new Map<string, Recipe>();
  const perFolder = await Promise.all(
    folders.map(async (f) => {
      let files: string[];
      try {
        files = await recipeFiles(f.dir);
      } catch (e) {
        if (f.explicit) problems.push({ severity: 'error', message: `recipe folder ${f.dir} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
        return [];
      }
      return Promise.all(files.map((file) => loadRecipeFile(file, f.origin)));
    }),
  );
  for (const loaded of perFolder) {
    const seen = new Map<string, string>();
    for (const { recipe, problems: p } of loaded) {
      problems.push(...p);
      if (!recipe) continue;
      const twin = seen.get(recipe.name);
      if (twin) {
        problems.push({ severity: 'error', loc: recipe.source.locOf(['name']), message: `recipe "${recipe.name}" is defined twice in one folder (also in ${path.basename(twin)})`, hint: 'keep one file' });
        continue;
      }
      seen.set(recipe.name, recipe.file);
      const earlier = recipes.get(recipe.name);
      if (earlier) recipe.overrides = [...earlier.overrides, earlier.file];
      recipes.set(recipe.name, recipe);
    }
  }
  problems.push(...checkRequires(recipes));
  return { recipes, problems };
}

/** Unknown `requires` (with a suggestion) and dependency cycles (the whole cycle named). */
export function checkRequires(recipes: ReadonlyMap<string, Recipe>): Problem[] {
  const problems: Problem[] = [];
  for (const r of recipes.values()) {
    r.requires.forEach((dep, i) => {
      if (!recipes.has(dep)) {
        problems.push({ severity: 'error', loc: r.source.locOf(['requires', i]), message: `unknown recipe "${dep}" in requires${didYouMean(dep, recipes.keys())}` });
      }
    });
  }
  const state = new Map<string, 'open' | 'done'>();
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'open') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const key = [...cycle.slice(0, -1)].sort().join(',');
      if (!reported.has(key)) {
        reported.add(key);
        const from = recipes.get(trail[trail.length - 1]!)!;
        problems.push({ severity: 'error', loc: from.source.locOf(['requires', from.requires.indexOf(name)]), message: `requires form a cycle: ${cycle.join(' → ')}`, hint: 'remove one of these requires' });
      }
      return;
    }
    state.set(name, 'open');
    for (const dep of recipes.get(name)?.requires ?? []) if (recipes.has(dep)) visit(dep, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of [...recipes.keys()].sort()) visit(name, []);
  return problems;
}

/** The named recipes and everything they require, dependencies first, each once. */
export function orderWithRequires(recipes: ReadonlyMap<string, Recipe>, names: readonly string[]): Recipe[] {
  const out: Recipe[] = [];
  const seen = new Set<string>();
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    const r = recipes.get(n);
    if (!r) return;
    for (const d of r.requires) visit(d);
    out.push(r);
  };
  for (const n of names) visit(n);
  return out;
}
