import { InputError, type Problem } from '../util/errors.js';
import { MIN_SECRET_LENGTH, secretLines } from '../util/redact.js';
import { scanTemplate, walkStrings } from '../lang/template.js';
import { MiB, readUserFile, UnreadableFile, unreadableProblem } from '../util/user-file.js';
import type { Recipe } from './types.js';
import type { UserConfig } from '../lang/schema.js';
import { expandHome } from '../util/paths.js';
import path from 'node:path';

/** A secrets file's values, with the file and each name's line (to say where a bad value came from). */
export type Secrets = Map<string, string> & { file?: string; lines: Map<string, number> };

/** No secrets file. */
export function noSecrets(): Secrets {
  return Object.assign(new Map<string, string>(), { lines: new Map<string, number>() });
}

/** Reads a secrets file: `NAME=value` lines, `#` comments; values may be quoted. */
export async function loadSecrets(file: string): Promise<Secrets> {
  let text: string;
  try {
    // Never blocking on a FIFO, never reading /dev/zero whole: see readUserFile.
    text = (await readUserFile(file, { maxBytes: MiB, what: 'secrets files' })).toString('utf8');
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e;
    throw new InputError([unreadableProblem(e, 'fix `secrets:` in config.yaml')]);
  }
  const out: Secrets = Object.assign(noSecrets(), { file });
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m)
      throw new InputError([{ severity: 'error', loc: { file, line: i + 1, col: 1 }, message: 'expected NAME=value' }]);
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out.set(m[1]!, v);
    out.lines.set(m[1]!, i + 1);
  });
  return out;
}

/** The secrets file config.yaml's `secrets:` names (`~/` expanded), read; none when it names none. */
export function configuredSecrets(config: UserConfig, home: string): Promise<Secrets> {
  return config.secrets ? loadSecrets(path.resolve(expandHome(config.secrets, home))) : Promise.resolve(noSecrets());
}

/** The secrets a recipe's templates name (`{{ secrets.NAME }}`), in its vars, steps and verify items. */
export function referencedSecrets(recipe: Recipe): Set<string> {
  const out = new Set<string>();
  for (const section of [recipe.vars, recipe.steps.map((s) => [s.spec, s.common]), recipe.verify.map((v) => v.item)]) {
    walkStrings(section, (value) => {
      if (value.includes('secrets.'))
        for (const ref of scanTemplate(value).refs) if (ref.name.startsWith('secrets.')) out.add(ref.name.slice(8));
    });
  }
  return out;
}

/** The secrets any of the recipes name, sorted (what an export must ask the target's environment for). */
export function secretsOf(recipes: readonly Recipe[]): string[] {
  return [...new Set(recipes.flatMap((r) => [...referencedSecrets(r)]))].sort();
}

/**
 * One located error per secret the recipe names whose value (the environment first, then the secrets
 * file, as resolving reads them) is shorter than MIN_SECRET_LENGTH: masking "ab" would garble every
 * output, and not masking it would show it. Unset secrets are not this check's business.
 */
export function shortSecretProblems(
  recipe: Recipe,
  env: Record<string, string | undefined>,
  secrets: Secrets,
): Problem[] {
  return [...referencedSecrets(recipe)].flatMap((name): Problem[] => {
    const fromEnv = env[name] !== undefined;
    const v = fromEnv ? env[name]! : secrets.get(name);
    if (v === undefined) return [];
    const shortLine = /[\r\n]/.test(v) ? secretLines(v).find((l) => l.length < MIN_SECRET_LENGTH) : undefined;
    if (v.length >= MIN_SECRET_LENGTH && shortLine === undefined) return [];
    const line = secrets.lines.get(name);
    const where = fromEnv
      ? `the environment variable ${name}`
      : `the secrets file ${secrets.file ?? ''}${line ? `:${line}` : ''}`;
    return [
      {
        severity: 'error',
        loc: recipe.source.locIn([], `secrets.${name}`),
        message:
          v.length < MIN_SECRET_LENGTH
            ? `secret ${name} (from ${where}) is ${v.length} character${v.length === 1 ? '' : 's'} long: secrets must have at least ${MIN_SECRET_LENGTH}, so that they can be masked in every output (recipe ${recipe.name} uses it)`
            : `secret ${name} (from ${where}) has a line of ${shortLine!.length} character${shortLine!.length === 1 ? '' : 's'}: output is shown line by line, so each line of a multi-line secret must have at least ${MIN_SECRET_LENGTH} to be masked (recipe ${recipe.name} uses it)`,
        hint: `${fromEnv ? `export ${name}=<the real secret>` : `put the real secret in that file`}: a value that short cannot be one`,
      },
    ];
  });
}
