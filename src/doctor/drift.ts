import type { ResolvedRecipe } from '../catalog/resolve.js';
import { formatDifference } from '../plan/lock-diff.js';
import { driftOf, lockable, lockedStep, type LockSource } from '../plan/locked.js';
import type { StepEnv } from '../steps/types.js';
import { mapLimit } from '../util/limit.js';
import type { DoctorItem } from './verify.js';

/** One way what is installed differs from the lock (`setup doctor --json`: the `drift` list). */
export interface Drift {
  recipe: string;
  /** The step's id, `recipe#n`. */
  step: string;
  kind: string;
  /** A distribution, `git <path>`, a package, a file. */
  item: string;
  /** Absent: not in the lock (installed since). */
  locked?: string;
  /** Absent: not installed (or not checked out) now. */
  installed?: string;
  /** What is installed could not be read (the step is not installed at all): why. */
  error?: string;
}

/**
 * What differs from the lock, for each recipe of `recipes` it locks: every active step's entry compared with
 * what its kind's `lock` hook reads now (plan/lock-diff.ts). Reads only. Items: one ✗ line per difference,
 * or one ✓ line per recipe that matches its lock.
 */
export async function lockDrift(
  recipes: readonly ResolvedRecipe[],
  src: LockSource,
  env: StepEnv,
): Promise<{ drift: Drift[]; items: DoctorItem[] }> {
  const locked = recipes.filter((r) => Object.hasOwn(src.lock.recipes, r.recipe.name));
  const steps = locked.flatMap((r) =>
    r.steps.flatMap((s) => {
      const e = lockable(s) && s.whenFailed === null ? lockedStep(src.lock, s) : undefined;
      return e?.installed && e.kind === s.kind ? [{ s, entry: e.installed }] : [];
    }),
  );
  const found = await mapLimit(steps, Math.max(2, env.cpus), ({ s, entry }) => driftOf(s, entry, env));
  const drift: Drift[] = [];
  steps.forEach(({ s }, i) => {
    const d = found[i]!;
    const base = { recipe: s.recipe, step: s.id, kind: s.kind };
    if (d instanceof Error) drift.push({ ...base, item: s.name || s.kind, error: d.message });
    else for (const x of d) drift.push({ ...base, ...x });
  });
  const items: DoctorItem[] = [];
  for (const r of locked) {
    const name = r.recipe.name;
    const mine = drift.filter((d) => d.recipe === name);
    if (!mine.length) items.push({ recipe: name, label: 'lock', status: 'ok', message: `as ${src.file} records` });
    for (const d of mine)
      items.push({
        recipe: name,
        label: 'drift',
        status: 'fail',
        message: d.error
          ? `${d.step} ${d.kind} (${d.item}): cannot read what is installed: ${d.error}`
          : formatDifference(d.kind, d),
        fix: `setup run --locked ${name}`,
      });
  }
  return { drift, items };
}
