import type { Recipe } from '../catalog/types.js';
import type { BundleContext, BundleItem, BundleResult, LockEntry, ResolvedStep } from '../steps/types.js';
import { mapLimit } from '../util/limit.js';
import type { Lock } from './lock-file.js';
import { resolveRecipes, type Session } from './session.js';

/** What one step put in the bundle (or, checking, what the bundle lacks for it), or why it failed. */
export interface BundledStep {
  id: string;
  recipe: string;
  kind: string;
  name: string;
  items: BundleItem[];
  missing: string[];
  profile: BundleResult['profile'];
  /** Whether the lock gave this step's entry (exact pins, commits). */
  locked: boolean;
  error?: string;
}

/** What `setup bundle` (or doctor's completeness check) found for the recipes. */
export interface BundleRun {
  /** The recipes bundled (the named ones and what they require), dependencies first. */
  recipes: string[];
  steps: BundledStep[];
  /** Steps with a bundle hook whose `when:` fails here: not bundled, with why. */
  skipped: { id: string; kind: string; reason: string }[];
}

/** How to bundle: where, with which lock, for which interpreter; or only check what is there. */
export interface BundleOptions {
  dir: string;
  lock?: Lock;
  /** What the folder's manifest records for each step, by step id (doctor checks it is still there). */
  recorded?: ReadonlyMap<string, Omit<BundleItem, 'fetched'>[]>;
  target?: BundleContext['target'];
  checkOnly: boolean;
  /** A step's progress (shown on a TTY). */
  progress(step: ResolvedStep, text: string): void;
  /** Called when a step starts and ends (the command's progress lines). */
  onStep?(step: ResolvedStep, done?: BundledStep): void;
  concurrency?: number;
  signal?: AbortSignal;
}

/** The lock's entry for a step: same recipe, same position, same kind. */
export function lockedEntry(lock: Lock | undefined, s: ResolvedStep): LockEntry | undefined {
  const e = lock?.recipes[s.recipe]?.find((x) => x.step === s.index + 1 && x.kind === s.kind);
  return e?.installed;
}

/**
 * Runs the `bundle` hook of every step of `recipes` whose kind has one (docs/architecture.md, "Bundle"),
 * a few at a time (fetches wait on the network, not the CPUs): each gathers what its step needs into
 * `dir`, or with `checkOnly` says what `dir` lacks. A step whose `when:` fails here is skipped. A failing
 * hook fails its step only; the caller decides (the command writes no profile or manifest then).
 */
export async function collectBundle(
  session: Session,
  recipes: readonly Recipe[],
  opts: BundleOptions,
): Promise<BundleRun> {
  const env = session.stepEnv;
  const { recipes: resolved } = await resolveRecipes(session, recipes);
  const all = resolved.flatMap((r) => r.steps).filter((s) => !!s.impl.bundle);
  const active = all.filter((s) => s.whenFailed === null);
  const recorded = opts.recorded ?? new Map<string, Omit<BundleItem, 'fetched'>[]>();
  const steps = await mapLimit(active, opts.concurrency ?? 4, async (s): Promise<BundledStep> => {
    opts.onStep?.(s);
    const locked = lockedEntry(opts.lock, s);
    const base = { id: s.id, recipe: s.recipe, kind: s.kind, name: s.name, locked: !!locked };
    let out: BundledStep;
    try {
      const r = await s.impl.bundle!(s, {
        dir: opts.dir,
        env,
        ...(locked ? { locked } : {}),
        ...(recorded.has(s.id) ? { recorded: recorded.get(s.id)! } : {}),
        ...(opts.target ? { target: opts.target } : {}),
        checkOnly: opts.checkOnly,
        progress: (text) => opts.progress(s, text),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      out = { ...base, items: r.items, missing: r.missing, profile: r.profile };
    } catch (e) {
      out = { ...base, items: [], missing: [], profile: {}, error: e instanceof Error ? e.message : String(e) };
    }
    opts.onStep?.(s, out);
    return out;
  });
  return {
    recipes: resolved.map((r) => r.recipe.name),
    steps,
    skipped: all.filter((s) => s.whenFailed !== null).map((s) => ({ id: s.id, kind: s.kind, reason: s.whenFailed! })),
  };
}
