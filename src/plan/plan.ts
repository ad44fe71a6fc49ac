import type { ResolvedRecipe } from '../recipe/resolve.js';
import type { Action, CheckResult, Preview, ResolvedStep } from '../steps/types.js';

/** What the plan says of a step. */
export type StepState = 'satisfied' | 'pending' | 'skipped' | 'unknown' | 'blocked';

export interface PlannedStep {
  step: ResolvedStep;
  state: StepState;
  reason: string;
  action: Action;
}

export interface PlannedRecipe {
  name: string;
  description: string;
  file: string;
  /** satisfied: nothing to do; pending: something will run; skipped: no step applies to this host; unknown / blocked as for steps. */
  state: StepState;
  steps: PlannedStep[];
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
}

const RANK: Record<StepState, number> = { satisfied: 0, skipped: 0, pending: 1, unknown: 2, blocked: 3 };

/** The plan: a pure function of resolved recipes, check results and facts. Spawns nothing, writes nothing. */
export function makePlan(recipes: readonly ResolvedRecipe[], input: PlanInput): Plan {
  const counts: Record<StepState, number> = { satisfied: 0, pending: 0, skipped: 0, unknown: 0, blocked: 0 };
  const planned = recipes.map((r): PlannedRecipe => {
    const steps = r.steps.map((step): PlannedStep => {
      let action = input.actions.get(step.id) ?? { summary: step.kind };
      const preview = input.previews?.get(step.id);
      if (preview) action = { ...action, notes: [...(action.notes ?? []), ...preview.notes], ...(preview.install ? { install: preview.install } : {}) };
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
      return { step, state, reason, action };
    });
    const worst = steps.length && steps.every((s) => s.state === 'skipped') ? 'skipped' : steps.reduce<StepState>((w, s) => (RANK[s.state] > RANK[w] ? s.state : w), 'satisfied');
    return { name: r.recipe.name, description: r.recipe.description, file: r.recipe.file, state: worst, steps };
  });
  return { recipes: planned, counts };
}

/** Steps that `setup run` would execute: pending and could-not-tell ones, in order. */
export function stepsToRun(plan: Plan): PlannedStep[] {
  return plan.recipes.flatMap((r) => r.steps.filter((s) => s.state === 'pending' || s.state === 'unknown' || s.state === 'blocked'));
}
