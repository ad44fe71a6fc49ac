import type { ResolvedRecipe } from '../catalog/resolve.js';
import { inheritInputs } from '../steps/inputs.js';
import type { CheckResult, LockEntry, ResolvedStep, StepEnv } from '../steps/types.js';
import type { Problem } from '../util/errors.js';
import { mapLimit } from '../util/limit.js';
import { diffLockEntries, formatDifference, type LockDifference } from './lock-diff.js';
import type { Lock, LockedStep } from './lock-file.js';

/** A lock as `run --locked`, `plan --locked` and doctor use it: what it says and the file it came from (for messages). */
export interface LockSource {
  lock: Lock;
  file: string;
}

/** Recipes with every lockable step rewritten to install exactly its lock entry, and each step's entry by id. */
export interface AppliedLock {
  recipes: ResolvedRecipe[];
  /** The lock entry of each active lockable step, by step id. */
  entries: Map<string, LockEntry>;
  /** Why the lock cannot be installed as it is, one per step (located at the step): `run --locked` refuses. */
  problems: Problem[];
}

/** The kinds that record something in a lock (a `lock` hook). */
export const lockable = (s: ResolvedStep): boolean => !!s.impl.lock;

/** The lock's entry for a step (by recipe and 1-based position), if any. */
export function lockedStep(lock: Lock, s: ResolvedStep): LockedStep | undefined {
  return lock.recipes[s.recipe]?.find((e) => e.step === s.index + 1);
}

/**
 * Rewrites each lockable step of `recipes` from its lock entry with its kind's `locked` hook, so that the
 * normal check, plan and run install exactly the lock (docs/architecture.md, "Lock"). Every step the lock
 * cannot satisfy is a problem: no entry (the recipe or the step is not locked), a lock of another kind at that
 * position, a `when:` that decides otherwise here than when the lock was taken, or what the kind's hook refuses.
 * Pure: the steps are new objects (with the inputs of the recipe as written), the recipes given are not changed.
 */
export function applyLock(recipes: readonly ResolvedRecipe[], src: LockSource): AppliedLock {
  const problems: Problem[] = [];
  const entries = new Map<string, LockEntry>();
  const relock = (name: string): string => `run \`setup lock ${name}\` (after \`setup run ${name}\`) to lock it`;
  const out = recipes.map((r): ResolvedRecipe => {
    const name = r.recipe.name;
    const inLock = Object.hasOwn(src.lock.recipes, name);
    if (!inLock && r.steps.some((s) => lockable(s) && s.whenFailed === null))
      problems.push({
        severity: 'error',
        loc: r.recipe.source.locOf([]),
        message: `recipe ${name} is not in ${src.file}`,
        hint: relock(name),
      });
    const steps = r.steps.map((s): ResolvedStep => {
      if (!lockable(s) || !inLock) return s;
      const e = lockedStep(src.lock, s);
      const bad = (message: string, hint = relock(name)): ResolvedStep => {
        problems.push({ severity: 'error', loc: s.loc, message: `${s.id} ${s.kind}: ${message}`, hint });
        return s;
      };
      if (!e) return s.whenFailed === null ? bad(`no entry in ${src.file}`) : s;
      if (e.kind !== s.kind)
        return bad(`${src.file} has a ${e.kind} step at this position: the recipe changed since it was locked`);
      if (s.whenFailed !== null)
        return e.skipped === undefined
          ? bad(`locked as installed, but its when: does not hold here (${s.whenFailed})`)
          : s;
      if (e.skipped !== undefined) return bad(`locked as skipped (${e.skipped}), but its when: holds here`);
      if (!e.installed) return bad(`${src.file} records nothing installed for it`);
      entries.set(s.id, e.installed);
      if (!s.impl.locked) return s;
      const l = s.impl.locked(s.config, e.installed);
      if ('problem' in l) return bad(l.problem, l.hint ?? relock(name));
      const next: ResolvedStep = { ...s, config: l.config };
      inheritInputs(s, next);
      return next;
    });
    return { ...r, steps };
  });
  return { recipes: out, entries, problems };
}

/** What differs between a step's lock entry and what is installed now, or the error reading it. */
export async function driftOf(s: ResolvedStep, entry: LockEntry, env: StepEnv): Promise<LockDifference[] | Error> {
  try {
    const now = await s.impl.lock!(s, env);
    return now ? diffLockEntries(s.kind, entry, now) : [];
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * `plan --locked`: each pending locked step's reason says what differs from the lock (`torch: locked 2.13.0,
 * installed 2.14.1`) when that can be read; otherwise its check's own reason stays.
 */
export async function driftReasons(
  steps: readonly ResolvedStep[],
  checks: Map<string, CheckResult>,
  entries: ReadonlyMap<string, LockEntry>,
  env: StepEnv,
): Promise<void> {
  const pending = steps.filter((s) => entries.has(s.id) && checks.get(s.id)?.state === 'unsatisfied');
  const found = await mapLimit(pending, Math.max(2, env.cpus), (s) => driftOf(s, entries.get(s.id)!, env));
  pending.forEach((s, i) => {
    const d = found[i]!;
    if (!(d instanceof Error) && d.length)
      checks.set(s.id, { state: 'unsatisfied', reason: d.map((x) => formatDifference(s.kind, x)).join('; ') });
  });
}
