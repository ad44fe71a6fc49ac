import { ExitCode } from '../../util/errors.js';
import { planSession, selectRecipes } from '../../plan/session.js';
import { lockFrom, selectionFrom, sessionFrom, type SelectionOpts } from '../common.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, writeJson, type GlobalOpts } from '../output.js';
import { planJson, renderPlan, summaryLine } from '../plan-view.js';

/** `setup plan [recipe…]`: every step's state and reason; changes nothing on disk. */
export default async function plan(
  names: string[],
  opts: GlobalOpts & {
    exitCode?: boolean;
    graph?: boolean;
    format?: string;
    resolve?: boolean;
    locked?: boolean;
    lock?: string;
    diff?: boolean;
  } & SelectionOpts,
): Promise<number> {
  if (opts.graph || opts.format) return (await import('../graph.js')).printGraph(names, opts);
  const o = makeOutput(opts);
  // --locked: the plan of installing exactly the lock; a step whose installed state differs is pending, with why.
  const lock = opts.locked || opts.lock !== undefined ? await lockFrom(opts.lock, true) : undefined;
  const session = await sessionFrom(opts, names, { trustNotes: true }); // a preview may skip what `run` re-checks
  const { plan } = await withSpinner(
    o,
    'checking steps…',
    planSession(session, selectRecipes(session, names), {
      preview: opts.resolve !== false,
      diff: !!opts.diff,
      ...(lock ? { lock } : {}),
      select: selectionFrom(opts),
    }),
  );
  if (o.json)
    writeJson(o, 'plan', { profile: session.stepEnv.profile.name, prefix: session.stepEnv.prefix, ...planJson(plan) });
  else o.out(o.quiet ? summaryLine(o, plan) : renderPlan(o, plan));
  const todo = plan.counts.pending + plan.counts.unknown + plan.counts.blocked;
  return opts.exitCode && todo > 0 ? ExitCode.pending : ExitCode.ok;
}
