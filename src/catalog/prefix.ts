import path from 'node:path';
import { InputError, UsageError, type Problem } from '../util/errors.js';
import { expandHome } from '../util/paths.js';
import type { UserConfig } from '../lang/schema.js';
import type { SourceDoc } from '../lang/source.js';

const PREFIX_HINT = 'give an absolute folder, or one under ~/';

/**
 * Why an install prefix is refused: empty or relative, it would install into whatever folder setup was
 * started in (`--prefix ''` is the current folder), or a different one each time.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.trim() === '') return 'the install prefix is empty, which would install into the current folder';
  if (!path.isAbsolute(prefix) && prefix !== '~' && !prefix.startsWith('~/'))
    return 'the install prefix is a relative path, which would install under the current folder';
  return undefined;
}

/** Refuses a `--prefix` that prefixProblem rejects: a usage error, whichever command it was given to. */
export function checkPrefixFlag(prefix: string | undefined): void {
  const bad = prefix === undefined ? undefined : prefixProblem(prefix);
  if (bad) throw new UsageError(`--prefix ${JSON.stringify(prefix)}: ${bad}`, PREFIX_HINT);
}

/** config.yaml's `prefix:` when prefixProblem rejects it, located at its key. */
export function configPrefixProblems(config: UserConfig, source: SourceDoc | undefined): Problem[] {
  const bad = config.prefix === undefined ? undefined : prefixProblem(config.prefix);
  return bad
    ? [
        {
          severity: 'error',
          loc: source?.locOf(['prefix']),
          message: `prefix ${JSON.stringify(config.prefix)}: ${bad}`,
          hint: PREFIX_HINT,
        },
      ]
    : [];
}

/**
 * The install prefix, absolute: `--prefix`, else config.yaml's `prefix:`, else /usr/local for root and
 * ~/.local for anyone else. A bad flag is a usage error; a bad config.yaml value (when no flag overrides
 * it) is located in that file.
 */
export function installPrefix(
  flag: string | undefined,
  config: UserConfig,
  source: SourceDoc | undefined,
  home: string,
): string {
  const isRoot = process.getuid?.() === 0;
  checkPrefixFlag(flag);
  const badConfig = flag === undefined ? configPrefixProblems(config, source) : [];
  if (badConfig.length) throw new InputError(badConfig);
  return path.resolve(expandHome(flag ?? config.prefix ?? (isRoot ? '/usr/local' : '~/.local'), home));
}
