import { clipValue } from '../util/terminal.js';
import { holdsSecretMarker, jsonEscapedSecrets, jsonSecretMarker, splitAtSecretMarkers } from '../util/sh-word.js';
import { replacedBySecrets, valueDiffers } from '../util/redact.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from '../util/zod.js';
import { argvHoldsSecret } from '../util/redact.js';
import { readBytesIfExists, safeWrite } from '../util/safe-write.js';
import { decodeConfig, encodeConfig, entriesIn, pathIn, valueOut } from './config/encoding.js';
import { gitconfigMissing, gitconfigSet } from './config/gitconfig.js';
import { ini } from './config/ini.js';
import { json } from './config/json.js';
import { sameValue, type ConfigEntry, type ConfigFormat, type ConfigValue } from './config/types.js';
import { yamlFormat } from './config/yaml.js';
import { dict } from '../util/keys.js';
import { keyProblem, valueProblem } from './config/keys.js';
import { JsonSyntaxError } from './config/json-cst.js';
import { defineKind, StepFailure, type FileChange, type StepEnv } from './types.js';

const FORMATS = ['ini', 'yaml', 'json', 'gitconfig'] as const;
type Format = (typeof FORMATS)[number];
const TEXT_FORMATS: Record<Exclude<Format, 'gitconfig'>, ConfigFormat> = { ini, yaml: yamlFormat, json };

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const value: z.ZodType<unknown> = z.lazy(() =>
  z.union([scalar, z.null(), z.array(scalar), z.record(z.string(), value)]),
);

const configSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .meta({
      description: 'The file to merge into (~/ allowed); created when missing.',
      examples: ['~/.config/pip/pip.conf', '~/.condarc'],
    }),
  format: z
    .enum(FORMATS)
    .optional()
    .meta({
      description: 'ini | yaml | json | gitconfig; default from the file name (.condarc is yaml).',
      examples: ['ini', 'yaml'],
    }),
  set: z.record(z.string().min(1), value).meta({
    description:
      'Keys to set, dotted (`global.index-url`) or as nested maps; lists replace lists; null, or a value that renders empty (an unset mirror value), removes the key. Other keys, sections and comments stay.',
    examples: [
      { 'global.index-url': '{{ mirror.pip.index-url }}', 'global.timeout': 60 },
      { channels: ['defaults'], show_channel_urls: true },
    ],
  }),
});

interface ConfigConfig {
  path: string;
  format: Format;
  /** Flattened keys: dotted name → value (null: remove). */
  set: Record<string, ConfigValue | null>;
}

/** The format a file name implies. */
export function formatFor(file: string): Format | undefined {
  const base = path.basename(file);
  if (/\.(ya?ml)$/.test(base) || base === '.condarc' || base === 'condarc') return 'yaml';
  if (/\.json$/.test(base)) return 'json';
  if (
    base === '.gitconfig' ||
    base === 'gitconfig' ||
    /\.gitconfig$/.test(base) ||
    (path.basename(path.dirname(file)) === 'git' && base === 'config')
  )
    return 'gitconfig';
  if (/\.(ini|conf|cfg)$/.test(base) || base === 'pip.conf' || base === '.pypirc' || base === 'pip.ini') return 'ini';
  return undefined;
}

/** `{ a: { b: 1 }, "c.d": 2 }` → `{ "a.b": 1, "c.d": 2 }` (a null-prototype map: keys are the user's). */
function flatten(v: Record<string, unknown>, prefix = ''): Record<string, ConfigValue | null> {
  const out = dict<ConfigValue | null>();
  for (const [k, x] of Object.entries(v)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (x && typeof x === 'object' && !Array.isArray(x)) Object.assign(out, flatten(x as Record<string, unknown>, key));
    else out[key] = x === '' || x === null ? null : (x as ConfigValue);
  }
  return out;
}

/**
 * Every key and literal value of `set` that cannot be written in `format` (config/keys.ts), located at
 * its key; `literal` says which strings are final (not templates, checked once rendered).
 */
function writeProblems(
  format: Format,
  set: Record<string, unknown>,
  literal: (s: string) => boolean,
): { path: string[]; message: string; hint?: string }[] {
  const out: { path: string[]; message: string; hint?: string }[] = [];
  const walk = (v: Record<string, unknown>, at: string[]): void => {
    for (const [k, x] of Object.entries(v)) {
      const path = [...at, k];
      const keyPath = path.flatMap((p) => p.split('.'));
      const leaf = !x || typeof x !== 'object' || Array.isArray(x);
      // Inner maps are checked for what no key path may hold; the whole path once it reaches a value.
      const kp = leaf ? keyProblem(format, keyPath) : keyProblem(undefined, keyPath);
      if (kp) {
        out.push({ path: ['set', ...path], message: kp, hint: 'config keys are written as they are: rename it' });
        continue;
      }
      if (!leaf) walk(x as Record<string, unknown>, path);
      else {
        const items = (Array.isArray(x) ? x : [x]).filter((i): i is string => typeof i === 'string' && literal(i));
        const vp = valueProblem(format, keyPath.join('.'), items);
        if (vp)
          out.push({
            path: ['set', ...path],
            message: vp,
            hint: 'keep INI values on one line, or use a list for several lines',
          });
      }
    }
  };
  walk(set, []);
  return out;
}

/** A file that cannot be read as its format, said once: `file:line:col: what` and how to fix it. */
function unreadable(file: string, format: Format, e: unknown): StepFailure {
  if (e instanceof JsonSyntaxError)
    return new StepFailure(`${file}:${e.message} (cannot edit it as ${format})`, { hint: e.hint });
  return new StepFailure(`cannot read ${file} as ${format}: ${e instanceof Error ? e.message : String(e)}`, {
    hint: `fix the file, or set the keys by hand`,
  });
}

const entries = (set: Record<string, ConfigValue | null>): ConfigEntry[] =>
  Object.entries(set).map(([k, v]) => ({ path: k.split('.'), value: v }));

/** The file's bytes once the step's keys are merged into `before` (undefined: no file yet): what apply writes. */
async function bytesAfter(c: ConfigConfig, before: Buffer | undefined, env: StepEnv): Promise<Buffer | undefined> {
  if (c.format !== 'gitconfig') {
    try {
      const { text, latin1 } =
        before === undefined ? { text: '', latin1: false } : decodeConfig(before, c.format, c.path);
      return encodeConfig(TEXT_FORMATS[c.format].set(text, entriesIn(entries(c.set), latin1)), latin1);
    } catch (e) {
      throw unreadable(c.path, c.format, e);
    }
  }
  // git edits a private copy (a secret reaches it through the file, never argv: gitconfigSet), which then
  // replaces the file atomically.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'envkit-gitconfig-'));
  try {
    const copy = path.join(dir, 'config');
    if (before !== undefined) await fs.writeFile(copy, before, { mode: 0o600 });
    await gitconfigSet(env.runner, env.processEnv, copy, c.set);
    return await readBytesIfExists(copy); // git writes no file when it only removes absent keys
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The file's text once the step's keys are merged into `text` (undefined: no file yet), for diffs. */
async function configAfter(c: ConfigConfig, text: string | undefined, env: StepEnv): Promise<string> {
  return (await bytesAfter(c, text === undefined ? undefined : Buffer.from(text, 'utf8'), env))?.toString('utf8') ?? '';
}

/**
 * For `setup export sh`: the text of a file once `set` (whose values may hold secret markers) is merged
 * into `text`, with every secret written so that any value reads back exactly: inside a JSON string,
 * escaped as JSON (where the script runs, `_jsq`: the bytes setup writes); a YAML value holding a secret is
 * written double-quoted, escaped the same. ini values are written as they are, as setup writes them.
 */
function scriptText(format: Exclude<Format, 'gitconfig'>, text: string, set: ConfigConfig['set']): string {
  if (format === 'json') return jsonEscapedSecrets(json.set(text, entries(set)));
  if (format === 'ini') return ini.set(text, entries(set));
  // yaml: each string holding a secret is a placeholder the yaml writer leaves plain, then the quoted value.
  const quoted: string[] = [];
  const hold = <V extends ConfigValue | null>(v: V): V => {
    if (Array.isArray(v)) return v.map(hold) as V;
    if (typeof v !== 'string' || !holdsSecretMarker(v)) return v;
    const inside = splitAtSecretMarkers(v)
      .map((p) => (typeof p === 'string' ? JSON.stringify(p).slice(1, -1) : jsonSecretMarker(p.secret)))
      .join('');
    quoted.push(`"${inside}"`);
    return `__envkit_yaml_value_${quoted.length - 1}__` as V;
  };
  return yamlFormat
    .set(
      text,
      entries(set).map((e) => ({ ...e, value: hold(e.value) })),
    )
    .replace(/__envkit_yaml_value_(\d+)__/g, (_, i: string) => quoted[Number(i)]!);
}

/** `config`: merges keys into an ini, yaml, json or gitconfig file, keeping everything else. */
export const configKind = defineKind<z.infer<typeof configSchema>, ConfigConfig>({
  kind: 'config',
  description:
    'Merges keys into a config file (pip.conf, .condarc, a JSON file, a gitconfig): other keys, sections and comments stay; written atomically after a one-time backup.',
  satisfiedWhen: 'every key in `set` already has its value.',
  schema: configSchema,
  lint: (spec) => {
    const format = spec.format ?? formatFor(spec.path.replace(/\{\{[^}]*\}\}/g, 'x'));
    if (!format)
      return [
        {
          path: ['path'],
          message: `cannot tell the format of "${spec.path}" from its name`,
          hint: 'add format: ini | yaml | json | gitconfig',
        },
      ];
    return writeProblems(format, spec.set, (s) => !s.includes('{{'));
  },
  resolve: (spec, t) => {
    const file = t.path(spec.path);
    const format = spec.format ?? formatFor(file);
    if (!format) throw new Error(`cannot tell the format of ${file}: add format: ini | yaml | json | gitconfig`);
    const set = flatten(t.value(spec.set) as Record<string, unknown>);
    const bad = Object.entries(set)
      .map(([k, v]) => keyProblem(format, k.split('.')) ?? valueProblem(format, k, v))
      .find((m) => m !== undefined);
    if (bad) throw new Error(bad);
    return { path: file, format, set };
  },
  describe: (step) => {
    const entries = Object.entries(step.config.set);
    const shown =
      entries.length > 3
        ? `${entries.length} keys (${entries
            .slice(0, 3)
            .map(([k]) => k)
            .join(', ')}, …)`
        : entries
            .map(([k, v]) =>
              v === null ? `${k} (removed)` : `${k}=${clipValue(Array.isArray(v) ? `[${v.join(', ')}]` : String(v))}`,
            )
            .join(', ');
    return { summary: `set ${shown} in ${step.config.path}`, files: [step.config.path] };
  },
  check: async (step, env) => {
    const c = step.config;
    let missing: string[];
    if (c.format === 'gitconfig') missing = await gitconfigMissing(env.runner, env.processEnv, c.path, c.set);
    else {
      const bytes = await readBytesIfExists(c.path);
      if (bytes === undefined) {
        return Object.values(c.set).every((v) => v === null)
          ? { state: 'satisfied', reason: `${c.path} does not exist (nothing to remove)` }
          : { state: 'unsatisfied', reason: `${c.path} does not exist` };
      }
      const fmt = TEXT_FORMATS[c.format];
      let file: { text: string; latin1: boolean };
      try {
        file = decodeConfig(bytes, c.format, c.path);
      } catch (e) {
        return { state: 'unknown', reason: unreadable(c.path, c.format, e).message };
      }
      missing = [];
      for (const [key, want] of Object.entries(c.set)) {
        let have: ConfigValue | undefined;
        try {
          have = valueOut(fmt.get(file.text, pathIn(key.split('.'), file.latin1)), file.latin1);
        } catch (e) {
          return { state: 'unknown', reason: unreadable(c.path, c.format, e).message };
        }
        if (!sameValue(have, want))
          missing.push(
            want === null
              ? `${key} is set, wants it removed`
              : have === undefined
                ? `${key} is not set`
                : valueDiffers(key, have, want),
          );
      }
    }
    if (!missing.length) return { state: 'satisfied', reason: `${c.path} has every key` };
    // One detail, then a count: a mirror switch can change a dozen keys at once.
    return {
      state: 'unsatisfied',
      reason: missing.length > 2 ? `${missing[0]}; and ${missing.length - 1} more keys differ` : missing.join('; '),
    };
  },
  shell: (step, ctx) => {
    const c = step.config;
    const p = ctx.q(c.path);
    const keys = Object.keys(c.set);
    if (c.format === 'gitconfig') {
      // git edits gitconfig files itself, there as here: the same commands gitconfigSet runs.
      const git = (args: string[]): string => `git config --file ${p} ${args.map(ctx.q).join(' ')}`;
      const check = Object.entries(c.set).map(([k, v]) =>
        v === null
          ? `! ${git(['--get-all', k])} >/dev/null`
          : Array.isArray(v)
            ? `[ "$(${git(['--get-all', k])})" = ${ctx.q(v.map(String).join('\n'))} ]`
            : `[ "$(${git(['--get', k])})" = ${ctx.q(String(v))} ]`,
      );
      const apply = Object.entries(c.set).flatMap(([k, v]) =>
        v === null
          ? [`${git(['--unset-all', k])} || [ $? = 5 ]`]
          : Array.isArray(v)
            ? [`${git(['--unset-all', k])} || [ $? = 5 ]`, ...v.map((x) => git(['--add', k, String(x)]))]
            : [git(['--replace-all', k, String(v)])],
      );
      return { check: check.join(' && \\\n  '), apply: [`mkdir -p "$(dirname ${p})"`, ...apply].join('\n') };
    }
    // A shell cannot merge keys into a file keeping its comments: it writes the file setup would write into
    // a fresh host (after the earlier steps that edit it), and stops on one that holds anything else.
    const before = ctx.shared.get(`file:${c.path}`);
    const after = scriptText(c.format, before ?? '', c.set);
    ctx.shared.set(`file:${c.path}`, after);
    const allRemoved = Object.values(c.set).every((v) => v === null);
    const why = `${c.path} holds other content than setup would write (${keys.join(', ')} in ${c.format}): the script cannot merge keys into it keeping the rest`;
    return {
      check:
        allRemoved && before === undefined
          ? `[ ! -e ${p} ] || _same ${p} ${ctx.q(after)}`
          : `_same ${p} ${ctx.q(after)}`,
      apply: [
        `if [ ! -e ${p} ]${before === undefined ? '' : ` || _same ${p} ${ctx.q(before)}`}; then`,
        `  printf '%s' ${ctx.q(after)} | _write ${p} ${holdsSecretMarker(after) ? `"$([ -e ${p} ] || echo 0600)"` : "''"}`,
        `elif ! _same ${p} ${ctx.q(after)}; then`,
        `  echo ${ctx.q(why)} >&2`,
        `  echo ${ctx.q(`set them by hand, or run \`setup run\` (it merges), then run this script again`)} >&2`,
        '  exit 1',
        'fi',
      ].join('\n'),
      limits: [
        `config ${c.format} files: writes the whole file setup would write on a fresh host, and stops on a file that holds anything else (setup merges keys, keeping other keys and comments)`,
        ...(c.format === 'yaml' && holdsSecretMarker(after)
          ? [
              'config yaml files: a value holding a secret is written double-quoted (setup quotes it only where YAML needs it)',
            ]
          : []),
      ],
    };
  },
  render: async (step, env, read) => {
    const c = step.config;
    const before = await read(c.path);
    const change: FileChange = { path: c.path, before, after: await configAfter(c, before, env) };
    // The values secrets replace are secrets too (a rotated token): the diff masks them.
    if (before !== undefined && c.format !== 'gitconfig') {
      const fmt = TEXT_FORMATS[c.format];
      const have = (key: string): ConfigValue | undefined => {
        try {
          return fmt.get(before, key.split('.'));
        } catch {
          return undefined; // unreadable: configAfter has thrown already
        }
      };
      change.replaced = replacedBySecrets(Object.entries(c.set).map(([k, want]) => [have(k), want]));
    }
    return [change];
  },
  apply: async (step, env) => {
    const c = step.config;
    const before = await readBytesIfExists(c.path);
    const next = await bytesAfter(c, before, env);
    if (next !== undefined) {
      // A new file that holds a secret is private from its first byte; an existing one keeps its mode.
      const secret = Object.values(c.set).some((v) => v !== null && argvHoldsSecret([String(v)]));
      const { backup } = await safeWrite(c.path, next, {
        backupDir: env.paths.backups,
        mode: before === undefined && secret ? 0o600 : undefined,
      });
      if (backup) env.log(`backed up the original ${c.path} to ${backup}`);
    }
    env.log(`merged ${Object.keys(c.set).length} key(s) into ${c.path}`);
  },
  examples: [
    `- name: pip uses the mirror\n  config:\n    path: ~/.config/pip/pip.conf\n    set:\n      global.index-url: "{{ mirror.pip.index-url }}"\n      global.trusted-host: "{{ mirror.pip.trusted-host }}"`,
    `- name: conda channels\n  config:\n    path: ~/.condarc\n    set:\n      channels: [defaults]\n      show_channel_urls: true`,
    `- name: git through the mirror\n  config:\n    path: ~/.gitconfig\n    set: { "url.https://gitclone.com/github.com/.insteadOf": "https://github.com/" }`,
  ],
});
