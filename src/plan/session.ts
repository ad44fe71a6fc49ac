import os from 'node:os';
import { InputError, UsageError, type Problem } from '../util/errors.js';
import { FactStore } from '../facts/store.js';
import type { FactValue } from '../facts/registry.js';
import { loadCatalog, orderWithRequires, recipeFolders, type Catalog } from '../catalog/catalog.js';
import { configVars, unknownConfigVars } from '../catalog/config-vars.js';
import { checkOverrides, parseSets, type Overrides } from '../catalog/overrides.js';
import { installPrefix } from '../catalog/prefix.js';
import { mirrorStructured, mirrorValues, loadUserConfigFile, resolveProfile } from '../catalog/profile.js';
import type { UserConfig } from '../lang/schema.js';
import { referencedFacts, resolveRecipe, type ResolvedRecipe } from '../catalog/resolve.js';
import { configuredSecrets, shortSecretProblems, type Secrets } from '../catalog/secrets.js';
import type { Recipe } from '../catalog/types.js';
import { checkSteps } from './check.js';
import { planDiffs } from './diff.js';
import { makePlan, type Plan } from './plan.js';
import { applyLock, driftReasons, type LockSource } from './locked.js';
import { selectSteps, type Selection } from './select.js';
import type { Action, CheckResult, Preview, ResolvedStep } from '../steps/types.js';
import { mapLimit } from '../util/limit.js';
import { didYouMean } from '../util/did-you-mean.js';
import { Memo } from '../util/memo.js';
import { InputStore, type PlanEnv } from './inputs.js';
import { defaultPaths, type Paths } from '../util/paths.js';
import { processRunner, type Runner } from '../util/process.js';

/** Options every command shares: --recipes, --mirror, --set, --prefix (docs/cli.md, global options). */
export interface SessionOptions {
  recipes?: string[];
  /** Recipe files named on the command line (`setup plan ./mine.yaml`): each read alone, after the folders. */
  recipeFiles?: string[];
  mirror?: string;
  set?: string[];
  prefix?: string;
  /** Whether checks may use notes kept by earlier runs (`plan` and `list`; see InputStore.trustNotes). */
  trustNotes?: boolean;
  /** Injected for tests; default: the real process runner, this process's env, XDG paths. */
  runner?: Runner;
  env?: NodeJS.ProcessEnv;
  paths?: Paths;
  /** Known facts (tests); the rest are gathered when needed. */
  facts?: Record<string, FactValue>;
  /** The recipes to read, with what they require (default: every recipe, e.g. for list and validate). */
  load?: readonly string[];
  /** A config.yaml that does not read is kept in `configProblems` (defaults used) instead of thrown (doctor). */
  reportBadConfig?: boolean;
}

/**
 * One invocation's world, built once per command and not changed after: the recipes, the values that
 * replace their variables' defaults, the secrets, and what steps see of the host. Each value is held once:
 * paths, prefix, mirror profile, runner, facts and the process env live in `stepEnv`.
 */
export interface Session {
  readonly catalog: Catalog;
  /** `--set` values and config.yaml's `vars:`. */
  readonly overrides: Overrides;
  /** Values from the secrets file named in the user config (the environment wins over them). */
  readonly secrets: Secrets;
  /** What checks, applies and verify items see of the host; the executor runs with it too. */
  readonly stepEnv: PlanEnv;
  /** With `reportBadConfig`: why config.yaml could not be read (its defaults were used instead). */
  readonly configProblems?: readonly Problem[];
}

/** Loads config, recipes and the mirror profile; throws InputError with every problem found. */
export async function openSession(opts: SessionOptions = {}): Promise<Session> {
  const paths = opts.paths ?? defaultPaths();
  const env = opts.env ?? process.env;
  const runner = opts.runner ?? processRunner;
  // doctor (reportBadConfig): a config.yaml that does not read is one of the things it reports, not a stop.
  const configProblems: Problem[] = [];
  const { config, source: configSource } = await loadUserConfigFile(paths.configFile).catch((e: unknown) => {
    if (!opts.reportBadConfig || !(e instanceof InputError)) throw e;
    configProblems.push(...e.problems);
    return { config: {} as UserConfig, source: undefined };
  });
  const folders = recipeFolders(paths, config, opts.recipes, opts.recipeFiles);
  const fromConfig = configVars(config);
  const overrides: Overrides = { ...parseSets(opts.set ?? []), config: fromConfig };
  const load =
    opts.load && opts.load.length ? [...opts.load, ...overrides.perRecipe.keys(), ...fromConfig.keys()] : undefined;
  const [catalog, profile] = await Promise.all([
    loadCatalog(folders, load),
    resolveProfile(
      opts.mirror ?? config.mirror,
      folders.map((f) => f.dir),
    ),
  ]);
  const errors = catalog.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new InputError(errors);
  // A config.yaml value for no variable is a mistake in that file, whatever the command.
  const unknown = unknownConfigVars(fromConfig, configSource, catalog.recipes, catalog.names);
  if (unknown.length) throw new InputError(unknown);
  const prefix = installPrefix(opts.prefix, config, configSource, paths.home);
  const facts = new FactStore(runner, env, paths.home, opts.facts);
  const stepEnv: PlanEnv = {
    runner,
    facts,
    paths,
    prefix,
    profile,
    processEnv: env,
    memo: new Memo(),
    cpus: os.availableParallelism(),
    inputs: new InputStore(paths.inputs, opts.trustNotes),
  };
  const secrets = await configuredSecrets(config, paths.home);
  return { catalog, overrides, secrets, stepEnv, configProblems };
}

/** The named recipes (all when none) plus their requirements, dependencies first; unknown names exit 2. */
export function selectRecipes(session: Session, names: readonly string[]): Recipe[] {
  const all = session.catalog.recipes;
  const unknown = names.filter((n) => !all.has(n));
  if (unknown.length) {
    const n = unknown[0]!;
    throw new UsageError(
      `unknown recipe "${n}"${didYouMean(n, session.catalog.names)}`,
      '`setup list` shows the recipes',
    );
  }
  const chosen = names.length ? orderWithRequires(all, names) : orderWithRequires(all, [...all.keys()].sort());
  checkOverrides(session.overrides, session.catalog, chosen);
  return chosen;
}

/** Recipes resolved, with the host facts they read (for describe, which is synchronous). */
export interface Resolved {
  recipes: ResolvedRecipe[];
  facts: Record<string, FactValue>;
}

/** Resolves recipes: gathers just the facts they read, renders templates, evaluates `when:`. */
export async function resolveRecipes(session: Session, recipes: readonly Recipe[]): Promise<Resolved> {
  const { paths, prefix, profile, processEnv } = session.stepEnv;
  const facts = await session.stepEnv.facts.gather(referencedFacts(recipes));
  const dirs = { home: paths.home, src: paths.src, cache: paths.cache, state: paths.state, config: paths.config };
  const ctx = {
    facts,
    dirs,
    prefix,
    mirror: mirrorValues(profile),
    mirrorValues: mirrorStructured(profile),
    overrides: session.overrides,
    secret: (name: string) => processEnv[name] ?? session.secrets.get(name),
  };
  // A secret too short to mask is bad input: refused before anything is checked or run.
  const short = recipes.flatMap((r) => shortSecretProblems(r, processEnv, session.secrets));
  if (short.length) throw new InputError(short);
  return { recipes: recipes.map((r) => resolveRecipe(r, ctx)), facts };
}

/** How planSession checks the steps. */
export interface PlanOptions {
  /** Ask the kinds that can look closer (pip resolves) about pending steps. */
  preview?: boolean;
  /** `plan --diff`: the diff of each file the steps that will run write (plan/diff.ts). */
  diff?: boolean;
  /**
   * Install exactly this lock (`run --locked`, `plan --locked`): each lockable step rewritten from its entry
   * (plan/locked.ts); a step the lock cannot satisfy is an InputError before anything is checked. A pending
   * step's reason says what differs from the lock. `strict` (run): a pending step the preview finds
   * uninstallable (a locked version the index or archive lacks) is an InputError too.
   */
  lock?: LockSource & { strict?: boolean };
  /** Checks the steps (default: checkSteps, on this host); the planner fixture table gives its own results. */
  check?: (steps: readonly ResolvedStep[]) => Promise<Map<string, CheckResult>>;
  /**
   * `--only`/`--skip`/`--tags`/`--skip-tags`/`--from` (plan/select.ts): the steps left out are still checked
   * (a step that stands on one that is not satisfied is blocked) but not previewed. A pattern that matches no
   * step is a UsageError before anything is checked.
   */
  select?: Selection;
}

/** Checks every step and builds the plan. Changes nothing on disk. */
export async function planSession(
  session: Session,
  recipes: readonly Recipe[],
  opts: PlanOptions = {},
): Promise<{ plan: Plan; resolved: ResolvedRecipe[]; checks: Map<string, CheckResult> }> {
  const { recipes: written, facts } = await resolveRecipes(session, recipes);
  const applied = opts.lock ? applyLock(written, opts.lock) : undefined;
  if (applied?.problems.length) throw new InputError(applied.problems);
  const resolved = applied?.recipes ?? written;
  const steps = resolved.flatMap((r) => r.steps);
  const leftOut = opts.select ? selectSteps(steps, opts.select) : undefined;
  const checks = await (opts.check
    ? opts.check(steps)
    : checkSteps(steps, session.stepEnv, Math.max(2, session.stepEnv.cpus)));
  if (applied) await driftReasons(steps, checks, applied.entries, session.stepEnv);
  const actions = new Map<string, Action>(steps.map((s) => [s.id, s.impl.describe(s, session.stepEnv, facts)]));
  const needsRoot = steps.some(
    (s) => s.common.root && s.whenFailed === null && checks.get(s.id)?.state !== 'satisfied',
  );
  const [canRoot, previews, diffs] = await Promise.all([
    needsRoot ? session.stepEnv.facts.get('sudo').then((v) => v === true) : true,
    opts.preview
      ? previewSteps(
          steps.filter((s) => !leftOut?.has(s.id)),
          checks,
          session.stepEnv,
        )
      : undefined,
    opts.diff
      ? planDiffs(
          steps.filter((s) => !leftOut?.has(s.id)),
          checks,
          session.stepEnv,
        )
      : undefined,
  ]);
  if (opts.lock?.strict && previews) {
    const blocked: Problem[] = steps.flatMap((s) => {
      const p = applied?.entries.has(s.id) ? previews.get(s.id) : undefined;
      const why = p?.blocked ? [p.blocked, ...p.notes].join(': ') : undefined;
      return why
        ? [
            {
              severity: 'error' as const,
              loc: s.loc,
              message: `${s.id} ${s.kind}: the lock cannot be installed: ${why}`,
              hint: `the lock names a version the index or archive does not have: point the mirror at one that has it, or lock again`,
            },
          ]
        : [];
    });
    if (blocked.length) throw new InputError(blocked);
  }
  return { plan: makePlan(resolved, { checks, actions, canRoot, previews, diffs, leftOut }), resolved, checks };
}

/** Previews of the pending steps whose kind can look closer (pip resolves), concurrently; one that fails says so. */
async function previewSteps(
  steps: readonly ResolvedStep[],
  checks: ReadonlyMap<string, CheckResult>,
  env: PlanEnv,
): Promise<Map<string, Preview>> {
  const pending = steps.filter(
    (s) => s.whenFailed === null && checks.get(s.id)?.state === 'unsatisfied' && s.impl.preview,
  );
  const out = await mapLimit(pending, Math.max(2, env.cpus), (s) =>
    s.impl.preview!(s, env).catch((e: unknown): Preview => ({
      notes: [`could not look closer: ${e instanceof Error ? e.message : String(e)}`],
    })),
  );
  return new Map(pending.map((s, i) => [s.id, out[i]!]));
}
