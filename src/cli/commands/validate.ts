import fs from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, formatProblem, InputError, type Problem } from '../../errors.js';
import { loadSecrets } from '../../session.js';
import { checkRequires, definedTwice, recipeFiles } from '../../recipe/catalog.js';
import { loadRecipeFile } from '../../recipe/load.js';
import { loadProfileFile, loadUserConfigFile, looksLikeProfile } from '../../recipe/profile.js';
import { configVars, unknownConfigVars, type RecipeVars } from '../../recipe/config-vars.js';
import type { SourceDoc } from '../../recipe/source.js';
import type { Recipe } from '../../recipe/types.js';
import { defaultPaths, expandHome } from '../../util/paths.js';
import { makeOutput, writeJson, type GlobalOpts } from '../output.js';
import { lintRecipe } from '../../recipe/lint.js';

/** `setup validate [path…]`: every problem in recipe and profile files, one line each; exit 2 on errors. */
export default async function validate(targets: string[], opts: GlobalOpts): Promise<number> {
  const o = makeOutput(opts);
  const paths = defaultPaths();
  const problems: Problem[] = [];
  let folders: string[];
  let files: string[] = [];
  // Without paths, config.yaml's `vars:` are checked against the recipes too.
  let config: { vars: RecipeVars; source?: SourceDoc } | undefined;
  if (targets.length) {
    folders = [];
    for (const t of targets) {
      const st = await fs.stat(t).catch(() => null);
      if (!st) problems.push({ severity: 'error', message: `${t}: no such file or folder` });
      else if (st.isDirectory()) folders.push(path.resolve(t));
      else files.push(path.resolve(t));
    }
  } else {
    const user = await loadUserConfigFile(paths.configFile);
    config = { vars: configVars(user.config), source: user.source };
    // The secrets file is input too: a FIFO or /dev/zero named there is refused here, not first by plan.
    if (user.config.secrets) {
      await loadSecrets(path.resolve(expandHome(user.config.secrets, paths.home))).catch((e: unknown) => {
        if (!(e instanceof InputError)) throw e;
        problems.push(...e.problems);
      });
    }
    folders = [paths.bundledRecipes, paths.userRecipes, ...(user.config.recipes ?? []).map((d) => path.resolve(expandHome(d, paths.home))), ...opts.recipes.map((d) => path.resolve(d))];
  }
  // A file named directly is a profile when it lives in a profiles/ folder or reads like one (pip:, no steps:).
  const direct = await Promise.all(files.map(async (f) => path.basename(path.dirname(f)) === 'profiles' || (await looksLikeProfile(f))));
  let profileFilesToCheck = files.filter((_, i) => direct[i]);
  files = files.filter((_, i) => !direct[i]);
  for (const dir of folders) {
    files.push(...(await recipeFiles(dir).catch(() => [])));
    const pdir = path.join(dir, 'profiles');
    profileFilesToCheck.push(...(await fs.readdir(pdir).catch(() => [] as string[])).filter((n) => /\.ya?ml$/.test(n)).map((n) => path.join(pdir, n)));
  }
  files = [...new Set(files)];
  profileFilesToCheck = [...new Set(profileFilesToCheck)];
  const recipes = new Map<string, Recipe>();
  for (const r of await Promise.all(files.map((f) => loadRecipeFile(f)))) {
    problems.push(...r.problems);
    if (r.recipe) {
      const twin = recipes.get(r.recipe.name);
      if (twin && path.dirname(twin.file) === path.dirname(r.recipe.file)) {
        problems.push(definedTwice(r.recipe, twin.file));
        continue;
      }
      recipes.set(r.recipe.name, r.recipe);
      problems.push(...lintRecipe(r.recipe));
    }
  }
  // `requires` may name recipes of the other folders: their file names are enough (name = file name).
  const known = new Set(recipes.keys());
  for (const dir of [paths.bundledRecipes, paths.userRecipes]) {
    for (const f of await recipeFiles(dir).catch(() => [])) known.add(path.basename(f).replace(/\.ya?ml$/, ''));
  }
  problems.push(...checkRequires(recipes, known));
  if (config) problems.push(...unknownConfigVars(config.vars, config.source, recipes, known));
  for (const r of await Promise.all(profileFilesToCheck.map((f) => loadProfileFile(f)))) problems.push(...r.problems);

  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const summary = `${files.length} recipe${files.length === 1 ? '' : 's'}, ${profileFilesToCheck.length} profile${profileFilesToCheck.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  if (o.json) writeJson(o, 'validate', { recipes: files.length, profiles: profileFilesToCheck.length, errors, warnings, problems: problems.map((p) => ({ ...p, text: formatProblem(p) })) });
  else {
    for (const p of problems) o.err(formatProblem(p));
    o.err(errors ? o.c.red(summary) : o.c.green(summary));
  }
  return errors ? ExitCode.invalid : ExitCode.ok;
}
