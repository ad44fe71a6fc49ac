import type { ResolvedRecipe } from '../catalog/resolve.js';
import type { Action, CheckResult, Preview, ResolvedStep } from '../steps/types.js';
import type { StepDiff } from './diff.js';
import type { LeftOut } from './select.js';

/** What the plan says of a step; `excluded`: left out by `--only`/`--skip`/`--tags`/`--skip-tags`/`--from`. */
export type StepState = 'satisfied' | 'pending' | 'skipped' | 'unknown' | 'blocked' | 'excluded';

export interface PlannedStep {
  step: ResolvedStep;
  state: StepState;
  reason: string;
  action: Action;
  /** `plan --diff`: the unified diff of the files the step will write ('' when they already hold it). */
  diff?: string;
  /** A step selection left out: why, how to include it, and the state and reason it has otherwise. */
  leftOut?: LeftOut & { state: StepState; reason: string };
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
  /** Steps a selection (`--only`, `--from`…) left out, by id (plan/select.ts). */
  leftOut?: ReadonlyMap<string, LeftOut>;
}

const RANK: Record<StepState, number> = { satisfied: 0, skipped: 0, excluded: 0, pending: 1, unknown: 2, blocked: 3 };

/** The plan: a pure function of resolved recipes, check results and facts. Spawns nothing, writes nothing. */
export function makePlan(recipes: readonly ResolvedRecipe[], input: PlanInput): Plan {
  const counts: Record<StepState, number> = {
    satisfied: 0,
    pending: 0,
    skipped: 0,
    unknown: 0,
    blocked: 0,
    excluded: 0,
  };
  const byName = new Map<string, PlannedRecipe>();
  /** Whether a step before this one will run: it may install what a later step's check found missing. */
  let earlierRuns = false;
  const planned = recipes.map((r): PlannedRecipe => {
    // What a step of this recipe stands on: the steps of the recipes it requires, then its own earlier steps.
    const required = input.leftOut?.size ? requiredSteps(r.recipe.requires, byName) : [];
    const steps: PlannedStep[] = [];
    for (const step of r.steps) {
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
        if (state === 'pending' && c.blocked) {
          if (earlierRuns)
            action = {
              ...action,
              notes: [...(action.notes ?? []), `${c.blocked} (unless an earlier step of this run installs it)`],
            };
          else {
            state = 'blocked';
            reason = `${reason}: ${c.blocked}`;
          }
        }
        if (state !== 'satisfied' && step.common.root && !input.canRoot) {
          state = 'blocked';
          reason = `needs root (${reason}): run setup as root, or allow passwordless sudo`;
        }
      }
      const left = input.leftOut?.get(step.id);
      const d = left || state === 'satisfied' || state === 'skipped' ? undefined : input.diffs?.get(step.id);
      if (d && 'error' in d) action = { ...action, notes: [...(action.notes ?? []), `no diff: ${d.error}`] };
      let p: PlannedStep = { step, state, reason, action, ...(d && 'text' in d ? { diff: d.text } : {}) };
      if (left)
        p = { step, state: 'excluded', reason: `left out by ${left.by}`, action, leftOut: { ...left, state, reason } };
      else if (input.leftOut?.size && (state === 'pending' || state === 'unknown')) p = standOn(p, required, steps);
      counts[p.state]++;
      if (p.state === 'pending' || p.state === 'unknown') earlierRuns = true;
      steps.push(p);
    }
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

/**
 * A recipe's state from its steps' (or its requirements'): skipped when all are (or there are none), left out
 * when all are skipped or left out, else the worst of the rest.
 */
function worstOf(states: readonly StepState[]): StepState {
  if (states.every((st) => st === 'skipped')) return 'skipped';
  const rest = states.filter((st) => st !== 'skipped' && st !== 'excluded');
  return rest.length ? rest.reduce<StepState>((w, st) => (RANK[st] > RANK[w] ? st : w), 'satisfied') : 'excluded';
}

/** Every planned step of the recipes `names` require, transitively, requirements first. */
function requiredSteps(names: readonly string[], byName: ReadonlyMap<string, PlannedRecipe>): PlannedStep[] {
  const seen = new Set<string>();
  const out: PlannedStep[] = [];
  const visit = (n: string): void => {
    const r = byName.get(n);
    if (!r || seen.has(n)) return;
    seen.add(n);
    r.requires.forEach(visit);
    out.push(...r.steps);
  };
  names.forEach(visit);
  return out;
}

/**
 * A step that will run, after a selection: blocked when a step it stands on was left out and is not satisfied —
 * naming it and how to include it. It stands on every step of the recipes its recipe requires, and on the
 * earlier steps of its own recipe unless the user named those to leave out (`--skip`, `--skip-tags`). A step
 * left out with no check (it always runs) cannot be told unsatisfied: the step runs, and its notes say what it
 * goes without.
 */
function standOn(p: PlannedStep, required: readonly PlannedStep[], earlier: readonly PlannedStep[]): PlannedStep {
  const out = [...required, ...earlier].filter((b) => b.leftOut && b.leftOut.state !== 'satisfied');
  const unmet = (b: PlannedStep): boolean =>
    b.leftOut!.state === 'blocked' || (b.leftOut!.state === 'pending' && b.leftOut!.reason !== 'no check');
  const blocking = out.filter((b) => unmet(b) && (required.includes(b) || !b.leftOut!.named));
  const first = blocking[0];
  if (first) {
    const l = first.leftOut!;
    const more = blocking.length - 1;
    return {
      ...p,
      state: 'blocked',
      reason: `needs ${first.step.id}${first.step.name ? ` "${first.step.name}"` : ''}, left out by ${l.by} and not satisfied (${l.reason}): ${l.fix}${more ? ` (and ${more} more left out and not satisfied)` : ''}`,
    };
  }
  const without = out.filter((b) => b.leftOut!.state === 'pending' || b.leftOut!.state === 'blocked');
  return without.length
    ? {
        ...p,
        action: {
          ...p.action,
          notes: [
            ...(p.action.notes ?? []),
            `runs without ${without.map((b) => b.step.id).join(', ')}: left out, and ${without.length === 1 ? 'it' : 'they'} would run otherwise`,
          ],
        },
      }
    : p;
}
/** Steps that `setup run` would execute: pending and could-not-tell ones, in order. */
export function stepsToRun(plan: Plan): PlannedStep[] {
  return plan.recipes.flatMap((r) =>
    r.steps.filter((s) => s.state === 'pending' || s.state === 'unknown' || s.state === 'blocked'),
  );
}
