import { rewriteUrl } from '../../lang/mirror.js';
import { unreachable, unreachableLine } from '../../util/reach.js';
import type { Profile } from '../../lang/schema.js';
import type { PythonSpec } from '../python.js';
import type { OwnIndexes } from './own-index.js';

/** A pip step with templates rendered and paths made absolute. */
export interface PipConfig {
  packages: string[];
  python?: PythonSpec;
  venv?: string;
  indexUrl?: string;
  extraIndexUrls?: string[];
  trustedHosts?: string[];
  upgrade: boolean;
  pre: boolean;
  noDeps: boolean;
  args: string[];
  /** Modules that must import once the requirements are met. */
  imports: string[];
  /** `requirements:` (and `constraints:`) files, absolute: `-r FILE` / `-c FILE` to pip. */
  requirementFiles?: { path: string; constraint: boolean }[];
  /** A digest of those files' contents and includes when resolved: a changed file is a changed input. */
  requirementsDigest?: string;
  /** For each package spec, the recipe variable it takes its version from (for `--set` hints), if any. */
  pinVars: (string | undefined)[];
}

const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter(Boolean);

/** pip's connection retries and socket timeout unless the profile says otherwise: an unreachable index fails in seconds. */
export const PIP_RETRIES = 2;
export const PIP_TIMEOUT_S = 15;

/** Everything that says where pip looks: the step's keys joined with the mirror profile's, URLs after the profile's rewrites. */
export interface IndexOptions {
  indexUrl?: string;
  extra: string[];
  trusted: string[];
  findLinks: string[];
  constraint?: string;
  retries: number;
  timeout: number;
}

/**
 * The index options of a step. `index-url`: the step's, else the profile's. `extra-index-url` and
 * `trusted-host`: the profile's and the step's joined (the step adds to the mirror, it does not replace it;
 * `[]` in the step means none of the profile's). Every URL goes through the profile's `urls.rewrite`.
 */
export function indexOptions(c: PipConfig, profile: Profile): IndexOptions {
  const pip = profile.pip ?? {};
  const rw = (u: string): string => rewriteUrl(profile, u);
  const indexUrl = c.indexUrl ? rw(c.indexUrl) : pip['index-url'];
  const join = (mine: string[] | undefined, profiles: string | undefined): string[] => [
    ...new Set(mine?.length === 0 ? [] : [...words(profiles), ...(mine ?? [])]),
  ];
  return {
    indexUrl,
    extra: join(c.extraIndexUrls?.map(rw), pip['extra-index-url']).filter((u) => u !== indexUrl),
    trusted: join(c.trustedHosts, pip['trusted-host']),
    findLinks: words(pip['find-links']),
    constraint: pip.constraint,
    retries: pip.retries ?? PIP_RETRIES,
    timeout: pip.timeout ?? PIP_TIMEOUT_S,
  };
}

/** The options every pip command of a step shares (install, the plan's dry run, `index versions`). */
export function sourceArgs(o: IndexOptions): string[] {
  return [
    '--disable-pip-version-check',
    '--no-input',
    '--retries',
    String(o.retries),
    '--timeout',
    String(o.timeout),
    ...(o.indexUrl ? ['--index-url', o.indexUrl] : []),
    ...o.extra.flatMap((u) => ['--extra-index-url', u]),
    ...o.trusted.flatMap((h) => ['--trusted-host', h]),
    ...o.findLinks.flatMap((f) => ['--find-links', f]),
  ];
}

/** `<python> -m pip install …`: the whole argv (never a shell string). */
export function installArgv(c: PipConfig, python: string, profile: Profile, extra: string[] = []): string[] {
  const o = indexOptions(c, profile);
  return [
    python,
    '-m',
    'pip',
    'install',
    ...sourceArgs(o),
    ...(o.constraint ? ['--constraint', o.constraint] : []),
    ...(c.upgrade ? ['--upgrade'] : []),
    ...(c.pre ? ['--pre'] : []),
    ...(c.noDeps ? ['--no-deps'] : []),
    ...extra,
    ...c.args,
    ...(c.requirementFiles ?? []).flatMap((f) => [f.constraint ? '-c' : '-r', f.path]),
    ...c.packages,
  ];
}

/**
 * The indexes a pip command of this step asks: those setup passes (`--index-url`, `--extra-index-url`),
 * and those pip reads from its own config (`own`, `pip config list`) — its `index-url` only where setup
 * passes none. pip's built-in https://pypi.org/simple is not listed: where nothing names an index, pip's
 * find-links may be all a box has.
 */
export function askedIndexes(o: IndexOptions, own?: OwnIndexes): string[] {
  const own_ = own ? [...(o.indexUrl || !own.indexUrl ? [] : [own.indexUrl]), ...own.extra] : [];
  return [...new Set([...(o.indexUrl ? [o.indexUrl] : []), ...o.extra, ...own_])];
}

/**
 * The first index the step's pip would ask that does not answer (one probe per host and run,
 * util/reach.ts), as the line the step fails with; undefined when all answer. `own`: what pip's own config
 * says (own-index.ts); `--no-index` in `args` means none is asked.
 */
export async function deadIndex(
  c: PipConfig,
  env: { profile: Profile; processEnv: NodeJS.ProcessEnv },
  own?: () => Promise<OwnIndexes>,
): Promise<string | undefined> {
  if (c.args.includes('--no-index')) return undefined;
  const o = indexOptions(c, env.profile);
  // Setup's own indexes first: one that does not answer fails the step without asking pip anything.
  const probe = async (urls: string[]): Promise<string | undefined> => {
    for (const url of urls) {
      const why = await unreachable(url, { timeoutMs: o.timeout * 1000, env: env.processEnv });
      if (why) return unreachableLine('index', url, why);
    }
    return undefined;
  };
  const mine = askedIndexes(o);
  return (
    (await probe(mine)) ??
    (own ? await probe(askedIndexes(o, await own()).filter((u) => !mine.includes(u))) : undefined)
  );
}
