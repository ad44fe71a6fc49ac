import { UsageError } from '../util/errors.js';

/** One named group of doctor checks, selectable with `setup doctor --check NAME`. */
export interface CheckDef {
  name: string;
  description: string;
  /** Asks hosts over the network: `--offline` marks its lines skipped. */
  network: boolean;
}

/** Every check doctor runs, in the order it shows them (`setup doctor --list-checks`). */
export const CHECKS: readonly CheckDef[] = [
  {
    name: 'config',
    description: 'whether the user config (config.yaml) reads: a bad one is reported, not fatal',
    network: false,
  },
  { name: 'env-file', description: "whether the user's shell loads envkit's env file (env.sh)", network: false },
  { name: 'mirror-hosts', description: 'whether each host of the mirror profile answers', network: true },
  {
    name: 'bundle',
    description: 'with a bundle profile (--mirror DIR/profile.yaml): whether the folder holds what the recipes fetch',
    network: false,
  },
  { name: 'steps', description: 'whether every step of each recipe is done', network: false },
  { name: 'verify', description: "each recipe's verify: items", network: false },
  { name: 'drift', description: 'with a lock file: what differs from what it records', network: false },
];

/** A check's name. */
export type CheckName = 'config' | 'env-file' | 'mirror-hosts' | 'bundle' | 'steps' | 'verify' | 'drift';

/** `*` any run of characters, `?` one; the rest literal. */
function globRegex(glob: string): RegExp {
  const body = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * The checks `--check` patterns select (names or globs, `*` and `?`); none given: all. A pattern that
 * matches no check is a usage error that lists the names.
 */
export function selectChecks(patterns: readonly string[]): Set<CheckName> {
  if (!patterns.length) return new Set(CHECKS.map((c) => c.name as CheckName));
  const chosen = new Set<CheckName>();
  for (const p of patterns) {
    const re = globRegex(p);
    const hits = CHECKS.filter((c) => re.test(c.name));
    if (!hits.length)
      throw new UsageError(
        `--check ${p}: no doctor check is named so (the checks: ${CHECKS.map((c) => c.name).join(', ')})`,
        '`setup doctor --list-checks` lists them with what each one does',
      );
    for (const c of hits) chosen.add(c.name as CheckName);
  }
  return chosen;
}
