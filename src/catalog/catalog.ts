import { errnoText } from '../util/system-error.js';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../util/errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { loadRecipeFile } from './load.js';
import type { Origin, Recipe } from './types.js';
import type { UserConfig } from '../lang/schema.js';
import { expandHome, type Paths } from '../util/paths.js';

/** A folder of recipes, in priority order (later folders override earlier ones). */
export interface RecipeFolder {
  dir: string;
  origin: Origin;
  /** The user named it (flag or config): a missing folder is an error, not silence. */
  explicit: boolean;
  /** Only this file of the folder (a recipe file named on the command line: `setup plan ./mine.yaml`). */
  file?: string;
}

/**
 * The recipe folders in priority order: bundled, the user's, config.yaml's `recipes:`, `--recipes`, then the
 * recipe files named on the command line (each alone: the other files beside it are not recipes).
 */
export function recipeFolders(
  paths: Paths,
  config: UserConfig,
  flags: readonly string[] = [],
  files: readonly string[] = [],
): RecipeFolder[] {
  return [
    { dir: paths.bundledRecipes, origin: 'bundled', explicit: false },
    { dir: paths.userRecipes, origin: 'user', explicit: false },
    ...(config.recipes ?? []).map((d): RecipeFolder => ({
      dir: path.resolve(expandHome(d, paths.home)),
      origin: 'config',
      explicit: true,
    })),
    ...flags.map((d): RecipeFolder => ({ dir: path.resolve(d), origin: 'flag', explicit: true })),
    ...files.map((f): RecipeFolder => ({ dir: path.dirname(f), origin: 'flag', explicit: true, file: f })),
  ];
}

/** Every recipe found, by name, with every problem found on the way. */
export interface Catalog {
  /** The recipes read (all, or the ones asked for and what they require). */
  recipes: Map<string, Recipe>;
  problems: Problem[];
  /** Every recipe name in the folders, read or not (for "unknown recipe" and suggestions). */
  names: ReadonlySet<string>;
}

/** The recipe files directly in a folder (not in subfolders such as profiles/). */
export async function recipeFiles(dir: string): Promise<string[]> {
  // Every *.yaml name, whatever it is: one that is not a regular file (a FIFO, a folder) is then refused
  // by name when read, rather than skipped without a word.
  return (await fs.readdir(dir))
    .filter((n) => /\.ya?ml$/.test(n))
    .map((n) => path.join(dir, n))
    .sort();
}

/** Where each recipe name's files are, folder by folder (name = file name; later folders win). */
type Index = Map<string, { file: string; origin: RecipeFolder['origin'] }[][]>;

async function indexFolders(folders: readonly RecipeFolder[], problems: Problem[]): Promise<Index> {
  const index: Index = new Map();
  const listed = await Promise.all(
    folders.map(async (f) => {
      try {
        return f.file ? [f.file] : await recipeFiles(f.dir);
      } catch (e) {
        if (f.explicit)
          problems.push({
            severity: 'error',
            message: `recipe folder ${f.dir} cannot be read: ${errnoText((e as NodeJS.ErrnoException).code)}`,
          });
        return [];
      }
    }),
  );
  folders.forEach((f, i) => {
    const inFolder = new Map<string, { file: string; origin: RecipeFolder['origin'] }[]>();
    for (const file of listed[i]!) {
      const name = path.basename(file).replace(/\.ya?ml$/, '');
      inFolder.set(name, [...(inFolder.get(name) ?? []), { file, origin: f.origin }]);
    }
    for (const [name, files] of inFolder) {
      // A file named on the command line that a recipe folder also holds: one level, not an override of itself.
      const levels = (index.get(name) ?? []).filter((l) => !l.every((x) => files.some((y) => y.file === x.file)));
      index.set(name, [...levels, files]);
    }
  });
  return index;
}

/**
 * Loads recipes and applies overrides and the cross-recipe rules. With `names`, only those recipes and
 * what they require are read and validated (a plan of one recipe costs one recipe, not the catalogue);
 * without, every recipe of every folder.
 */
export async function loadCatalog(folders: readonly RecipeFolder[], names?: readonly string[]): Promise<Catalog> {
  const problems: Problem[] = [];
  const recipes = new Map<string, Recipe>();
  const index = await indexFolders(folders, problems);
  const wanted = [...(names ?? [...index.keys()].sort())];
  const seen = new Set<string>();
  while (wanted.length) {
    const batch = wanted.splice(0).filter((n) => !seen.has(n) && index.has(n));
    batch.forEach((n) => seen.add(n));
    const loaded = await Promise.all(
      batch.map(async (name) => {
        const levels = index.get(name)!;
        const top = levels[levels.length - 1]!;
        const results = await Promise.all(top.map((f) => loadRecipeFile(f.file, f.origin)));
        return { name, levels, top, results };
      }),
    );
    for (const { name, levels, top, results } of loaded) {
      results.forEach((r) => problems.push(...r.problems));
      const recipe = results[0]!.recipe;
      // x.yaml and x.yml side by side: one recipe defined twice.
      for (let i = 1; i < results.length; i++) {
        const twin = results[i]!.recipe;
        if (twin) problems.push(definedTwice(twin, top[0]!.file));
      }
      if (!recipe) continue;
      recipe.overrides = levels.slice(0, -1).map((l) => l[0]!.file);
      recipes.set(name, recipe);
      wanted.push(...recipe.requires);
    }
  }
  problems.push(...checkRequires(recipes, new Set(index.keys())));
  return { recipes, problems, names: new Set(index.keys()) };
}

/** `x.yaml` and `x.yml` in one folder: the second one read, located at its name. */
export function definedTwice(recipe: Recipe, otherFile: string): Problem {
  return {
    severity: 'error',
    loc: recipe.source.locOf(['name']),
    message: `recipe "${recipe.name}" is defined twice in one folder (also in ${path.basename(otherFile)})`,
    hint: 'keep one file',
  };
}

/** Unknown `requires` (with a suggestion) and dependency cycles (the whole cycle named). */
export function checkRequires(
  recipes: ReadonlyMap<string, Recipe>,
  known: ReadonlySet<string> = new Set(recipes.keys()),
): Problem[] {
  const problems: Problem[] = [];
  for (const r of recipes.values()) {
    r.requires.forEach((dep, i) => {
      if (!recipes.has(dep) && !known.has(dep)) {
        // Beside the file but not in a recipe folder (a recipe file named on the command line): say how.
        const dir = path.dirname(r.file);
        const beside = ['yaml', 'yml'].some((x) => existsSync(path.join(dir, `${dep}.${x}`)));
        problems.push({
          severity: 'error',
          loc: r.source.locOf(['requires', i]),
          message: `unknown recipe "${dep}" in requires${beside ? '' : didYouMean(dep, known)}`,
          ...(beside ? { hint: `${dep}.yaml is beside it, but not in a recipe folder: add --recipes ${dir}` } : {}),
        });
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
        problems.push({
          severity: 'error',
          loc: from.source.locOf(['requires', from.requires.indexOf(name)]),
          message: `requires form a cycle: ${cycle.join(' → ')}`,
          hint: 'remove one of these requires',
        });
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
