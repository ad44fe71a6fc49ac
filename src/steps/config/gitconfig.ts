import type { Runner } from '../../util/process.js';
import { which } from '../../util/which.js';
import { valueDiffers } from '../../util/redact.js';
import { assertWritable } from './keys.js';
import { sameValue, type ConfigValue } from './types.js';

/**
 * gitconfig files are edited by git itself (`git config --file`): its own quoting, subsections
 * (`url.<base>.insteadOf`), and lock-file writes; comments and other keys stay.
 */

/** `section.sub.section.key` → git's canonical form: section and key lowercased, subsection kept. */
export function canonicalKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first === -1 || first === last) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}.${key.slice(first + 1, last)}.${key.slice(last + 1).toLowerCase()}`;
}

/** Parses `git config --list --null` output into key → values. */
export function parseGitConfigList(out: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const nl = rec.indexOf('\n');
    const key = nl === -1 ? rec : rec.slice(0, nl);
    const value = nl === -1 ? 'true' : rec.slice(nl + 1);
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return map;
}

function gitExe(env: NodeJS.ProcessEnv): string {
  const git = which('git', env.PATH);
  if (!git) throw new Error('git is needed to edit gitconfig files and is not on PATH');
  return git;
}

/** The values of every wanted key that differ from the file, as phrases. */
export async function gitconfigMissing(
  runner: Runner,
  env: NodeJS.ProcessEnv,
  file: string,
  want: Record<string, ConfigValue | null>,
): Promise<string[]> {
  const r = await runner.run({ argv: [gitExe(env), 'config', '--file', file, '--list', '--null'], timeoutMs: 15_000 });
  if (r.exitCode !== 0 && !/No such file|unable to read/i.test(r.stderr))
    throw new Error(r.stderr.trim() || `git config exited ${r.exitCode}`);
  const have = parseGitConfigList(r.exitCode === 0 ? r.stdout : '');
  const missing: string[] = [];
  for (const [key, value] of Object.entries(want)) {
    const vals = have.get(canonicalKey(key));
    const cur: ConfigValue | undefined =
      vals === undefined ? undefined : Array.isArray(value) ? vals : vals[vals.length - 1];
    if (!sameValue(cur, value))
      missing.push(
        value === null
          ? `${key} is set, wants it removed`
          : cur === undefined
            ? `${key} is not set`
            : valueDiffers(key, cur, value),
      );
  }
  return missing;
}

/** Sets every key with git (lists: all values replaced). */
export async function gitconfigSet(
  runner: Runner,
  env: NodeJS.ProcessEnv,
  file: string,
  want: Record<string, ConfigValue | null>,
): Promise<void> {
  assertWritable(
    'gitconfig',
    Object.entries(want).map(([k, value]) => ({ path: k.split('.'), value })),
  );
  const git = gitExe(env);
  const run = async (args: string[], okCodes = [0]): Promise<void> => {
    const r = await runner.run({ argv: [git, 'config', '--file', file, ...args], timeoutMs: 15_000 });
    if (!okCodes.includes(r.exitCode ?? -1))
      throw new Error(`git config ${args.join(' ')}: ${r.stderr.trim() || `exited ${r.exitCode}`}`);
  };
  for (const [key, value] of Object.entries(want)) {
    if (value === null) await run(['--unset-all', key], [0, 5]);
    else if (Array.isArray(value)) {
      await run(['--unset-all', key], [0, 5]);
      for (const v of value) await run(['--add', key, String(v)]);
    } else await run(['--replace-all', key, String(value)]);
  }
}
