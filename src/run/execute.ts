import fs from 'node:fs';
import { InterruptedError } from '../util/errors.js';
import { checkStep, hasCheck, inputChanges } from '../plan/check.js';
import { describeChanges, type PlanEnv } from '../plan/inputs.js';
import { stepDiff } from '../plan/diff.js';
import { stepsToRun, type Plan, type PlannedStep } from '../plan/plan.js';
import { commandArgv, commandEnv, commandText } from '../steps/command.js';
import { StepFailure, type ApplyEnv, type CheckResult, type Command, type ResolvedStep } from '../steps/types.js';
import { formatDuration } from '../util/duration.js';
import { asRoot } from './as-root.js';
import { failureHint } from './hints.js';
import { WriteFailed } from '../util/verified-write.js';
import { UnreadableFile } from '../util/user-file.js';
import type { Journal } from './journal.js';
import { LineTail, type RunLog } from './log.js';

/** How one step ended. */
export interface StepResult {
  status: 'ok' | 'already' | 'failed' | 'interrupted';
  message: string;
  durationMs: number;
  failure?: StepFailure;
}

/** Receives progress; the CLI renders it (listr2 on a TTY, plain lines otherwise). */
export interface Reporter {
  start(steps: readonly PlannedStep[]): void;
  stepStart(s: PlannedStep): void;
  stepOutput(s: PlannedStep, line: string): void;
  stepEnd(s: PlannedStep, r: StepResult): void;
  end(summary: RunSummary): Promise<void> | void;
}

/** One step this run reached: how it ended and where its section of the run log lies (byte offsets). */
export interface StepRecord {
  step: PlannedStep;
  result: StepResult;
  logStart: number;
  logEnd: number;
  /** `run --diff`: the files it changed, as a unified diff (secrets masked); undefined when none was asked or shown. */
  diff?: string;
}

export interface RunSummary {
  /** Every step the run reached, in order (those after a failure are not here). */
  steps: StepRecord[];
  ran: number;
  already: number;
  failed?: { step: PlannedStep; result: StepResult };
  interrupted: boolean;
  durationMs: number;
  log: string;
}

export interface ExecuteOptions {
  env: PlanEnv;
  log: RunLog;
  journal: Journal;
  reporter: Reporter;
  signal: AbortSignal;
  runId: string;
  /** Work done at most once per run (see ApplyEnv.once); shared by every step. */
  once: Map<string, Promise<void>>;
  /** How many later steps' network work (`early`) runs at once while earlier steps run (0: none ahead; default 3). */
  jobs?: number;
  /**
   * `run --diff`: called with each step's diff (plan/diff.ts) just before it is applied, for a step whose kind
   * writes files it can show; the diff goes into the log too.
   */
  onDiff?: (s: PlannedStep, diff: string) => void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Runs what the plan says, in order: each step is checked again right before it runs (an earlier step
 * may have done its work), applied (with retries), then checked once more — a step that "succeeded"
 * but is still unsatisfied fails. Once a step has applied, a step the plan found satisfied is checked again
 * in its turn too (an earlier step may have undone it: a `file` step rewriting what a `config` step set) and
 * runs when it no longer holds; before anything applies, satisfied steps cost nothing. Stops at the first failure, and on Ctrl-C (`summary.interrupted`: the caller
 * reports the run, then throws `interrupted(summary)`).
 */
export async function execute(plan: Plan, o: ExecuteOptions): Promise<RunSummary> {
  const started = performance.now();
  const todo = stepsToRun(plan);
  const summary: RunSummary = { steps: [], ran: 0, already: 0, interrupted: false, durationMs: 0, log: o.log.file };
  o.journal.append({
    event: 'run-start',
    run: o.runId,
    log: o.log.file,
    message: `${todo.length} step(s) to run`,
    recipes: plan.recipes.map((r) => r.name),
  });
  o.reporter.start(todo);
  let changed = false;
  // Fetching ahead stops with the run: a failed step must not leave downloads going on behind it.
  const stopEarly = new AbortController();
  const early = startEarly(todo, o, AbortSignal.any([o.signal, stopEarly.signal]));
  /** Steps an earlier step's apply did the work of (`together`), and which step that was. */
  const doneWith = new Map<ResolvedStep, string>();
  // Satisfied steps come along in plan order: once a step has applied, one may have undone what they found.
  const running = new Set(todo);
  const order = plan.recipes.flatMap((r) => r.steps.filter((s) => running.has(s) || s.state === 'satisfied'));
  for (const [i, s] of order.entries()) {
    if (o.signal.aborted) break;
    let undone: CheckResult | undefined;
    if (!running.has(s)) {
      // A no-op run (nothing applied yet) pays nothing for the steps the plan found satisfied.
      if (!changed) continue;
      const now = await checkStep(s.step, o.env);
      if (now.state === 'satisfied') continue;
      undone = now;
    }
    o.reporter.stepStart(s);
    const t0 = performance.now();
    const label = `${s.step.recipe} › ${s.step.name || s.action.summary}`;
    const logStart = o.log.offset();
    o.log.line(`\n==> ${label}  [${s.step.id}, ${s.step.loc.file}:${s.step.loc.line}]`);
    // Its network work, started ahead while earlier steps ran: done (or failed, for apply to meet) first.
    await early.get(s);
    const join = s.state === 'blocked' ? undefined : s.step.impl.together;
    const together = join
      ? join(
          s.step,
          order.slice(i + 1).flatMap((x) => (running.has(x) && x.state !== 'blocked' ? [x.step] : [])),
        )
      : [];
    // --diff: the step's diff is kept with its record (run --json) as well as shown.
    let diff: string | undefined;
    const onDiff = o.onDiff;
    const stepO: ExecuteOptions = onDiff ? { ...o, onDiff: (x, d) => ((diff = d), onDiff(x, d)) } : o;
    if (undone) o.log.line(`planned as satisfied, undone by an earlier step of this run: ${undone.reason}`);
    const result = await runOne(s, stepO, changed && !undone, together).catch((e: unknown): StepResult => {
      if (e instanceof StepFailure)
        return { status: o.signal.aborted ? 'interrupted' : 'failed', message: e.message, durationMs: 0, failure: e };
      return {
        status: 'failed',
        message: e instanceof Error ? e.message : String(e),
        durationMs: 0,
        failure: new StepFailure(
          e instanceof Error ? e.message : String(e),
          e instanceof WriteFailed || (e instanceof UnreadableFile && e.hint) ? { hint: e.hint } : {},
        ),
      };
    });
    result.durationMs = performance.now() - t0;
    if (result.status === 'ok') for (const t of together) doneWith.set(t, s.step.id);
    const leader = doneWith.get(s.step);
    // Its work was done in this run, by the step that installed it with its own: done, saying by which.
    if (result.status === 'already' && leader) Object.assign(result, { status: 'ok', message: `done with ${leader}` });
    if (undone)
      result.message =
        undone.state === 'unknown'
          ? `could not re-check after an earlier step applied (${undone.reason}); ${result.message}`
          : `undone by an earlier step (${undone.reason}); ${result.message}`;
    o.log.line(`<== ${result.status}: ${result.message} (${formatDuration(result.durationMs)})`);
    summary.steps.push({ step: s, result, logStart, logEnd: o.log.offset(), ...(diff === undefined ? {} : { diff }) });
    o.reporter.stepEnd(s, result);
    const base = {
      run: o.runId,
      recipe: s.step.recipe,
      step: s.step.id,
      name: s.step.name || s.action.summary,
      durationMs: Math.round(result.durationMs),
      message: result.message,
    };
    if (result.status === 'ok' || result.status === 'already') {
      o.journal.append({ event: 'step-ok', status: result.status, ...base });
      if (result.status === 'ok') {
        summary.ran++;
        changed = true;
      } else summary.already++;
      continue;
    }
    o.journal.append({
      event: result.status === 'interrupted' ? 'step-interrupted' : 'step-failed',
      ...base,
      log: o.log.file,
    });
    if (result.status === 'interrupted') summary.interrupted = true;
    else summary.failed = { step: s, result };
    break;
  }
  stopEarly.abort();
  await Promise.all(early.values());
  if (o.signal.aborted) summary.interrupted = true;
  await o.env.inputs?.saveNotes(plan.recipes.flatMap((r) => r.steps.map((s) => s.step))).catch(() => undefined); // only a shortcut for later plans
  summary.durationMs = performance.now() - started;
  o.journal.append({
    event: 'run-end',
    run: o.runId,
    status: summary.interrupted ? 'interrupted' : summary.failed ? 'failed' : 'ok',
    durationMs: Math.round(summary.durationMs),
  });
  await o.reporter.end(summary);
  return summary;
}

/** What an interrupted run ends with (the caller throws it once it has reported the run). */
export function interrupted(summary: RunSummary): InterruptedError {
  return new InterruptedError(
    `interrupted; the journal has the step, and the next \`setup run\` continues from what the checks report (log: ${summary.log})`,
  );
}

/** How many steps fetch ahead at once when the caller does not say (their network work; builds still run one at a time). */
const EARLY_JOBS = 3;

/**
 * Starts the `early` work of every pending step that has some (downloads into the cache, fresh git clones),
 * `o.jobs` at a time, in run order, so a later step's fetch overlaps the builds before it. Each promise settles (never
 * rejects): a failure is left for the step's own apply to meet and report.
 */
function startEarly(
  todo: readonly PlannedStep[],
  o: ExecuteOptions,
  signal: AbortSignal,
): Map<PlannedStep, Promise<void>> {
  const out = new Map<PlannedStep, Promise<void>>();
  const jobs = o.jobs ?? EARLY_JOBS;
  const queue = jobs > 0 ? todo.filter((s) => s.state !== 'blocked' && s.step.impl.early) : [];
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (running < jobs) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  for (const s of queue) {
    const work = (async () => {
      await slot();
      try {
        if (!signal.aborted) await s.step.impl.early?.(s.step, o.env, signal);
      } catch {
        // The step's apply fetches again in its turn and reports what fails.
      } finally {
        release();
      }
    })();
    out.set(s, work);
  }
  return out;
}

async function runOne(
  s: PlannedStep,
  o: ExecuteOptions,
  recheck: boolean,
  together: readonly ResolvedStep[],
): Promise<StepResult> {
  const step = s.step;
  const kind = step.impl;
  if (s.state === 'blocked') throw new StepFailure(s.reason);
  if (recheck && (hasCheck(step) || step.common.unless)) {
    const now = await checkStep(step, o.env);
    if (now.state === 'satisfied')
      return { status: 'already', message: `already satisfied: ${now.reason}`, durationMs: 0 };
  }
  const isRoot = process.getuid?.() === 0;
  const tail = new LineTail(20);
  const exec: ApplyEnv['exec'] = async (cmd: Command, opts = {}) => {
    const cwd = opts.cwd ?? step.common.cwd ?? o.env.paths.home;
    if (!fs.existsSync(cwd))
      throw new StepFailure(`its folder ${cwd} does not exist`, { hint: 'create it in an earlier step, or fix `cwd`' });
    const env = commandEnv(cmd, { ...step.common.env, ...opts.env });
    const root = opts.root ?? step.common.root;
    // As root through sudo, the env reaches the command through a private file (never argv): see asRoot.
    const wrapped = root ? await asRoot(commandArgv(cmd), env, isRoot, o.env.paths.state) : undefined;
    const argv = wrapped?.argv ?? commandArgv(cmd);
    const text = commandText(cmd);
    o.log.line(
      `$ ${text}${root && !isRoot ? '   (via sudo -n)' : ''}${cwd !== o.env.paths.home ? `   (in ${cwd})` : ''}`,
    );
    const r = await o.env.runner
      .run({
        argv,
        cwd,
        env: wrapped && !isRoot ? {} : env,
        input: opts.input,
        timeoutMs: step.common.timeoutMs,
        signal: o.signal,
        capture: false,
        onOutput: (chunk) => {
          o.log.write(chunk);
          tail.push(chunk);
          o.reporter.stepOutput(s, tail.last());
        },
      })
      .finally(() => wrapped?.dispose());
    if (r.spawnError || r.exitCode !== 0 || r.aborted || r.timedOut) {
      const lines = tail.get();
      const how = r.spawnError
        ? r.spawnError
        : r.aborted
          ? 'interrupted'
          : r.timedOut
            ? `timed out after ${formatDuration(step.common.timeoutMs ?? 0)}`
            : r.signal
              ? `killed by ${r.signal}`
              : `exited ${r.exitCode}`;
      throw new StepFailure(`command ${how}`, {
        command: text,
        exitCode: r.exitCode,
        signal: r.signal,
        tail: lines,
        hint: r.timedOut
          ? "raise the step's `timeout`"
          : failureHint(r.spawnError ? 127 : r.exitCode, r.spawnError ? [r.spawnError] : lines),
      });
    }
    return { ...r, stdout: '', stderr: '' };
  };
  if (o.onDiff && kind.render) {
    // Against the files as they are now: earlier steps of this run have written theirs.
    const diff = await stepDiff(step, o.env).catch((e: unknown) => {
      o.log.line(`no diff: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    if (diff !== undefined) {
      if (diff) o.log.write(diff);
      o.onDiff(s, diff);
    }
  }
  const changedInputs = inputChanges(step, o.env);
  if (changedInputs?.length) o.log.line(describeChanges(changedInputs));
  const applyEnv: ApplyEnv = {
    ...o.env,
    inputsChanged: !!changedInputs?.length,
    together,
    exec,
    log: (line) => {
      o.log.line(line);
      tail.push(line + '\n');
      o.reporter.stepOutput(s, line);
    },
    progress: (text) => o.reporter.stepOutput(s, text),
    once: (key, fn) => {
      let p = o.once.get(key);
      if (!p) o.once.set(key, (p = fn()));
      return p;
    },
    signal: o.signal,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await kind.apply(step, applyEnv);
      break;
    } catch (e) {
      o.env.memo.clear();
      if (o.signal.aborted || attempt >= step.common.retries) throw e;
      const wait = Math.min(30_000, 1000 * 2 ** attempt);
      applyEnv.log(
        `attempt ${attempt + 1} of ${step.common.retries + 1} failed (${e instanceof Error ? e.message : String(e)}); retrying in ${formatDuration(wait)}`,
      );
      await sleep(wait, o.signal);
    }
  }
  o.env.memo.clear(); // the step changed the host: shared reads (dpkg status, pip list) are stale
  // What it ran with, so a later plan sees changed inputs; before the re-check, which compares them.
  await o.env.inputs
    ?.record(step)
    .catch((e: unknown) =>
      applyEnv.log(
        `warning: could not record the step's inputs (${e instanceof Error ? e.message : String(e)}); a later plan will not see them change`,
      ),
    );
  if (!hasCheck(step)) return { status: 'ok', message: 'done (no check)', durationMs: 0 };
  const after = await checkStep(step, o.env);
  if (after.state === 'unsatisfied') {
    throw new StepFailure(`the step finished but is still not satisfied: ${after.reason}`, {
      tail: tail.get(),
      hint: 'the step does not produce what its check (or `creates`) expects; fix one of them',
    });
  }
  return {
    status: 'ok',
    message: after.state === 'satisfied' ? 'done' : `done (could not re-check: ${after.reason})`,
    durationMs: 0,
  };
}
