import fs from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import { commandArgv, commandEnv, commandText } from '../steps/command.js';
import type { CheckResult, ResolvedStep, StepKind } from '../steps/types.js';
import { mapLimit } from '../util/limit.js';
import { describeChanges, judgedByInputs, type PlanEnv } from './inputs.js';

/** How long a `check:` command may take before the answer is "could not tell". */
export const CHECK_TIMEOUT_MS = 60_000;

const NO_CHECK = 'no check';

/** Whether a step has any check at all (its kind's own, `creates`, or `check`). */
export function hasCheck(step: ResolvedStep): boolean {
  return step.impl.selfCheck(step.config) || step.common.creates.length > 0 || !!step.common.check;
}

/**
 * Is the step already satisfied? `unless` first (exit 0: not needed at all); else its kind's own check,
 * then `creates`, then `check` — all given must hold. Checks never change anything on the host.
 */
export async function checkStep(step: ResolvedStep, env: PlanEnv): Promise<CheckResult> {
  const unless = step.common.unless ? await runUnless(step, env) : null;
  if (unless?.state === 'satisfied' || unless?.state === 'unknown') return unless;
  const r = await ownChecks(step, env);
  // Why `unless` did not spare the step, when it said (e.g. "rustc 1.50.0 on PATH is older than 1.60"); alone, it is the check.
  if (!unless?.reason || r.state !== 'unsatisfied') return r;
  return { ...r, reason: r.reason === NO_CHECK ? unless.reason : `${unless.reason}; ${r.reason}` };
}

/** The last line a command printed (stdout, else stderr), for a reason. */
function lastLine(out: string): string {
  return out.trim().split('\n').pop()?.trim().slice(0, 200) ?? '';
}

/** `unless:`: exit 0 = not needed (satisfied, its last output line as the reason); else unsatisfied with what it said. */
async function runUnless(step: ResolvedStep, env: PlanEnv): Promise<CheckResult> {
  const cmd = step.common.unless!;
  const text = commandText(cmd);
  const r = await env.runner.run({
    argv: commandArgv(cmd),
    cwd: env.paths.home,
    env: commandEnv(cmd, step.common.env),
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  if (r.spawnError) return { state: 'unknown', reason: `could not run \`unless\`: ${r.spawnError}` };
  if (r.timedOut)
    return { state: 'unknown', reason: `\`unless\` \`${text}\` did not finish in ${CHECK_TIMEOUT_MS / 1000}s` };
  const said = lastLine(r.stdout) || lastLine(r.stderr);
  if (r.exitCode === 0)
    return { state: 'satisfied', reason: said ? `not needed: ${said}` : `not needed: \`${text}\` passed` };
  return { state: 'unsatisfied', reason: said };
}

/** The kind's own check, `creates` and `check`: all given must hold. */
async function ownChecks(step: ResolvedStep, env: PlanEnv): Promise<CheckResult> {
  const kind = step.impl;
  const reasons: string[] = [];
  if (kind.check && kind.selfCheck(step.config)) {
    let r: CheckResult;
    try {
      r = await kind.check(step, env);
    } catch (e) {
      return { state: 'unknown', reason: `the check itself failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (r.state !== 'satisfied') return r;
    reasons.push(r.reason);
  }
  if (step.common.creates.length) {
    const missing: string[] = [];
    for (const p of step.common.creates) if (!lstatSync(p, { throwIfNoEntry: false })) missing.push(p);
    if (missing.length)
      return { state: 'unsatisfied', reason: `${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist` };
    reasons.push(`${step.common.creates.join(', ')} exist${step.common.creates.length > 1 ? '' : 's'}`);
  }
  if (step.common.check) {
    const text = commandText(step.common.check);
    const cwd = step.common.cwd ?? env.paths.home;
    if (!(await fs.stat(cwd).catch(() => null)))
      return { state: 'unsatisfied', reason: `its folder ${cwd} does not exist yet` };
    const r = await env.runner.run({
      argv: commandArgv(step.common.check),
      cwd,
      env: commandEnv(step.common.check, step.common.env),
      timeoutMs: CHECK_TIMEOUT_MS,
    });
    if (r.spawnError) return { state: 'unknown', reason: `could not run the check: ${r.spawnError}` };
    if (r.timedOut)
      return { state: 'unknown', reason: `the check \`${text}\` did not finish in ${CHECK_TIMEOUT_MS / 1000}s` };
    if (r.exitCode !== 0) {
      const why = r.exitCode === 127 ? ' (command not found)' : r.signal ? ` (killed by ${r.signal})` : '';
      return { state: 'unsatisfied', reason: `check \`${text}\` exited ${r.exitCode ?? r.signal}${why}` };
    }
    reasons.push(`check \`${text}\` passed`);
  }
  if (!reasons.length) return { state: 'unsatisfied', reason: NO_CHECK };
  const changed = inputChanges(step, env);
  if (changed?.length) return { state: 'unsatisfied', reason: describeChanges(changed) };
  return { state: 'satisfied', reason: reasons.join('; ') };
}

/**
 * For a step judged by `creates` / `check` (which cannot see what it was built from): what changed in its
 * inputs since it last ran, or null when nothing is recorded or the step's own check sees its inputs.
 */
export function inputChanges(step: ResolvedStep, env: PlanEnv): string[] | null {
  if (!env.inputs || !judgedByInputs(step, step.impl.selfCheck(step.config))) return null;
  return env.inputs.changes(step);
}

/** Checks many steps concurrently (bounded), skipping those whose `when:` does not hold. */
export async function checkSteps(
  steps: readonly ResolvedStep[],
  env: PlanEnv,
  limit: number,
): Promise<Map<string, CheckResult>> {
  const active = steps.filter((s) => s.whenFailed === null);
  const byKind = new Map<StepKind<unknown, unknown>, ResolvedStep[]>();
  for (const s of active) {
    const list = byKind.get(s.impl);
    if (list) list.push(s);
    else byKind.set(s.impl, [s]);
  }
  await Promise.all(
    [...byKind].map(async ([kind, list]) => {
      try {
        await kind.prefetch(list, env);
      } catch {
        /* each check then answers (or fails) on its own */
      }
    }),
  );
  const results = await mapLimit(active, limit, (s) => checkStep(s, env));
  return new Map(active.map((s, i) => [s.id, results[i]!]));
}
