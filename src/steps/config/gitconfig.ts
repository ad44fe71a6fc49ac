import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Runner } from '../../util/process.js';
import { argvHoldsSecret } from '../../util/redact.js';
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

/** A value in gitconfig's double-quoted form (`\\`, `\"`, `\n`, `\t` escaped): what git reads back as it. */
export function quoteGitValue(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

/**
 * Sets every key with git (lists: all values replaced). A secret value never goes into git's argv (which
 * every user can read, and which the runner refuses): git writes a random placeholder, which is then
 * replaced in the file by the value, quoted as git would. So `file` must be a private copy (the caller
 * moves it into place atomically).
 */
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
  const secrets = new Map<string, string>();
  const arg = (v: ConfigValue): string => {
    const s = String(v);
    if (!argvHoldsSecret([s])) return s;
    const token = `envkit-secret-${randomBytes(12).toString('hex')}`;
    secrets.set(token, s);
    return token;
  };
  const run = async (args: string[], okCodes = [0]): Promise<void> => {
    const r = await runner.run({ argv: [git, 'config', '--file', file, ...args], timeoutMs: 15_000 });
    if (!okCodes.includes(r.exitCode ?? -1))
      throw new Error(`git config ${args.join(' ')}: ${r.stderr.trim() || `exited ${r.exitCode}`}`);
  };
  for (const [key, value] of Object.entries(want)) {
    if (value === null) await run(['--unset-all', key], [0, 5]);
    else if (Array.isArray(value)) {
      await run(['--unset-all', key], [0, 5]);
      for (const v of value) await run(['--add', key, arg(v)]);
    } else await run(['--replace-all', key, arg(value)]);
  }
  if (!secrets.size) return;
  let text = await fs.readFile(file, 'latin1'); // one char per byte: every other byte written back as it was
  for (const [token, value] of secrets)
    text = text.split(token).join(Buffer.from(quoteGitValue(value), 'utf8').toString('latin1'));
  await fs.writeFile(file, text, 'latin1');
}
