import fs from 'node:fs';
import path from 'node:path';
import * as z from '../util/zod.js';
import { which } from '../util/which.js';
import type { FactValue } from '../facts/registry.js';

/** The `ccache:` key of cmake and make steps: on by default wherever ccache is on PATH. */
export const ccacheKey = z
  .boolean()
  .optional()
  .meta({
    description:
      'Compile through ccache when it is on PATH (the `ccache` fact; default true), so a rebuild after a changed define or input reuses what was compiled before. `false`: never (e.g. a build whose compiler ccache does not understand). `CCACHE_DISABLE=1` in the environment turns it off for a whole run.',
    examples: [false],
  });

/** The config field a kind keeps: absent unless the recipe says `ccache: false` (so adding the key changed no step's inputs). */
export const ccacheConfig = (spec: { ccache?: boolean }): { ccache?: false } =>
  spec.ccache === false ? { ccache: false } : {};

/** Does this step compile through ccache: the recipe allows it and the `ccache` fact says it is on PATH. */
export const usesCcache = (c: { ccache?: false }, facts: Readonly<Record<string, FactValue>>): boolean =>
  c.ccache !== false && facts['ccache'] !== null && facts['ccache'] !== undefined;

/** Where distributions put ccache's compiler links, besides `<ccache's folder>/../lib/ccache` and `../libexec`. */
const MASQUERADE = ['/usr/lib/ccache', '/usr/lib64/ccache', '/usr/local/opt/ccache/libexec', '/opt/homebrew/opt/ccache/libexec'];

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
