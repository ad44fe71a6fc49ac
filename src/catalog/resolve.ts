import path from 'node:path';
import { InputError } from '../util/errors.js';
import { addSecret } from '../util/redact.js';
import type { FactValue } from '../facts/registry.js';
import type { Command, ResolvedStep, StepCommon, Templater } from '../steps/types.js';
import { parseDuration } from '../util/duration.js';
import { dict, getOwn } from '../util/keys.js';
import { expandHome } from '../util/paths.js';
import { mapStrings, renderShell, renderTemplate, scanTemplate, walkStrings } from '../lang/template.js';
import type { RawVerify, Recipe } from './types.js';
import type { VerifyForm } from '../verify/types.js';
import { evaluateWhen, hostAlreadyHas } from '../lang/when.js';
import { varTypeProblem, varTypeText } from '../lang/var-types.js';
import { attachInputs } from '../steps/inputs.js';
import type { Overrides } from './overrides.js';

/** Everything templates and `when:` read besides the recipe's own vars. */
export interface ResolveContext {
  facts: Record<string, FactValue>;
  dirs: Record<string, string>;
  prefix: string;
  mirror: Record<string, string>;
  /** Structured mirror values (lists, maps) for a value that is exactly one template (see Templater.value). */
  mirrorValues?: Record<string, unknown>;
  overrides: Overrides;
  /** A secret's value (environment, then the secrets file), or undefined when it is not set. */
  secret?: (name: string) => string | undefined;
}

/** A variable's final value and where it came from. */
export interface ResolvedVar {
  name: string;
  value: string;
  source: 'default' | '--set' | 'config';
  /** Its declared type (`int`, `enum (a, b)`…), when it has one. */
  type?: string;
}

/** A `verify:` item with templates rendered. */
export interface ResolvedVerify {
  recipe: string;
  index: number;
  /** The form's key, as the recipe writes it (`command`, `file`…). */
  kind: string;
  /** The form itself: what labels and runs this item. */
  impl: VerifyForm<unknown>;
  item: Record<string, unknown>;
  whenFailed: string | null;
  loc: RawVerify['loc'];
}

/** A recipe with everything rendered: ready to check, plan and run. */
export interface ResolvedRecipe {
  recipe: Recipe;
  vars: ResolvedVar[];
  steps: ResolvedStep[];
  verify: ResolvedVerify[];
  /** Secrets the recipe reads that are not set: `run` refuses to start, plan shows a placeholder. */
  missingSecrets: string[];
}

/**
 * The facts a set of recipes reads: `when:` keys and `{{ host.* }}` names, and (unless `kinds: false`) the
 * facts their step kinds read themselves (cmake's `ccache`). Only these are gathered for a plan.
 */
export function referencedFacts(recipes: readonly Recipe[], o: { kinds?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  for (const r of recipes) {
    for (const s of r.steps) {
      if (o.kinds !== false) for (const k of s.impl.facts) out.add(k);
      for (const k of Object.keys(s.common.when ?? {})) out.add(k);
      if (s.common.root) out.add('sudo');
    }
    for (const v of r.verify) for (const k of Object.keys((v.item.when as object | undefined) ?? {})) out.add(k);
    for (const section of [r.vars, r.steps.map((s) => [s.spec, s.common]), r.verify.map((v) => v.item)]) {
      walkStrings(section, (value) => {
        if (value.includes('host.'))
          for (const ref of scanTemplate(value).refs) if (ref.name.startsWith('host.')) out.add(ref.name.slice(5));
      });
    }
  }
  return out;
}

function factText(v: FactValue | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** Renders a recipe's vars, steps and verify items against the context. Pure. */
export function resolveRecipe(recipe: Recipe, ctx: ResolveContext): ResolvedRecipe {
  const own = ctx.overrides.perRecipe.get(recipe.name);
  const configured = ctx.overrides.config?.get(recipe.name);
  const vars = new Map<string, ResolvedVar>();
  const resolving = new Set<string>();
  const missingSecrets = new Set<string>();
  const lookup = (name: string): string => {
    if (Object.hasOwn(recipe.vars, name)) return varValue(name).value;
    if (name === 'prefix') return ctx.prefix;
    if (name.startsWith('dirs.')) return getOwn(ctx.dirs, name.slice(5)) ?? '';
    if (name.startsWith('host.')) return factText(getOwn(ctx.facts, name.slice(5)));
    if (name.startsWith('mirror.')) return getOwn(ctx.mirror, name) ?? '';
    if (name.startsWith('secrets.')) {
      const key = name.slice(8);
      const v = ctx.secret?.(key);
      if (v === undefined) {
        missingSecrets.add(key);
        return `<secret ${key} not set>`;
      }
      addSecret(v);
      return v;
    }
    throw new Error(`unknown template name ${name}`); // the loader rejects these; reaching here is a bug
  };
  const varValue = (name: string): ResolvedVar => {
    const done = vars.get(name);
    if (done) return done;
    const set = own?.get(name) ?? ctx.overrides.global.get(name);
    const fromConfig = configured?.get(name);
    let v: ResolvedVar;
    if (set !== undefined) v = { name, value: set, source: '--set' };
    else if (fromConfig !== undefined) v = { name, value: fromConfig, source: 'config' };
    else {
      if (resolving.has(name)) throw new Error(`variable loop at ${name}`); // the loader rejects these
      resolving.add(name);
      v = { name, value: renderTemplate(String(recipe.vars[name]), lookup), source: 'default' };
      resolving.delete(name);
    }
    const type = recipe.varTypes && Object.hasOwn(recipe.varTypes, name) ? recipe.varTypes[name] : undefined;
    const why = type && varTypeProblem(type, v.value);
    if (why) {
      const where =
        v.source === '--set'
          ? `--set ${own?.has(name) ? `${recipe.name}.` : ''}${name}`
          : v.source === 'config'
            ? `config.yaml vars.${recipe.name}.${name}`
            : `the default of ${name}`;
      throw new InputError([
        {
          severity: 'error',
          loc: v.source === 'default' ? recipe.source.locOf(['vars', name, 'default']) : undefined,
          message: `${where}: ${why}`,
          hint: `${recipe.name} declares ${name} as ${varTypeText(type)}`,
        },
      ]);
    }
    if (type) v.type = varTypeText(type);
    vars.set(name, v);
    return v;
  };
  for (const name of Object.keys(recipe.vars)) varValue(name);

  const steps = recipe.steps.map((raw): ResolvedStep => {
    const kind = raw.impl;
    const str = (s: string): string => renderTemplate(s, lookup);
    const cwd =
      raw.common.cwd === undefined
        ? undefined
        : path.resolve(ctx.dirs.home!, expandHome(str(raw.common.cwd), ctx.dirs.home!));
    const toPath = (s: string): string => path.resolve(cwd ?? ctx.dirs.home!, expandHome(str(s), ctx.dirs.home!));
    const t: Templater = {
      str,
      sh: (s) => renderShell(s, lookup),
      escaped: (s, escape) => renderTemplate(s, (n) => escape(lookup(n))),
      path: toPath,
      file: (s) => path.resolve(path.dirname(recipe.file), expandHome(str(s), ctx.dirs.home!)),
      deep: (v) => mapStrings(v, str),
      value: (v) => structured(v, str, ctx.mirrorValues ?? {}),
    };
    const cmd = (c: string | string[] | undefined): Command | undefined =>
      c === undefined ? undefined : typeof c === 'string' ? t.sh(c) : { argv: c.map(str) };
    const common: StepCommon = {
      check: cmd(raw.common.check),
      unless: cmd(raw.common.unless),
      creates:
        raw.common.creates === undefined
          ? []
          : (Array.isArray(raw.common.creates) ? raw.common.creates : [raw.common.creates]).map(toPath),
      env: Object.fromEntries(Object.entries(raw.common.env ?? {}).map(([k, v]) => [k, str(String(v))])),
      cwd,
      timeoutMs: raw.common.timeout === undefined ? undefined : parseDuration(raw.common.timeout),
      retries: raw.common.retries ?? 0,
      root: raw.common.root ?? kind.defaultRoot,
    };
    let config: unknown;
    try {
      config = kind.resolve(raw.spec, t);
    } catch (e) {
      throw new InputError([
        {
          severity: 'error',
          loc: raw.loc,
          message: `step ${raw.index + 1} of ${recipe.name}: ${e instanceof Error ? e.message : String(e)}`,
        },
      ]);
    }
    return {
      id: `${recipe.name}#${raw.index + 1}`,
      recipe: recipe.name,
      index: raw.index,
      name: raw.common.name ? str(raw.common.name) : '',
      kind: raw.kind,
      impl: kind,
      config,
      common,
      whenFailed: evaluateWhen(raw.common.when, ctx.facts),
      hostHas: hostAlreadyHas(raw.common.when, ctx.facts),
      tags: raw.common.tags ?? [],
      loc: raw.loc,
    };
  });
  attachInputs(steps);

  const verify = recipe.verify.map((v): ResolvedVerify => {
    const { when, ...item } = v.item;
    return {
      recipe: recipe.name,
      index: v.index,
      kind: v.kind,
      impl: v.impl,
      item: v.impl.resolve(item, {
        str: (s) => renderTemplate(s, lookup),
        sh: (s) => renderShell(s, (n) => expandHome(lookup(n), ctx.dirs.home!)),
      }),
      whenFailed: evaluateWhen(when as Parameters<typeof evaluateWhen>[0], ctx.facts),
      loc: v.loc,
    };
  });
  return { recipe, vars: [...vars.values()], steps, verify, missingSecrets: [...missingSecrets] };
}

/**
 * Renders every string in a value; a string that is exactly one template naming a structured value
 * (`"{{ mirror.conda.custom_channels }}"`) becomes that list or map.
 */
function structured(v: unknown, str: (s: string) => string, values: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    const m = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/.exec(v);
    const s = m ? getOwn(values, m[1]!) : undefined;
    return s !== undefined && s !== null && typeof s !== 'string' ? s : str(v);
  }
  if (Array.isArray(v))
    return v.flatMap((x) => {
      const r = structured(x, str, values);
      return Array.isArray(r) && typeof x === 'string' ? r : [r];
    });
  if (v && typeof v === 'object')
    return dict(Object.entries(v).map(([k, x]) => [k, structured(x, str, values)] as const));
  return v;
}
