import type { ResolvedRecipe } from '../catalog/resolve.js';
import type { Action, CheckResult, Preview, ResolvedStep } from '../steps/types.js';
import type { StepDiff } from './diff.js';

/** What the plan says of a step. */
export type StepState = 'satisfied' | 'pending' | 'skipped' | 'unknown' | 'blocked';

export interface PlannedStep {
  step: ResolvedStep;
  state: StepState;
  reason: string;
  action: Action;
  /** `plan --diff`: the unified diff of the files the step will write ('' when they already hold it). */
  diff?: string;
}

export interface PlannedRecipe {
  name: string;
  description: string;
  file: string;
  /**
   * satisfied: nothing to do; pending: something will run; skipped: no step applies to this host; unknown /
   * blocked as for steps. A meta recipe's is its requirements' (the worst of them), never its own.
   */
  state: StepState;
  steps: PlannedStep[];
  requires: string[];
  /** No steps of its own, only `requires` (ml-stack): never installed on its own. */
  meta: boolean;
  /** Every step is skipped, some because the host already has what they install (cmake ≥ 3.24 already there). */
  byHost: boolean;
}

export interface Plan {
  recipes: PlannedRecipe[];
  counts: Record<StepState, number>;
}

/** What the planner needs besides the recipes: check results, actions, and whether root is available. */
export interface PlanInput {
  checks: ReadonlyMap<string, CheckResult>;
  actions: ReadonlyMap<string, Action>;
  /** Root or passwordless sudo is available (for `root: true` steps). */
  canRoot: boolean;
  /** Previews of pending steps (plan without --no-resolve). */
  previews?: ReadonlyMap<string, Preview>;
  /** `plan --diff`: what the steps that will run change in the files they write (plan/diff.ts). */
  diffs?: ReadonlyMap<string, StepDiff>;
}

const RANK: Record<StepState, number> = { satisfied: 0, skipped: 0, pending: 1, unknown: 2, blocked: 3 };

/** The plan: a pure function of resolved recipes, check results and facts. Spawns nothing, writes nothing. */
export function makePlan(recipes: readonly ResolvedRecipe[], input: PlanInput): Plan {
  const counts: Record<StepState, number> = { satisfied: 0, pending: 0, skipped: 0, unknown: 0, blocked: 0 };
  const byName = new Map<string, PlannedRecipe>();
  const planned = recipes.map((r): PlannedRecipe => {
    const steps = r.steps.map((step): PlannedStep => {
      let action = input.actions.get(step.id) ?? { summary: step.kind };
      const preview = input.previews?.get(step.id);
      if (preview)
        action = {
          ...action,
          notes: [...(action.notes ?? []), ...preview.notes],
          ...(preview.install ? { install: preview.install } : {}),
        };
      let state: StepState;
      let reason: string;
      if (step.whenFailed !== null) {
        state = 'skipped';
        reason = `when: ${step.whenFailed}`;
      } else {
        const c = input.checks.get(step.id) ?? { state: 'unknown', reason: 'not checked' };
        state = c.state === 'satisfied' ? 'satisfied' : c.state === 'unknown' ? 'unknown' : 'pending';
        reason = c.reason;
        if (state === 'pending' && preview?.blocked) {
          state = 'blocked';
          reason = preview.blocked;
        }
        if (state !== 'satisfied' && step.common.root && !input.canRoot) {
          state = 'blocked';
          reason = `needs root (${reason}): run setup as root, or allow passwordless sudo`;
        }
      }
      counts[state]++;
      const d = state === 'satisfied' || state === 'skipped' ? undefined : input.diffs?.get(step.id);
      if (d && 'error' in d) action = { ...action, notes: [...(action.notes ?? []), `no diff: ${d.error}`] };
      return { step, state, reason, action, ...(d && 'text' in d ? { diff: d.text } : {}) };
    });
    const meta = !steps.length;
    // Requirements come first (selectRecipes orders them so); one planned elsewhere does not count.
    const states = meta ? r.recipe.requires.flatMap((n) => byName.get(n)?.state ?? []) : steps.map((s) => s.state);
    const p: PlannedRecipe = {
      name: r.recipe.name,
      description: r.recipe.description,
      file: r.recipe.file,
      state: worstOf(states),
      steps,
      requires: r.recipe.requires,
      meta,
      byHost: !meta && steps.every((s) => s.state === 'skipped') && steps.some((s) => s.step.hostHas),
    };
    byName.set(p.name, p);
    return p;
  });
  return { recipes: planned, counts };
}

/** A recipe's state from its steps' (or its requirements'): skipped when all are (or there are none), else the worst. */
function worstOf(states: readonly StepState[]): StepState {
  return states.every((st) => st === 'skipped')
    ? 'skipped'
    : states.reduce<StepState>((w, st) => (RANK[st] > RANK[w] ? st : w), 'satisfied');
}

/** Steps that `setup run` would execute: pending and could-not-tell ones, in order. */
export function stepsToRun(plan: Plan): PlannedStep[] {
  return plan.recipes.flatMap((r) =>
    r.steps.filter((s) => s.state === 'pending' || s.state === 'unknown' || s.state === 'blocked'),
  );
}
