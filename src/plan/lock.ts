import type { ResolvedStep } from '../steps/types.js';
import type { Recipe } from '../catalog/types.js';
import { mapLimit } from '../util/limit.js';
import { checkSteps } from './check.js';
import { resolveRecipes, type Session } from './session.js';
import { LOCK_FORMAT, type Lock, type LockedStep } from './lock-file.js';

/** A step `setup lock` cannot record: not satisfied (or its check could not tell, or reading it failed). */
export interface UnlockedStep {
  id: string;
  recipe: string;
  kind: string;
  name: string;
  state: 'unsatisfied' | 'unknown';
  reason: string;
}

/** What locking the recipes found: the lock of those recipes, and the steps that keep it from being written. */
export interface LockResult {
  lock: Lock;
  /** The recipes locked (the named ones and what they require), dependencies first. */
  recipes: string[];
  /** Steps whose kind records something but that are not installed as the recipe says: nothing is written then. */
  notReady: UnlockedStep[];
}

/** How to lock: what is installed (default), or what would be installed (`resolve`); only some kinds (`kinds`). */
export interface LockOptions {
  /** Ask each step's sources what it would install (the kinds' `resolveLock`), whether or not it is satisfied. */
  resolve?: boolean;
  /** Lock only steps of these kinds (`--format requirements`: pip). */
  kinds?: readonly string[];
}

/**
 * Reads what each step of `recipes` has installed (docs/architecture.md: kinds with a `lock` hook). A step
 * whose `when:` fails is recorded as skipped, with why; a step that is not satisfied is not recorded but
 * listed in `notReady` — a lock is what `run --locked` will reproduce, so a half-installed step is never
 * written as if it were the truth (the command refuses and says to run the recipe first). With `resolve`,
 * each step's `resolveLock` says what it WOULD install instead (nothing is checked; entries say
 * `resolved: true`), and `notReady` lists the steps whose sources could not answer. Changes nothing.
 */
export async function collectLock(
  session: Session,
  recipes: readonly Recipe[],
  opts: LockOptions = {},
): Promise<LockResult> {
  const lockable = (s: ResolvedStep): boolean =>
    !!(opts.resolve ? s.impl.resolveLock : s.impl.lock) && (!opts.kinds || opts.kinds.includes(s.kind));
  const env = session.stepEnv;
  const { recipes: resolved, facts } = await resolveRecipes(session, recipes);
  // The host facts each step's `when:` decided on (held or not), by the step's id: they explain the lock.
  const decided = new Map<string, Record<string, string | number | boolean>>();
  for (const r of resolved)
    for (const raw of r.recipe.steps) {
      const keys = Object.keys(raw.common.when ?? {}).sort();
      if (!keys.length) continue;
      const host: Record<string, string | number | boolean> = {};
      for (const k of keys) host[k] = facts[k] ?? 'none';
      decided.set(`${r.recipe.name}#${raw.index + 1}`, host);
    }
  const when = (s: ResolvedStep): Partial<LockedStep> => (decided.has(s.id) ? { when: decided.get(s.id)! } : {});
  const steps = resolved.flatMap((r) => r.steps).filter(lockable);
  // With --resolve a step need not be installed (that is its point): nothing is checked.
  const checks = opts.resolve ? undefined : await checkSteps(steps, env, Math.max(2, env.cpus));
  const notReady: UnlockedStep[] = [];
  const about = (s: ResolvedStep): Omit<UnlockedStep, 'state' | 'reason'> => ({
    id: s.id,
    recipe: s.recipe,
    kind: s.kind,
    name: s.name,
  });
  const active = steps.filter((s) => s.whenFailed === null);
  for (const s of checks ? active : []) {
    const c = checks!.get(s.id)!;
    if (c.state !== 'satisfied') notReady.push({ ...about(s), state: c.state, reason: c.reason });
  }
  const entries = new Map<string, LockedStep>();
  if (!notReady.length) {
    const read = await mapLimit(active, Math.max(2, env.cpus), (s) =>
      (opts.resolve ? s.impl.resolveLock!(s, env) : s.impl.lock!(s, env)).then(
        (installed) => ({ installed }),
        (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }),
      ),
    );
    active.forEach((s, i) => {
      const r = read[i]!;
      if ('error' in r)
        notReady.push({
          ...about(s),
          state: 'unknown',
          reason: `${opts.resolve ? 'cannot resolve what it would install' : 'cannot read what it installed'}: ${r.error}`,
        });
      else if (r.installed)
        entries.set(s.id, {
          step: s.index + 1,
          kind: s.kind,
          ...(s.name ? { name: s.name } : {}),
          ...when(s),
          ...(opts.resolve ? { resolved: true as const } : {}),
          installed: r.installed,
        });
    });
  }
  const lock: Lock = { format: LOCK_FORMAT, recipes: {} };
  for (const r of resolved) {
    const list: LockedStep[] = [];
    for (const s of r.steps.filter(lockable)) {
      if (s.whenFailed !== null)
        list.push({
          step: s.index + 1,
          kind: s.kind,
          ...(s.name ? { name: s.name } : {}),
          ...when(s),
          skipped: s.whenFailed,
        });
      else {
        const e = entries.get(s.id);
        if (e) list.push(e);
      }
    }
    lock.recipes[r.recipe.name] = list;
  }
  return { lock, recipes: resolved.map((r) => r.recipe.name), notReady };
}

/** A lock with `fresh`'s recipes put in place of the same recipes in `old` (the others kept as they were). */
export function mergeLocks(old: Lock | undefined, fresh: Lock): Lock {
  return { format: LOCK_FORMAT, recipes: { ...(old?.recipes ?? {}), ...fresh.recipes } };
}
