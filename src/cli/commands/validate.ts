import fs from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, formatProblem, InputError, type Problem } from '../../util/errors.js';
import { parseSets } from '../../catalog/overrides.js';
import { checkPrefixFlag, configPrefixProblems } from '../../catalog/prefix.js';
import { checkRequires, definedTwice, recipeFiles, recipeFolders } from '../../catalog/catalog.js';
import { loadRecipeFile } from '../../catalog/load.js';
import { isProfileFile, loadProfileFile, loadUserConfigFile, looksLikeProfile } from '../../catalog/profile.js';
import { configVars, unknownConfigVars, type RecipeVars } from '../../catalog/config-vars.js';
import type { SourceDoc } from '../../lang/source.js';
import type { Recipe } from '../../catalog/types.js';
import { defaultPaths, expandHome } from '../../util/paths.js';
import { makeOutput, writeJson, type GlobalOpts } from '../output.js';
import { lintRecipe } from '../../catalog/lint.js';
import { configuredSecrets, noSecrets, shortSecretProblems } from '../../catalog/secrets.js';

/** `setup validate [path…]`: every problem in recipe and profile files, one line each; exit 2 on errors. */
export default async function validate(targets: string[], opts: GlobalOpts): Promise<number> {
  const o = makeOutput(opts);
  const paths = defaultPaths();
  // The flags are input too: refused here as plan and run would refuse them.
  parseSets(opts.set ?? []);
  checkPrefixFlag(opts.prefix);
  const problems: Problem[] = [];
  let folders: string[];
  let files: string[] = [];
  // Without paths, config.yaml's `vars:` are checked against the recipes too.
  let config: { vars: RecipeVars; source?: SourceDoc; mirror?: string } | undefined;
  // Secrets the recipes name must be long enough to mask: from the environment, and (without paths) the secrets file.
  let secrets = noSecrets();
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
    config = { vars: configVars(user.config), source: user.source, mirror: user.config.mirror };
    secrets = await configuredSecrets(user.config, paths.home).catch((e: unknown) => {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
      return noSecrets();
    });
    problems.push(...configPrefixProblems(user.config, user.source));
    folders = recipeFolders(paths, user.config, opts.recipes).map((f) => f.dir);
  }
  // A file named directly is a profile when it lives in a profiles/ folder or reads like one (pip:, no steps:).
  const direct = await Promise.all(
    files.map(async (f) => path.basename(path.dirname(f)) === 'profiles' || (await looksLikeProfile(f))),
  );
  let profileFilesToCheck = files.filter((_, i) => direct[i]);
  files = files.filter((_, i) => !direct[i]);
  for (const dir of folders) {
    files.push(...(await recipeFiles(dir).catch(() => [])));
    const pdir = path.join(dir, 'profiles');
    profileFilesToCheck.push(
      ...(await fs.readdir(pdir).catch(() => [] as string[]))
        .filter((n) => /\.ya?ml$/.test(n))
        .map((n) => path.join(pdir, n)),
    );
  }
  // The profile --mirror (or config.yaml's mirror:) names by file is input too.
  const mirrorFile = opts.mirror ?? config?.mirror;
  if (mirrorFile && isProfileFile(mirrorFile))
    profileFilesToCheck.push(path.resolve(expandHome(mirrorFile, paths.home)));
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
      problems.push(...lintRecipe(r.recipe), ...shortSecretProblems(r.recipe, process.env, secrets));
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
  if (o.json)
    writeJson(o, 'validate', {
      recipes: files.length,
      profiles: profileFilesToCheck.length,
      errors,
      warnings,
      problems: problems.map((p) => ({ ...p, text: formatProblem(p) })),
    });
  else {
    for (const p of problems) o.err(formatProblem(p));
    o.err(errors ? o.c.red(summary) : o.c.green(summary));
  }
  return errors ? ExitCode.invalid : ExitCode.ok;
}
