import { ExitCode, UsageError } from '../../util/errors.js';
import { defaultPaths } from '../../util/paths.js';
import { readJournal } from '../../run/journal.js';
import { pastRuns, pickRun, type PastRun, type PastStep } from '../../run/history.js';
import { formatDuration } from '../../util/duration.js';
import { makeOutput, tilde, writeJson, type GlobalOpts, type Output } from '../output.js';

/** `setup log [RUN]`: a past run from the journal — its steps, durations and outcome. */
export default async function log(args: string[], opts: GlobalOpts): Promise<number> {
  const o = makeOutput(opts);
  const journal = defaultPaths().journal;
  const runs = pastRuns(readJournal(journal));
  const picked = pickRun(runs, args[0]);
  if ('problem' in picked)
    throw new UsageError(
      runs.length ? picked.problem : `no runs recorded: ${tilde(o, journal)} does not exist or is empty`,
      picked.hint,
    );
  const back = runs.length - runs.indexOf(picked);
  if (o.json) writeJson(o, 'log', { back: -back, ...picked });
  else o.out(renderRun(o, picked, back));
  return ExitCode.ok; // the log was shown; the run's own outcome is in it
}

const MARK: Record<PastStep['status'], (o: Output) => string> = {
  ok: (o) => o.c.green('✓'),
  already: (o) => o.c.dim('○'),
  failed: (o) => o.c.red('✗'),
  interrupted: (o) => o.c.yellow('!'),
};

const WORD: Record<PastRun['status'], string> = {
  ok: 'ok',
  failed: 'failed',
  interrupted: 'interrupted',
  unfinished: 'unfinished (no end in the journal: setup was killed, or is still running)',
};

/** The run as lines: a header, then one line per step with its outcome and duration. */
function renderRun(o: Output, r: PastRun, back: number): string {
  const { c } = o;
  const when = r.started ? r.started.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'start unknown';
  const color = r.status === 'ok' ? c.green : r.status === 'failed' ? c.red : c.yellow;
  const lines = [
    `${c.bold(`run ${r.id}`)} ${c.dim(`(-${back})`)}`,
    `  started: ${when}${r.recipes.length ? `  recipes: ${r.recipes.join(', ')}` : ''}`,
    `  outcome: ${color(WORD[r.status])}${r.durationMs !== null ? ` (${formatDuration(r.durationMs)})` : ''}`,
  ];
  if (r.log) lines.push(`  log:     ${tilde(o, r.log)}`);
  lines.push('');
  if (!r.steps.length)
    lines.push(c.dim(r.status === 'ok' ? '  nothing to do: every step was already satisfied' : '  no step ended'));
  for (const s of r.steps) {
    const what = s.status === 'already' ? 'already satisfied' : s.message;
    lines.push(
      `  ${MARK[s.status](o)} ${tilde(o, `${s.recipe} › ${s.name ?? s.step}`)}  ${c.dim(`${tilde(o, what)} (${formatDuration(s.durationMs)})`)}`,
    );
  }
  const count = (st: PastStep['status']): number => r.steps.filter((x) => x.status === st).length;
  const parts = [
    `${count('ok')} step${count('ok') === 1 ? '' : 's'} run`,
    count('already') ? `${count('already')} already satisfied` : '',
    count('failed') ? c.red(`${count('failed')} failed`) : '',
    count('interrupted') ? c.yellow(`${count('interrupted')} interrupted`) : '',
  ];
  lines.push('', `${parts.filter(Boolean).join(', ')}.`);
  return lines.join('\n');
}
