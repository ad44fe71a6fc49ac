import path from 'node:path';
import { EnvkitError, ExitCode, UsageError } from '../../util/errors.js';
import { redact } from '../../util/redact.js';
import { writeVerified } from '../../util/verified-write.js';
import { collectLock, mergeLocks, type LockResult } from '../../plan/lock.js';
import { formatRequirements, pipTargets } from '../../plan/requirements.js';
import { expandHome } from '../../util/paths.js';
import { homedir } from 'node:os';
import { acquireRunLock } from '../../run/lock.js';
import { formatLock, homeRelative, LOCK_FILE } from '../../plan/lock-file.js';
import { readLock } from '../../plan/read-lock.js';
import { selectRecipes } from '../../plan/session.js';
import { sessionFrom } from '../common.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

/** `setup lock`'s own options. */
type LockOpts = GlobalOpts & {
  lock?: string;
  resolve?: boolean;
  format?: 'lock' | 'requirements';
  venv?: string;
  hashes?: boolean;
  output?: string;
};

/**
 * `--format requirements`: the pins of the one venv (or interpreter) the recipes' pip steps install into —
 * `--venv` picks one when there are several — printed, or written to `-o FILE`. Writes no lock.
 */
async function printRequirements(
  o: ReturnType<typeof makeOutput>,
  result: LockResult,
  opts: LockOpts,
): Promise<number> {
  const targets = pipTargets(result.lock, result.recipes);
  const listed = (): string => targets.map((t) => `${tilde(o, t.path)} (${t.steps.join(', ')})`).join('; ');
  const recipes = result.recipes.join(', ');
  if (!targets.length)
    throw new UsageError(`no pip step of ${recipes} installs anything here`, 'name a recipe with a pip step');
  let target = targets[0]!;
  if (opts.venv) {
    const want = path.resolve(expandHome(opts.venv, homedir()));
    const match = targets.find((t) => t.path === want);
    if (!match)
      throw new UsageError(`no pip step of ${recipes} installs into ${tilde(o, want)}`, `pick one of: ${listed()}`);
    target = match;
  } else if (targets.length > 1)
    throw new UsageError(
      `the pip steps of ${recipes} install into ${targets.length} places: say which with --venv PATH`,
      `one of: ${listed()}`,
    );
  // Written to a file people commit: a secret a recipe put in a path is masked, as in the lock.
  const text = redact(formatRequirements(target, { hashes: !!opts.hashes }));
  const out = opts.output ? path.resolve(opts.output) : undefined;
  if (out) await writeVerified(out, text, { denied: 'write it to a folder you may write: -o FILE' });
  if (o.json) {
    writeJson(o, 'lock', {
      status: 'ok',
      format: 'requirements',
      [target.kind]: target.path,
      steps: target.steps,
      resolved: target.resolved,
      ...(out ? { file: out } : {}),
      text,
    });
    return ExitCode.ok;
  }
  if (out) o.out(`Wrote the pins of ${tilde(o, target.path)} to ${tilde(o, out)}`);
  else o.out(text);
  return ExitCode.ok;
}

/**
 * `setup lock [recipe…]`: records what the recipes (and what they require) have installed into the lock
 * file (default ./envkit.lock). Recipes already in the file and not named are kept; with no names, the
 * recipes already in it are locked again. Refuses (exit 1, nothing written) while a step is not satisfied.
 */
export default async function lockCommand(names: string[], opts: LockOpts): Promise<number> {
  const o = makeOutput(opts);
  const requirements = opts.format === 'requirements';
  if (!requirements)
    for (const [flag, set] of [
      ['--venv', opts.venv],
      ['--hashes', opts.hashes],
      ['--output', opts.output],
    ] as const)
      if (set)
        throw new UsageError(
          `${flag} goes with --format requirements`,
          'setup lock --format requirements --venv PATH [--hashes] [-o FILE]',
        );
  if (requirements && opts.lock)
    throw new UsageError(
      '--lock goes with the lock format: --format requirements writes no lock',
      'print it, or write it with -o FILE',
    );
  const file = path.resolve(opts.lock ?? LOCK_FILE);
  const old = requirements && names.length ? undefined : await readLock(file);
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
    result = await withSpinner(
      o,
      opts.resolve ? 'asking the sources what would be installed…' : 'reading what is installed…',
      collectLock(session, recipes, { resolve: opts.resolve, ...(requirements ? { kinds: ['pip'] } : {}) }),
    );
  } finally {
    await release();
  }
  if (result.notReady.length && opts.resolve) {
    if (o.json) {
      writeJson(o, 'lock', { status: 'unresolved', file, recipes: result.recipes, notReady: result.notReady });
      return ExitCode.failed;
    }
    for (const s of result.notReady) o.err(`  ${s.id} ${s.kind}${s.name ? ` (${s.name})` : ''}: ${tilde(o, s.reason)}`);
    throw new EnvkitError(
      `nothing written: ${result.notReady.length} step${result.notReady.length === 1 ? '' : 's'} could not be resolved`,
      ExitCode.failed,
      'check the mirror profile (--mirror) and that its sources answer from here',
    );
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
  if (requirements) return printRequirements(o, result, opts);
  const lock = mergeLocks(old?.lock, homeRelative(result.lock, homedir()));
  // A lock is meant to be committed: a secret a recipe put in a URL (a token in a query) is masked, never written.
  const text = redact(formatLock(lock));
  const changed = text !== old?.text;
  if (changed)
    await writeVerified(file, text, { denied: 'run it in a folder you may write, or name another file: --lock FILE' });
  const steps = result.recipes.reduce((n, r) => n + (lock.recipes[r]?.length ?? 0), 0);
  if (o.json) {
    writeJson(o, 'lock', { status: 'ok', file, recipes: result.recipes, changed, lock });
    return ExitCode.ok;
  }
  o.out(
    `${changed ? (opts.resolve ? 'Locked what would be installed for' : 'Locked') : 'Unchanged:'} ${result.recipes.join(', ')} (${steps} step${steps === 1 ? '' : 's'} recorded) in ${tilde(o, file)}`,
  );
  return ExitCode.ok;
}
