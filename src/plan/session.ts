import os from 'node:os';
import path from 'node:path';
import { InputError, UsageError, type Problem } from '../util/errors.js';
import { FactStore } from '../facts/store.js';
import type { FactValue } from '../facts/registry.js';
import { loadCatalog, orderWithRequires, type Catalog, type RecipeFolder } from '../catalog/catalog.js';
import { configVars, unknownConfigVars, unknownVars } from '../catalog/config-vars.js';
import { mirrorStructured, mirrorValues, loadUserConfigFile, resolveProfile } from '../catalog/profile.js';
import { referencedFacts, resolveRecipe, type Overrides, type ResolvedRecipe } from '../catalog/resolve.js';
import { loadSecrets, noSecrets, shortSecretProblems, type Secrets } from '../catalog/secrets.js';
import type { Profile, UserConfig } from '../lang/schema.js';
import { VAR_NAME } from '../lang/schema.js';
import type { Recipe } from '../catalog/types.js';
import { checkSteps } from './check.js';
import { makePlan, type Plan } from './plan.js';
import type { Action, CheckResult, Preview, ResolvedStep, StepEnv } from '../steps/types.js';
import { POISON_HINT, poisonMessage, poisonSegment } from '../util/keys.js';
import { mapLimit } from '../util/limit.js';
import { didYouMean } from '../util/did-you-mean.js';
import { Memo } from '../util/memo.js';
import { InputStore, type PlanEnv } from './inputs.js';
import { defaultPaths, expandHome, type Paths } from '../util/paths.js';
import { processRunner, type Runner } from '../util/process.js';

/** Options every command shares (DESIGN: --recipes, --mirror, --set, --prefix). */
export interface SessionOptions {
  recipes?: string[];
  mirror?: string;
  set?: string[];
  prefix?: string;
  /** Injected for tests; default: the real process runner, this process's env, XDG paths. */
  runner?: Runner;
  env?: NodeJS.ProcessEnv;
  paths?: Paths;
  /** Known facts (tests); the rest are gathered when needed. */
  facts?: Record<string, FactValue>;
  /** The recipes to read, with what they require (default: every recipe, e.g. for list and validate). */
  load?: readonly string[];
}

/** One invocation's world: paths, config, catalog, profile, facts. Built once per command. */
export interface Session {
  paths: Paths;
  config: UserConfig;
  catalog: Catalog;
  folders: RecipeFolder[];
  profile: Profile;
  prefix: string;
  overrides: Overrides;
  facts: FactStore;
  runner: Runner;
  env: NodeJS.ProcessEnv;
  stepEnv: PlanEnv;
  cpus: number;
  /** Values from the secrets file named in the user config (the environment wins over them). */
  secrets: Secrets;
  /** Facts gathered so far (for describe, which is synchronous). */
  factValues: Record<string, FactValue>;
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
    if (!VAR_NAME.test(name) || (recipe !== undefined && !/^[a-z0-9-]+$/.test(recipe))) throw new UsageError(`--set "${s}": "${key}" is not a variable name`);
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

/**
 * Why an install prefix is refused: empty or relative, it would install into whatever folder setup was
 * started in (`--prefix ''` is the current folder), or a different one each time.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.trim() === '') return 'the install prefix is empty, which would install into the current folder';
  if (!path.isAbsolute(prefix) && prefix !== '~' && !prefix.startsWith('~/')) return 'the install prefix is a relative path, which would install under the current folder';
  return undefined;
}

/** Loads config, recipes and the mirror profile; throws InputError with every problem found. */
export async function openSession(opts: SessionOptions = {}): Promise<Session> {
  const paths = opts.paths ?? defaultPaths();
  const env = opts.env ?? process.env;
  const runner = opts.runner ?? processRunner;
  const { config, source: configSource } = await loadUserConfigFile(paths.configFile);
  const folders: RecipeFolder[] = [
    { dir: paths.bundledRecipes, origin: 'bundled', explicit: false },
    { dir: paths.userRecipes, origin: 'user', explicit: false },
    ...(config.recipes ?? []).map((d): RecipeFolder => ({ dir: path.resolve(expandHome(d, paths.home)), origin: 'config', explicit: true })),
    ...(opts.recipes ?? []).map((d): RecipeFolder => ({ dir: path.resolve(d), origin: 'flag', explicit: true })),
  ];
  const fromConfig = configVars(config);
  const overrides: Overrides = { ...parseSets(opts.set ?? []), config: fromConfig };
  const load = opts.load && opts.load.length ? [...opts.load, ...overrides.perRecipe.keys(), ...fromConfig.keys()] : undefined;
  const [catalog, profile] = await Promise.all([loadCatalog(folders, load), resolveProfile(opts.mirror ?? config.mirror, folders.map((f) => f.dir))]);
  const errors = catalog.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new InputError(errors);
  // A config.yaml value for no variable is a mistake in that file, whatever the command.
  const unknown = unknownConfigVars(fromConfig, configSource, catalog.recipes, catalog.names);
  if (unknown.length) throw new InputError(unknown);
  const isRoot = process.getuid?.() === 0;
  const badFlag = opts.prefix === undefined ? undefined : prefixProblem(opts.prefix);
  if (badFlag) throw new UsageError(`--prefix ${JSON.stringify(opts.prefix)}: ${badFlag}`, 'give an absolute folder, or one under ~/');
  const badConfig = opts.prefix === undefined && config.prefix !== undefined ? prefixProblem(config.prefix) : undefined;
  if (badConfig) throw new InputError([{ severity: 'error', loc: configSource?.locOf(['prefix']), message: `prefix ${JSON.stringify(config.prefix)}: ${badConfig}`, hint: 'give an absolute folder, or one under ~/' }]);
  const prefix = path.resolve(expandHome(opts.prefix ?? config.prefix ?? (isRoot ? '/usr/local' : '~/.local'), paths.home));
  const facts = new FactStore(runner, env, paths.home, opts.facts);
  const cpus = os.availableParallelism();
  const stepEnv: PlanEnv = { runner, facts, paths, prefix, profile, processEnv: env, memo: new Memo(), cpus, inputs: new InputStore(paths.inputs) };
  const secrets = config.secrets ? await loadSecrets(path.resolve(expandHome(config.secrets, paths.home))) : noSecrets();
  return { paths, config, catalog, folders, profile, prefix, overrides, facts, runner, env, stepEnv, cpus, factValues: {}, secrets };
}

/** The named recipes (all when none) plus their requirements, dependencies first; unknown names exit 2. */
export function selectRecipes(session: Session, names: readonly string[]): Recipe[] {
  const all = session.catalog.recipes;
  const unknown = names.filter((n) => !all.has(n));
  if (unknown.length) {
    const n = unknown[0]!;
    throw new UsageError(`unknown recipe "${n}"${didYouMean(n, session.catalog.names)}`, '`setup list` shows the recipes');
  }
  const chosen = names.length ? orderWithRequires(all, names) : orderWithRequires(all, [...all.keys()].sort());
  checkOverrides(session, chosen);
  return chosen;
}

/** Every `--set` must name a variable some chosen recipe declares (catches typos before anything runs). */
function checkOverrides(session: Session, chosen: readonly Recipe[]): void {
  const problems: Problem[] = [];
  const { global, perRecipe } = session.overrides;
  for (const name of global.keys()) {
    if (!chosen.some((r) => Object.hasOwn(r.vars, name))) {
      const all = new Set(chosen.flatMap((r) => Object.keys(r.vars)));
      problems.push({ severity: 'error', message: `--set ${name}: no recipe here has a variable "${name}"${didYouMean(name, all)}` });
    }
  }
  problems.push(...unknownVars(perRecipe, session.catalog.recipes, session.catalog.names, (recipe, name) => `--set ${recipe}.${name ?? '…'}`));
  if (problems.length) throw new InputError(problems);
}

/** Resolves recipes: gathers just the facts they read, renders templates, evaluates `when:`. */
export async function resolveRecipes(session: Session, recipes: readonly Recipe[]): Promise<ResolvedRecipe[]> {
  const facts = await session.facts.gather(referencedFacts(recipes));
  session.factValues = { ...session.factValues, ...facts };
  const dirs = { home: session.paths.home, src: session.paths.src, cache: session.paths.cache, state: session.paths.state, config: session.paths.config };
  const ctx = { facts, dirs, prefix: session.prefix, mirror: mirrorValues(session.profile), mirrorValues: mirrorStructured(session.profile), overrides: session.overrides, secret: (name: string) => session.env[name] ?? session.secrets.get(name) };
  // A secret too short to mask is bad input: refused before anything is checked or run.
  const short = recipes.flatMap((r) => shortSecretProblems(r, session.env, session.secrets));
  if (short.length) throw new InputError(short);
  return recipes.map((r) => resolveRecipe(r, ctx));
}

/** Checks every step and builds the plan. Changes nothing on disk. */
export async function planSession(session: Session, recipes: readonly Recipe[], opts: { preview?: boolean } = {}): Promise<{ plan: Plan; resolved: ResolvedRecipe[]; checks: Map<string, CheckResult> }> {
  const resolved = await resolveRecipes(session, recipes);
  const steps = resolved.flatMap((r) => r.steps);
  const checks = await checkSteps(steps, session.stepEnv, Math.max(2, session.cpus));
  const actions = new Map<string, Action>(steps.map((s) => [s.id, s.impl.describe(s, session.stepEnv, session.factValues)]));
  const needsRoot = steps.some((s) => s.common.root && s.whenFailed === null && checks.get(s.id)?.state !== 'satisfied');
  const [canRoot, previews] = await Promise.all([needsRoot ? session.facts.get('sudo').then((v) => v === true) : true, opts.preview ? previewSteps(steps, checks, session) : undefined]);
  return { plan: makePlan(resolved, { checks, actions, canRoot, previews }), resolved, checks };
}

/** Previews of the pending steps whose kind can look closer (pip resolves), concurrently; one that fails says so. */
async function previewSteps(steps: readonly ResolvedStep[], checks: ReadonlyMap<string, CheckResult>, session: Session): Promise<Map<string, Preview>> {
  const pending = steps.filter((s) => s.whenFailed === null && checks.get(s.id)?.state === 'unsatisfied' && s.impl.preview);
  const out = await mapLimit(pending, Math.max(2, session.cpus), (s) =>
    s.impl.preview!(s, session.stepEnv).catch((e: unknown): Preview => ({ notes: [`could not look closer: ${e instanceof Error ? e.message : String(e)}`] })),
  );
  return new Map(pending.map((s, i) => [s.id, out[i]!]));
}
