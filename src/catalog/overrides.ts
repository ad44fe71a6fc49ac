import { InputError, UsageError, type Problem } from '../util/errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { POISON_HINT, poisonMessage, poisonSegment } from '../util/keys.js';
import { VAR_NAME } from '../lang/schema.js';
import type { Recipe } from './types.js';
import type { Catalog } from './catalog.js';
import { unknownVars, type RecipeVars } from './config-vars.js';

/**
 * Values that replace variables' defaults, all literal: `--set` global (`name=value`) and per recipe
 * (`recipe.name=value`), then config.yaml's `vars:` per recipe (any `--set` wins over it).
 */
export interface Overrides {
  global: Map<string, string>;
  perRecipe: Map<string, Map<string, string>>;
  config?: RecipeVars;
}

/** Parses `--set` values: `name=value` or `recipe.name=value`. */
export function parseSets(sets: readonly string[]): Overrides {
  const out: Overrides = { global: new Map(), perRecipe: new Map() };
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set "${s}": expected NAME=VALUE or RECIPE.NAME=VALUE`);
    const key = s.slice(0, eq);
    const value = s.slice(eq + 1);
    const dot = key.indexOf('.');
    const [recipe, name] = dot === -1 ? [undefined, key] : [key.slice(0, dot), key.slice(dot + 1)];
    if (!VAR_NAME.test(name) || (recipe !== undefined && !/^[a-z0-9-]+$/.test(recipe)))
      throw new UsageError(`--set "${s}": "${key}" is not a variable name`);
    const seg = poisonSegment(key);
    if (seg !== undefined) throw new UsageError(`--set "${s}": ${poisonMessage(key, seg)}`, POISON_HINT);
    if (recipe === undefined) out.global.set(name, value);
    else {
      const m = out.perRecipe.get(recipe) ?? new Map<string, string>();
      m.set(name, value);
      out.perRecipe.set(recipe, m);
    }
  }
  return out;
}

/** Every `--set` must name a variable some chosen recipe declares (catches typos before anything runs). */
export function checkOverrides(overrides: Overrides, catalog: Catalog, chosen: readonly Recipe[]): void {
  const problems: Problem[] = [];
  const { global, perRecipe } = overrides;
  for (const name of global.keys()) {
    if (!chosen.some((r) => Object.hasOwn(r.vars, name))) {
      const all = new Set(chosen.flatMap((r) => Object.keys(r.vars)));
      problems.push({
        severity: 'error',
        message: `--set ${name}: no recipe here has a variable "${name}"${didYouMean(name, all)}`,
      });
    }
  }
  problems.push(
    ...unknownVars(perRecipe, catalog.recipes, catalog.names, (recipe, name) => `--set ${recipe}.${name ?? '…'}`),
  );
  if (problems.length) throw new InputError(problems);
}
