import { clipValue } from '../util/terminal.js';
import { holdsSecretMarker } from '../util/sh-word.js';
import * as z from '../util/zod.js';
import { ENV_NAME, ENV_NAME_MESSAGE } from '../lang/schema.js';
import { holdsSecret, replacedBySecrets } from '../util/redact.js';
import { readIfExists, safeWrite } from '../util/safe-write.js';
import {
  envFileMissing,
  mergeEnvFile,
  parseEnvFile,
  RC_BEGIN,
  rcBlock,
  serializeEnvFile,
  withRcBlock,
  type EnvFile,
} from './env-file.js';
import { defineKind, type FileChange, type ReadFile, type StepEnv } from './types.js';
import { userShell } from '../util/login-shell.js';
import { canonicalEnvValue, literalEnvValue, literalShellForms } from './env-value.js';
import path from 'node:path';
import fs from 'node:fs';

const name = z.string().regex(ENV_NAME, ENV_NAME_MESSAGE);
const envSchema = z
  .strictObject({
    set: z
      .record(name, z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .meta({
        description:
          'Variables to export. `$NAME` and `${NAME}` refer to other variables, filled in by the shell that loads the env file (`PATH: "$HOME/.local/bin:$PATH"`); `$$` is a literal `$`; any other `$` (`$1`, `$(…)`, `${NAME:-x}`) and every value a template inserts are literal.',
        examples: [{ CMAKE_GENERATOR: 'Ninja', GOPROXY: '{{ mirror.go.proxy }}' }],
      }),
    path: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .meta({
        description: 'Folders to put in front of PATH.',
        examples: [['{{ prefix }}/bin', '{{ prefix }}/cmake/bin']],
      }),
    prepend: z
      .record(name, z.array(z.string().min(1)).min(1))
      .optional()
      .meta({
        description: 'Folders to put in front of other path-like variables (LD_LIBRARY_PATH, PKG_CONFIG_PATH…).',
        examples: [{ LD_LIBRARY_PATH: ['{{ prefix }}/lib'], PKG_CONFIG_PATH: ['{{ prefix }}/lib/pkgconfig'] }],
      }),
  })
  .refine((v) => v.set || v.path || v.prepend, { message: 'env needs at least one of set, path, prepend' });

/**
 * The user's shell rc files that source the env file: ~/.bashrc always, ~/.zshrc when the user has one or
 * their shell ($SHELL, else the login shell) is zsh — a zsh user without one gets it created.
 */
export function rcFiles(env: StepEnv): string[] {
  const home = env.paths.home;
  const files = [path.join(home, '.bashrc')];
  const zsh = path.join(home, '.zshrc');
  if (fs.existsSync(zsh) || path.basename(userShell(env.processEnv) ?? '') === 'zsh') files.push(zsh);
  return files;
}

/**
 * The files an env step changes, as they are and as they will be: the env file with the step's values merged
 * in, and each rc file that lacks the envkit block; what apply writes and `--diff` shows.
 */
async function envChanges(want: EnvFile, env: StepEnv, read: ReadFile): Promise<FileChange[]> {
  const out: FileChange[] = [];
  const current = await read(env.paths.envFile);
  const have = parseEnvFile(current);
  const next = serializeEnvFile(mergeEnvFile(have, want));
  // The values secrets replace are secrets too (a rotated token): the diff masks them.
  const replaced = replacedBySecrets([...want.set].map(([k, v]) => [have.set.get(k), v]));
  if (next !== current) out.push({ path: env.paths.envFile, before: current, after: next, replaced });
  for (const rc of rcFiles(env)) {
    const text = await read(rc);
    const updated = withRcBlock(text, env.paths.envFile);
    if (updated !== text) out.push({ path: rc, before: text, after: updated });
  }
  return out;
}

/** `env`: exports and PATH entries in one managed env file, sourced from the shell rc files by one marked block. */
export const envKind = defineKind<z.infer<typeof envSchema>, EnvFile>({
  kind: 'env',
  description:
    'Adds exports and PATH entries to the one managed env file (…/envkit/env.sh), sourced from ~/.bashrc (and ~/.zshrc, which a zsh user gets created) through one marked block. `$NAME` in a value is filled in by the shell.',
  satisfiedWhen: 'the env file already holds every value and folder, and each rc file has the envkit block.',
  schema: envSchema,
  lint: (spec) =>
    Object.entries(spec.set ?? {}).flatMap(([k, v]) =>
      literalShellForms(String(v)).map((form) => ({
        path: ['set', k],
        severity: 'warning' as const,
        needle: form,
        message: `${k}: ${form} is written literally: only $NAME and \${NAME} are filled in by the shell`,
        hint: 'write the value out, or $$ for a literal $ (which also silences this warning)',
      })),
    ),
  resolve: (spec, t) => {
    const prepend = new Map<string, string[]>();
    if (spec.path)
      prepend.set(
        'PATH',
        spec.path.map((p) => t.path(p)),
      );
    for (const [k, dirs] of Object.entries(spec.prepend ?? {}))
      prepend.set(k, [...(prepend.get(k) ?? []), ...dirs.map((p) => t.path(p))]);
    // A `$` the recipe writes may refer to a variable; one a template inserts (a secret, a path) never does.
    const value = (v: string | number | boolean): string => canonicalEnvValue(t.escaped(String(v), literalEnvValue));
    return { set: new Map(Object.entries(spec.set ?? {}).map(([k, v]) => [k, value(v)])), prepend };
  },
  describe: (step, env) => {
    const parts = [
      ...[...step.config.set].map(([k, v]) => `${k}=${clipValue(v)}`),
      ...[...step.config.prepend].flatMap(([k, d]) => d.map((x) => `${x} on ${k}`)),
    ];
    return { summary: `env ${parts.join(', ')}`, files: [env.paths.envFile, ...rcFiles(env)] };
  },
  check: async (step, env) => {
    const missing = envFileMissing(parseEnvFile(await readIfExists(env.paths.envFile)), step.config);
    for (const rc of rcFiles(env)) {
      if (!(await readIfExists(rc))?.includes(RC_BEGIN))
        missing.push(`${rc.replace(env.paths.home, '~')} does not load the env file`);
    }
    return missing.length
      ? { state: 'unsatisfied', reason: missing.join('; ') }
      : { state: 'satisfied', reason: 'env file and shell rc are up to date' };
  },
  shell: (step, ctx) => {
    const file = ctx.env.paths.envFile;
    const before = ctx.shared.get(`file:${file}`);
    const after = serializeEnvFile(mergeEnvFile(parseEnvFile(before), step.config));
    ctx.shared.set(`file:${file}`, after);
    // The entries this step needs, each as the env file writes it (a line, or lines for a multi-line value).
    const entries = serializeEnvFile(step.config)
      .slice(serializeEnvFile(parseEnvFile('')).length)
      .split(/\n(?=export |case )/);
    const need = entries.map((e) => e.replace(/\n$/, '')).filter(Boolean);
    const f = ctx.q(file);
    const block = ctx.q(rcBlock(file));
    // ~/.bashrc always, ~/.zshrc when the user has one or their shell is zsh (rcFiles).
    const zshUser = `[ "$(basename -- "\${SHELL:-$(getent passwd "$(id -un)" | cut -d: -f7)}")" = zsh ]`;
    const rcs = `"$HOME/.bashrc" "$HOME/.zshrc"; do [ "$rc" != "$HOME/.zshrc" ] || [ -e "$rc" ] || ${zshUser} || continue;`;
    const mode = holdsSecretMarker(after) ? '0600' : "''";
    return {
      check: [
        ...need.map((e) => `_has_entry ${f} ${ctx.q(e)}`),
        `for rc in ${rcs} grep -qF ${ctx.q(RC_BEGIN)} "$rc" 2>/dev/null || exit 1; done`,
      ].join(' && \\\n  '),
      apply: [
        `if [ ! -e ${f} ]${before === undefined ? '' : ` || _same ${f} ${ctx.q(before)}`}; then`,
        `  printf '%s' ${ctx.q(after)} | _write ${f} ${mode}`,
        'else',
        ...need.map((e) => `  _has_entry ${f} ${ctx.q(e)} || printf '%s\\n' ${ctx.q(e)} >>${f}`),
        'fi',
        `for rc in ${rcs} grep -qF ${ctx.q(RC_BEGIN)} "$rc" 2>/dev/null || _append_block "$rc" ${block}; done`,
      ].join('\n'),
      limits: [
        'adds missing lines to an env file other than the one earlier steps wrote, where setup rewrites it in order; leaves an existing envkit block in an rc file as it is',
      ],
    };
  },
  render: (step, env, read) => envChanges(step.config, env, read),
  apply: async (step, env) => {
    for (const ch of await envChanges(step.config, env, readIfExists)) {
      if (ch.path === env.paths.envFile) {
        // Private when it holds a secret; a file that is 0600 already stays so (safeWrite keeps the mode).
        await safeWrite(ch.path, ch.after, {
          backupDir: env.paths.backups,
          mode: holdsSecret(ch.after) ? 0o600 : undefined,
        });
        env.log(`updated ${ch.path}`);
      } else {
        const { backup } = await safeWrite(ch.path, ch.after, { backupDir: env.paths.backups });
        env.log(`added the envkit block to ${ch.path}${backup ? ` (original kept at ${backup})` : ''}`);
      }
    }
  },
  examples: [
    `- name: CMake on PATH\n  env:\n    path: ["{{ prefix }}/cmake/bin"]\n    set: { CMAKE_GENERATOR: Ninja }`,
  ],
});
