import path from 'node:path';
import { homedir } from 'node:os';
import { UsageError } from '../util/errors.js';
import { homeAbsolute, LOCK_FILE } from '../plan/lock-file.js';
import type { LockSource } from '../plan/locked.js';
import { readLock } from '../plan/read-lock.js';
import { openSession, type Session, type SessionOptions } from '../plan/session.js';
import { splitTags, type Selection } from '../plan/select.js';
import type { GlobalOpts } from './output.js';

/** Opens the session from the global options. */
export function sessionFrom(
  opts: GlobalOpts,
  load?: readonly string[],
  more: Pick<SessionOptions, 'trustNotes' | 'reportBadConfig'> = {},
): Promise<Session> {
  return openSession({
    recipes: opts.recipes,
    recipeFiles: opts.recipeFiles,
    mirror: opts.mirror,
    set: opts.set,
    prefix: opts.prefix,
    load,
    ...more,
  });
}

/**
 * The lock `--locked`/`--lock FILE` name (default ./envkit.lock), read. `required` (run and plan --locked):
 * a missing file is a usage error; otherwise (doctor) undefined. A file that is not a lock is always one.
 */
export async function lockFrom(file: string | undefined, required: boolean): Promise<LockSource | undefined> {
  const at = path.resolve(file ?? LOCK_FILE);
  const read = await readLock(at);
  // Written with `~/` for paths under the home folder (homeRelative): used with this one's.
  if (read) return { lock: homeAbsolute(read.lock, homedir()), file: at };
  if (required || file !== undefined)
    throw new UsageError(
      `no lock file at ${at}`,
      'run `setup lock <recipe…>` after a run to write one, or point --lock at it',
    );
  return undefined;
}

/** The selection options of `plan` and `run` as commander parses them. */
export interface SelectionOpts {
  only?: string[];
  skip?: string[];
  tags?: string[];
  skipTags?: string[];
  /** Every `--from` given (more than one is refused). */
  from?: string[];
}

/**
 * The selection options of `plan` and `run`, as a Selection (tags split at commas). An empty value
 * (`--only ''`, `--tags ,`) or a second `--from` is a UsageError (exit 2): it would otherwise select
 * everything, or silently override the first.
 */
export function selectionFrom(opts: SelectionOpts): Selection {
  const lists: [string, string[] | undefined, string][] = [
    ['--only', opts.only, 'a step id (faiss#3), step name or recipe name'],
    ['--skip', opts.skip, 'a step id (faiss#3), step name or recipe name'],
    ['--tags', opts.tags, 'one or more tags, comma-separated'],
    ['--skip-tags', opts.skipTags, 'one or more tags, comma-separated'],
    ['--from', opts.from, 'a step id (faiss#3), step name or recipe name'],
  ];
  for (const [flag, values, what] of lists)
    for (const v of values ?? [])
      if (!(flag.endsWith('tags') ? v.split(',') : [v]).some((w) => w.trim()))
        throw new UsageError(`${flag} ${JSON.stringify(v)}: an empty value selects nothing`, `give ${what}`);
  const from = opts.from ?? [];
  if (from.length > 1)
    throw new UsageError(
      `--from given twice: ${from.map((f) => JSON.stringify(f)).join(' and ')}`,
      'a run starts at one step: give --from once',
    );
  return {
    only: opts.only ?? [],
    skip: opts.skip ?? [],
    tags: splitTags(opts.tags ?? []),
    skipTags: splitTags(opts.skipTags ?? []),
    ...(from.length ? { from: from[0]! } : {}),
  };
}
