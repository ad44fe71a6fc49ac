import { randomUUID } from 'node:crypto';
import { ExitCode, InputError } from '../../util/errors.js';
import { stepsToRun } from '../../plan/plan.js';
import { execute, interrupted } from '../../run/execute.js';
import { Journal } from '../../run/journal.js';
import { RunLog } from '../../run/log.js';
import { planSession, selectRecipes } from '../../plan/session.js';
import { formatDuration } from '../../util/duration.js';
import { lockFrom, selectionFrom, sessionFrom, type SelectionOpts } from '../common.js';
import type { LockSource } from '../../plan/locked.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, tilde, type GlobalOpts, type Output } from '../output.js';
import { acquireRunLock } from '../../run/lock.js';
import { guardProcessGroups } from '../../util/process.js';
import { sweepTempFiles } from '../../util/safe-write.js';
import type { Session } from '../../plan/session.js';
import { renderFailure } from '../run-failure.js';
import { renderDiff } from '../plan-view.js';
import { listrReporter, plainReporter } from '../run-progress.js';
import { reportRun, checkReportPath } from '../run-report.js';
import { readJournal } from '../../run/journal.js';
import { lastDurations } from '../../run/history.js';

/** `setup run <recipe…>`: runs what the plan says; stops at the first failure; Ctrl-C stops cleanly (130). */
export default async function run(
  names: string[],
  opts: GlobalOpts &
    SelectionOpts & {
      wait?: boolean;
      locked?: boolean;
      lock?: string;
      jobs?: string;
      report?: string;
      diff?: boolean;
    },
): Promise<number> {
  const o = makeOutput(opts);
  const jobs = opts.jobs === undefined ? undefined : /^\s*\d+\s*$/.test(opts.jobs) ? Number(opts.jobs) : NaN;
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 0 && jobs <= 64))
    throw new InputError([
      {
        severity: 'error',
        message: `--jobs ${JSON.stringify(opts.jobs)} is not a whole number from 0 to 64`,
        hint: 'e.g. --jobs 4, or --jobs 0 to fetch nothing ahead',
      },
    ]);
  if (opts.report !== undefined) checkReportPath(opts.report); // before anything runs, not after an hour
  // --locked: install exactly the lock (read before anything else: a missing or bad lock stops here).
  const lock = opts.locked || opts.lock !== undefined ? await lockFrom(opts.lock, true) : undefined;
  const session = await sessionFrom(opts, names);
  const release = await acquireRunLock(session.stepEnv.paths.lock, {
    wait: opts.wait !== false,
    command: `setup run ${names.join(' ')}`,
    onWait: (h) =>
      o.err(
        `waiting for another setup run to finish${h ? ` (pid ${h.pid}: \`${h.command}\`, started ${h.started})` : ''}… (--no-wait to fail instead)`,
      ),
  });
  try {
    // A write that a kill cut short left its temp file beside the user's file: remove those first.
    const { removed: swept, refused } = await sweepTempFiles(session.stepEnv.paths.backups);
    if (swept.length && !o.quiet)
      o.err(
        `removed ${swept.length} temp file${swept.length === 1 ? '' : 's'} left by an interrupted write: ${swept.map((f) => tilde(o, f)).join(', ')}`,
      );
    if (refused)
      o.err(
        `warning: left alone ${refused} line${refused === 1 ? '' : 's'} of the temp-file list that name${refused === 1 ? 's' : ''} no temp file of envkit's`,
      );
    return await runUnderLock(names, opts, o, session, lock, jobs);
  } finally {
    await release();
  }
}

async function runUnderLock(
  names: string[],
  opts: GlobalOpts & SelectionOpts & { report?: string; diff?: boolean },
  o: Output,
  session: Session,
  lock: LockSource | undefined,
  jobs: number | undefined,
): Promise<number> {
  const started = new Date();
  // With a lock, pending steps are previewed: a locked version the index or archive lacks stops the run here.
  const { plan, resolved } = await withSpinner(
    o,
    'checking steps…',
    planSession(session, selectRecipes(session, names), {
      ...(lock ? { preview: true, lock: { ...lock, strict: true } } : {}),
      select: selectionFrom(opts),
    }),
  );
  const missing = resolved.flatMap((r) => r.missingSecrets.map((name) => ({ recipe: r.recipe, name })));
  if (missing.length) {
    throw new InputError(
      missing.map((m) => ({
        severity: 'error' as const,
        loc: m.recipe.source.locIn([], `secrets.${m.name}`),
        message: `secret ${m.name} is not set (recipe ${m.recipe.name} needs it)`,
        hint: `export ${m.name}=… before setup run, or put it in the secrets file named in config.yaml`,
      })),
    );
  }
  const todo = stepsToRun(plan);
  const leftOut = plan.counts.excluded ? `, ${plan.counts.excluded} left out by the selection` : '';
  const blocked = todo.filter((s) => s.state === 'blocked');
  if (blocked.length) {
    if (!o.json) {
      for (const b of blocked)
        o.err(o.c.red(`✗ ${b.step.recipe} › ${b.step.name || b.action.summary}: ${tilde(o, b.reason)}`));
      o.err('nothing was run');
    }
    await reportRun(o, { status: 'blocked', plan, started }, opts);
    return ExitCode.failed;
  }
  if (!todo.length) {
    // Journaled too (two lines, no log file): `setup log` shows that this run found nothing to do.
    const journal = new Journal(session.stepEnv.paths.journal);
    const runId = randomUUID();
    journal.append({
      event: 'run-start',
      run: runId,
      message: '0 step(s) to run',
      recipes: plan.recipes.map((r) => r.name),
    });
    // What the checks learned (pip: the installed set imports passed with) spares the next plan that work.
    await session.stepEnv.inputs
      ?.saveNotes(plan.recipes.flatMap((r) => r.steps.map((s) => s.step)))
      .catch(() => undefined);
    journal.append({ event: 'run-end', run: runId, status: 'ok', durationMs: Date.now() - started.getTime() });
    await reportRun(o, { status: 'ok', plan, started }, opts);
    if (!o.json && !o.quiet)
      o.err(
        o.c.green(
          `Nothing to do: ${plan.counts.satisfied} step${plan.counts.satisfied === 1 ? '' : 's'} already satisfied${leftOut}.`,
        ),
      );
    return ExitCode.ok;
  }
  // A step's processes must not outlive this run even if it is killed with SIGKILL.
  guardProcessGroups();
  const log = RunLog.open(session.stepEnv.paths.logs, names.join('+'));
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      o.err(`\n${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping the running step…`);
      controller.abort();
    } else process.exit(ExitCode.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // --diff prints between a step's lines, which listr2 would redraw over.
  const useListr = o.tty && !o.json && !o.verbose && !o.quiet && !opts.diff;
  // Each step's last duration from the journal: a long step's progress shows it as an estimate.
  const estimates = lastDurations(readJournal(session.stepEnv.paths.journal));
  const reporter = o.json
    ? { ...plainReporter({ ...o, quiet: true }) }
    : useListr
      ? await listrReporter(o, estimates)
      : plainReporter(o, estimates);
  if (!o.json && !o.quiet)
    o.err(`${todo.length} step${todo.length === 1 ? '' : 's'} to run${leftOut} · log: ${tilde(o, log.file)}`);
  try {
    const summary = await execute(plan, {
      env: session.stepEnv,
      log,
      journal: new Journal(session.stepEnv.paths.journal),
      reporter,
      signal: controller.signal,
      runId: randomUUID(),
      once: new Map(),
      jobs: jobs ?? Math.min(8, Math.max(3, session.stepEnv.cpus)),
      // With --json the diffs go into the log and each step's record only: stdout stays one JSON document.
      ...(opts.diff
        ? {
            onDiff: (_s, diff) => {
              if (!o.json)
                o.err(
                  renderDiff(o, diff)
                    .map((l) => `    ${l}`)
                    .join('\n'),
                );
            },
          }
        : {}),
    });
    if (summary.interrupted) {
      await reportRun(o, { status: 'interrupted', plan, summary, started }, opts);
      throw interrupted(summary);
    }
    if (summary.failed && !o.json) o.err(renderFailure(o, summary));
    else if (!o.json)
      o.err(
        o.c.green(
          `Done: ${summary.ran} step${summary.ran === 1 ? '' : 's'} run${summary.already ? `, ${summary.already} already satisfied` : ''} in ${formatDuration(summary.durationMs)}.`,
        ),
      );
    await reportRun(o, { status: summary.failed ? 'failed' : 'ok', plan, summary, started }, opts);
    return summary.failed ? ExitCode.failed : ExitCode.ok;
  } finally {
    log.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
