import type { Loc, Problem } from '../util/errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { UserConfig } from '../lang/schema.js';
import type { SourceDoc } from '../lang/source.js';
import type { Recipe } from './types.js';

/** Variable values for named recipes: recipe → variable → value. */
export type RecipeVars = Map<string, Map<string, string>>;

/** config.yaml's `vars:` (values already text: loadUserConfigFile reads numbers as written). */
export function configVars(config: UserConfig): RecipeVars {
  return new Map(
    Object.entries(config.vars ?? {}).map(([recipe, values]) => [
      recipe,
      new Map(Object.entries(values).map(([k, v]) => [k, String(v)])),
    ]),
  );
}

/**
 * One problem per value that names no variable: an unknown recipe (once for all its values) or a variable
 * the recipe does not declare, each with a did-you-mean. A recipe in `names` that is not in `recipes`
 * failed to load and has its own problems. `label` names the entry in the message; `loc` places it, when
 * it comes from a file.
 */
export function unknownVars(
  vars: RecipeVars,
  recipes: ReadonlyMap<string, Recipe>,
  names: Iterable<string>,
  label: (recipe: string, name?: string) => string,
  loc?: (recipe: string, name?: string) => Loc,
): Problem[] {
  const problems: Problem[] = [];
  const known = new Set(names);
  for (const [recipe, values] of vars) {
    const r = recipes.get(recipe);
    if (!r) {
      if (!known.has(recipe))
        problems.push({
          severity: 'error',
          loc: loc?.(recipe),
          message: `${label(recipe)}: unknown recipe "${recipe}"${didYouMean(recipe, known)}`,
        });
      continue;
    }
    for (const name of values.keys()) {
      if (!Object.hasOwn(r.vars, name))
        problems.push({
          severity: 'error',
          loc: loc?.(recipe, name),
          message: `${label(recipe, name)}: recipe "${recipe}" has no variable "${name}"${didYouMean(name, Object.keys(r.vars))}`,
        });
    }
  }
  return problems;
}

/** unknownVars for config.yaml's `vars:`, each located at its key in the file. */
export function unknownConfigVars(
  vars: RecipeVars,
  source: SourceDoc | undefined,
  recipes: ReadonlyMap<string, Recipe>,
  names: Iterable<string>,
): Problem[] {
  const at = (recipe: string, name?: string): (string | number)[] =>
    name === undefined ? ['vars', recipe] : ['vars', recipe, name];
  return unknownVars(
    vars,
    recipes,
    names,
    (recipe, name) => `vars.${recipe}${name === undefined ? '' : `.${name}`}`,
    source && ((recipe, name) => source.locOf(at(recipe, name), true)),
  );
}
