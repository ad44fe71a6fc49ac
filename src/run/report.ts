import type { Plan, PlannedStep, StepState } from '../plan/plan.js';
import type { RunSummary, StepResult } from './execute.js';

/** What became of a step in a run: how it ended when it ran, else why it did not. */
export type StepOutcome = StepResult['status'] | 'satisfied' | 'skipped' | 'not-run';

/** One step of `setup run --json` (and a JUnit testcase): every step of the plan, in order. */
export interface StepReport {
  id: string;
  recipe: string;
  name: string;
  kind: string;
  /** The plan's state before the run. */
  stateBefore: StepState;
  outcome: StepOutcome;
  /** What the step said when it ended, or why it did not run. */
  message: string;
  durationMs: number | null;
  /** Byte offsets of the step's section in the run log (start inclusive, end exclusive); null when it did not run. */
  log: { start: number; end: number } | null;
  failure: {
    message: string;
    hint: string | null;
    exitCode: number | null;
    signal: string | null;
    command: string | null;
    tail: string[];
  } | null;
  /** `run --diff`: the files the step changed, as a unified diff (secrets masked); only on steps that showed one. */
  diff?: string;
}

/**
 * Every step of the plan with what the run did with it (pure): the steps it reached with their results and
 * log offsets; satisfied and skipped steps as the plan said; blocked ones failed with their reason; the rest
 * (after a failure or Ctrl-C) `not-run`.
 */
export function stepReports(plan: Plan, summary: Pick<RunSummary, 'steps'> | undefined): StepReport[] {
  const reached = new Map((summary?.steps ?? []).map((r) => [r.step.step, r]));
  return plan.recipes.flatMap((r) => r.steps.map((s): StepReport => ordered(report(s))));

  function report(s: PlannedStep): StepReport {
    const base = {
      id: s.step.id,
      recipe: s.step.recipe,
      name: s.step.name || s.action.summary,
      kind: s.step.kind,
      stateBefore: s.state,
    };
    const rec = reached.get(s.step);
    if (rec) {
      const f = rec.result.failure;
      const d = f?.details ?? {};
      return {
        ...base,
        outcome: rec.result.status,
        message: rec.result.message,
        durationMs: Math.round(rec.result.durationMs),
        log: { start: rec.logStart, end: rec.logEnd },
        failure:
          rec.result.status === 'failed' || rec.result.status === 'interrupted'
            ? {
                message: rec.result.message,
                hint: d.hint ?? null,
                exitCode: d.exitCode ?? null,
                signal: d.signal ?? null,
                command: d.command ?? null,
                tail: d.tail ?? [],
              }
            : null,
        ...(rec.diff === undefined ? {} : { diff: rec.diff }),
      };
    }
    const none = { durationMs: null, log: null };
    if (s.state === 'satisfied' || s.state === 'skipped')
      return { ...base, ...none, outcome: s.state, message: s.reason, failure: null };
    // Left out by the selection (--only, --skip, --tags, --from): skipped, saying by what.
    if (s.state === 'excluded') return { ...base, ...none, outcome: 'skipped', message: s.reason, failure: null };
    if (s.state === 'blocked' && !summary)
      return {
        ...base,
        ...none,
        outcome: 'failed',
        message: s.reason,
        failure: { message: s.reason, hint: null, exitCode: null, signal: null, command: null, tail: [] },
      };
    return {
      ...base,
      ...none,
      outcome: 'not-run',
      message: summary
        ? 'not run: the run stopped before it'
        : 'not run: a blocked step stops the run before anything runs',
      failure: null,
    };
  }
}

/** The same key order for every step, whichever way it was made (JSON readers by eye). */
function ordered(r: StepReport): StepReport {
  const { id, recipe, name, kind, stateBefore, outcome, message, durationMs, log, failure, diff } = r;
  const out = { id, recipe, name, kind, stateBefore, outcome, message, durationMs, log, failure };
  return diff === undefined ? out : { ...out, diff };
}

/** The slowest steps that ran, slowest first: at most `max`, each at least `minMs`. */
export function slowest(reports: readonly StepReport[], max = 3, minMs = 1000): StepReport[] {
  return reports
    .filter((r) => r.durationMs !== null && r.durationMs >= minMs && r.outcome !== 'already')
    .sort((a, b) => b.durationMs! - a.durationMs!)
    .slice(0, max);
}
