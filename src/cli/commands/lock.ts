import path from 'node:path';
import { EnvkitError, ExitCode, UsageError } from '../../util/errors.js';
import { redact } from '../../util/redact.js';
import { writeVerified } from '../../util/verified-write.js';
import { collectLock, mergeLocks } from '../../plan/lock.js';
import { acquireRunLock } from '../../run/lock.js';
import { formatLock, LOCK_FILE } from '../../plan/lock-file.js';
import { readLock } from '../lock-input.js';
import { selectRecipes } from '../../plan/session.js';
import { sessionFrom } from '../common.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

/**
 * `setup lock [recipe…]`: records what the recipes (and what they require) have installed into the lock
 * file (default ./envkit.lock). Recipes already in the file and not named are kept; with no names, the
 * recipes already in it are locked again. Refuses (exit 1, nothing written) while a step is not satisfied.
 */
export default async function lockCommand(names: string[], opts: GlobalOpts & { lock?: string }): Promise<number> {
  const o = makeOutput(opts);
  const file = path.resolve(opts.lock ?? LOCK_FILE);
  const old = await readLock(file);
  if (!names.length) {
    if (!old || !Object.keys(old.lock.recipes).length)
      throw new UsageError(
        `name the recipes to lock: ${tilde(o, file)} does not list any yet`,
        'setup lock <recipe…>; with no names, setup lock locks again the recipes already in the lock file',
      );
    names = Object.keys(old.lock.recipes).sort();
  }
  const session = await sessionFrom(opts, names);
  const recipes = selectRecipes(session, names);
  // Never read a run half done: wait for a `setup run` in progress to finish (the same lock it holds).
  const release = await acquireRunLock(session.stepEnv.paths.lock, {
    wait: true,
    command: `setup lock ${names.join(' ')}`,
    onWait: (h) =>
      o.err(
        `waiting for a setup run to finish${h ? ` (pid ${h.pid}: \`${h.command}\`, started ${h.started})` : ''} before reading what it installed…`,
      ),
  });
  let result: Awaited<ReturnType<typeof collectLock>>;
  try {
    result = await withSpinner(o, 'reading what is installed…', collectLock(session, recipes));
  } finally {
    await release();
  }
  if (result.notReady.length) {
    const run = `setup run ${[...new Set(result.notReady.map((s) => s.recipe))].join(' ')}`;
    if (o.json) {
      writeJson(o, 'lock', { status: 'not-ready', file, recipes: result.recipes, notReady: result.notReady, fix: run });
      return ExitCode.failed;
    }
    for (const s of result.notReady)
      o.err(`  ${s.id} ${s.kind}${s.name ? ` (${s.name})` : ''}: ${s.state}: ${tilde(o, s.reason)}`);
    throw new EnvkitError(
      `nothing written to ${tilde(o, file)}: ${result.notReady.length} step${result.notReady.length === 1 ? ' is' : 's are'} not installed as the recipe says`,
      ExitCode.failed,
      `a lock records what is installed: run \`${run}\` first, then lock again`,
    );
  }
  const lock = mergeLocks(old?.lock, result.lock);
  // A lock is meant to be committed: a secret a recipe put in a URL (a token in a query) is masked, never written.
  const text = redact(formatLock(lock));
  const changed = text !== old?.text;
  if (changed) await writeVerified(file, text);
  const steps = result.recipes.reduce((n, r) => n + (lock.recipes[r]?.length ?? 0), 0);
  if (o.json) {
    writeJson(o, 'lock', { status: 'ok', file, recipes: result.recipes, changed, lock });
    return ExitCode.ok;
  }
  o.out(
    `${changed ? 'Locked' : 'Unchanged:'} ${result.recipes.join(', ')} (${steps} step${steps === 1 ? '' : 's'} recorded) in ${tilde(o, file)}`,
  );
  return ExitCode.ok;
}
