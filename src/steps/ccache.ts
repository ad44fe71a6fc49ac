import fs from 'node:fs';
import path from 'node:path';
import * as z from '../util/zod.js';
import { which } from '../util/which.js';
import type { FactValue } from '../facts/registry.js';
import type { Runner } from '../util/process.js';
import type { ApplyEnv } from './types.js';

/** The `ccache:` key of cmake and make steps: on by default wherever ccache is on PATH. */
export const ccacheKey = z
  .boolean()
  .optional()
  .meta({
    description:
      'Compile through ccache when it is on PATH (the `ccache` fact; default true), so a rebuild after a changed define or input reuses what was compiled before. `false`: never (e.g. a build whose compiler ccache does not understand). `CCACHE_DISABLE=1` in the environment turns it off for a whole run (ccache’s own switch: nothing is added then).',
    examples: [false],
  });

/** The config field a kind keeps: absent unless the recipe says `ccache: false` (so adding the key changed no step's inputs). */
export const ccacheConfig = (spec: { ccache?: boolean }): { ccache?: false } =>
  spec.ccache === false ? { ccache: false } : {};

/** The `ccache` fact says it is on PATH. */
const present = (facts: Readonly<Record<string, FactValue>>): boolean =>
  facts['ccache'] !== null && facts['ccache'] !== undefined;

/**
 * Does this step compile through ccache: the recipe allows it, the `ccache` fact says it is on PATH, and
 * the run's environment does not set CCACHE_DISABLE (ccache's own switch, which it reads as true whatever
 * its value: then setup adds nothing either, and says nothing).
 */
export const usesCcache = (
  c: { ccache?: false },
  facts: Readonly<Record<string, FactValue>>,
  env: NodeJS.ProcessEnv,
): boolean => c.ccache !== false && present(facts) && env['CCACHE_DISABLE'] === undefined;

/**
 * A launcher `ccache` left in a build folder would fail or go against the recipe: ccache is no longer on
 * PATH, or the step says `ccache: false`. (With CCACHE_DISABLE, ccache runs the compiler itself: left as is.)
 */
export const ccacheUnwanted = (c: { ccache?: false }, facts: Readonly<Record<string, FactValue>>): boolean =>
  c.ccache === false || !present(facts);

/** Where distributions put ccache's compiler links, besides `<ccache's folder>/../lib/ccache` and `../libexec`. */
const MASQUERADE = [
  '/usr/lib/ccache',
  '/usr/lib64/ccache',
  '/usr/local/opt/ccache/libexec',
  '/opt/homebrew/opt/ccache/libexec',
];

/**
 * The folder of compiler names linked to ccache (Debian's /usr/lib/ccache/{cc,gcc,g++…}, Fedora's
 * /usr/lib64/ccache, Homebrew's libexec): put first on PATH, every `$(CC)` a Makefile runs goes through ccache
 * without the Makefile knowing (no CC=… that would change what it detects). Undefined when there is none.
 */
export function masqueradeDir(pathVar: string | undefined): string | undefined {
  const exe = which('ccache', pathVar);
  if (!exe) return undefined;
  let bin = path.dirname(exe);
  try {
    bin = path.dirname(fs.realpathSync(exe));
  } catch {
    /* a dangling link: which found it, so keep its folder */
  }
  return [path.join(bin, '..', 'lib', 'ccache'), path.join(bin, '..', 'libexec'), ...MASQUERADE].find((d) =>
    ['cc', 'gcc', 'clang'].some((n) => fs.existsSync(path.join(d, n))),
  );
}

/** ccache's hit and miss counters now (`--print-stats`, ccache 4.5 and later), or undefined when it cannot say. */
async function counters(
  runner: Runner,
  env: Record<string, string>,
): Promise<{ hits: number; misses: number } | undefined> {
  const r = await runner.run({ argv: ['ccache', '--print-stats'], env, timeoutMs: 10_000 });
  if (r.exitCode !== 0) return undefined;
  const n = (key: string): number => Number(new RegExp(`^${key}\\t(\\d+)$`, 'm').exec(r.stdout)?.[1] ?? NaN);
  const hits = n('direct_cache_hit') + n('preprocessed_cache_hit');
  const misses = n('cache_miss');
  return Number.isFinite(hits) && Number.isFinite(misses) ? { hits, misses } : undefined;
}

/**
 * Runs a build and says in the run's log how many of its compiles ccache answered (`ccache: 8 of 8
 * compiles from the cache`). The counters are ccache's, for its whole cache folder: a build running beside
 * this one into the same cache counts too.
 */
export async function countingHits(
  env: ApplyEnv,
  stepEnv: Record<string, string>,
  build: () => Promise<void>,
): Promise<void> {
  const before = await counters(env.runner, stepEnv);
  await build();
  const after = before && (await counters(env.runner, stepEnv));
  if (!before || !after) return;
  const hits = after.hits - before.hits;
  const total = hits + after.misses - before.misses;
  if (total > 0) env.log(`ccache: ${hits} of ${total} compile${total === 1 ? '' : 's'} from the cache`);
}
