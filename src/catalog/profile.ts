import fs from 'node:fs/promises';
import { readUserFile, UnreadableFile, unreadableProblem } from '../util/user-file.js';
import path from 'node:path';
import type { Problem } from '../util/errors.js';
import { InputError, UsageError } from '../util/errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { dict, getOwn } from '../util/keys.js';
import { MIRROR_NAMES } from '../lang/names.js';
import { configSchema, profileSchema, type Profile, type UserConfig } from '../lang/schema.js';
import { parseYamlSource, SOURCE_LIMITS, type SourceDoc } from '../lang/source.js';
import { errorMap, zodProblems } from '../lang/zod-problems.js';

/** The profile every other one falls back on: the upstream addresses. */
export const DEFAULT_PROFILE = 'default';

/** Loads and validates one profile file. */
export async function loadProfileFile(file: string): Promise<{ profile?: Profile; problems: Problem[] }> {
  let bytes: Buffer;
  try {
    bytes = await readUserFile(file, SOURCE_LIMITS);
  } catch (e) {
    if (e instanceof UnreadableFile) return { problems: [unreadableProblem(e)] };
    throw e;
  }
  const parsed = parseYamlSource(file, bytes);
  if (!parsed.source || parsed.problems.length) return { problems: parsed.problems };
  const r = profileSchema.safeParse(relativeToFile(parsed.data, path.dirname(path.resolve(file))), { error: errorMap });
  if (!r.success) return { problems: zodProblems(r.error, parsed.source, []) };
  const problems = controlCharacters(r.data, parsed.source);
  return problems.length ? { problems } : { profile: r.data, problems: [] };
}

const isRelative = (v: string): boolean => v === '.' || v === '..' || v.startsWith('./') || v.startsWith('../');

/** A relative path made absolute against `dir`, its trailing slash kept (a URL prefix keeps meaning a folder). */
function absolute(v: string, dir: string): string {
  const abs = path.resolve(dir, v);
  return v.endsWith('/') && !abs.endsWith('/') ? `${abs}/` : abs;
}

/** A file:// URL of a relative path made absolute against `dir` (each character a URL needs escaped, escaped). */
const fileUrl = (v: string, dir: string): string =>
  `file://${absolute(v, dir).split('/').map(encodeURIComponent).join('/')}`;

/**
 * A profile's values that are paths written relative (`./x`, `../x`) made absolute against the profile
 * file's folder, so a folder that carries its own profile (`setup bundle`'s) can be moved: pip's index-url
 * and each URL rewrite target become file:// URLs, git rewrite targets (file:// URLs where the path holds
 * white space or "=", which git -c cannot carry), find-links, the constraints file and the apt repository
 * absolute paths. Anything else is left for the schema to judge. Returns a copy.
 */
function relativeToFile(data: unknown, dir: string): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const out = structuredClone(data) as Record<string, unknown>;
  const section = (key: string): Record<string, unknown> | undefined => {
    const v = getOwn(out, key);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  };
  const fix = (obj: Record<string, unknown> | undefined, key: string, as: (v: string) => string): void => {
    const v = obj ? getOwn(obj, key) : undefined;
    if (obj && typeof v === 'string') obj[key] = as(v);
  };
  const url = (v: string): string => (isRelative(v) ? fileUrl(v, dir) : v);
  const abs = (v: string): string => (isRelative(v) ? absolute(v, dir) : v);
  // git's `-c url.<to>.insteadOf=` cannot carry "=" in <to>: a moved bundle's folder with one (or white
  // space) is given to git as a file:// URL, where each is escaped, so the folder can go anywhere.
  const gitTarget = (v: string): string => (isRelative(v) && /[\s=]/.test(absolute(v, dir)) ? fileUrl(v, dir) : abs(v));
  const pip = section('pip');
  fix(pip, 'index-url', url);
  fix(pip, 'extra-index-url', (v) => v.split(/\s+/).filter(Boolean).map(url).join(' '));
  fix(pip, 'find-links', (v) => v.split(/\s+/).filter(Boolean).map(abs).join(' '));
  fix(pip, 'constraint', abs);
  fix(section('apt'), 'repository', abs);
  for (const [key, as] of [
    ['git', gitTarget],
    ['urls', url],
  ] as const) {
    const rewrite = section(key)?.rewrite;
    if (rewrite && typeof rewrite === 'object' && !Array.isArray(rewrite))
      for (const k of Object.keys(rewrite)) fix(rewrite as Record<string, unknown>, k, as);
  }
  return out;
}

/**
 * Every value in a profile is one line: an address, a host, a channel. A line break (or any control
 * character) would reach a config file or a command as more than one value (`index-url` then
 * `--trusted-host evil` in pip.conf), so it is an error where it is written.
 */
function controlCharacters(profile: Profile, source: SourceDoc): Problem[] {
  // eslint-disable-next-line no-control-regex -- finding control characters is what this is for
  const CONTROL = /[\u0000-\u001f\u007f]/;
  const out: Problem[] = [];
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (typeof v === 'string') {
      if (CONTROL.test(v))
        out.push({
          severity: 'error',
          loc: source.locOf(at),
          message: `${at.join('.')} holds a line break or another control character: a profile value is one line`,
          hint: 'write it on one line, without \\n, \\t or other escapes',
        });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (CONTROL.test(k))
          out.push({
            severity: 'error',
            loc: source.locOf([...at, k], true),
            message: `a key under ${at.join('.') || 'the profile'} holds a line break or another control character`,
            hint: 'write it on one line',
          });
        walk(x, [...at, k]);
      }
  };
  walk(profile, []);
  return out;
}

/** Top-level keys only a profile has (pip, conda, go, git, urls): not its name, description or $schema. */
const PROFILE_KEYS = Object.keys(profileSchema.shape).filter((k) => !['$schema', 'name', 'description'].includes(k));

/** Does a file read as a mirror profile rather than a recipe: a map with a profile key (pip:, conda:, go:, git:, urls:) and no steps:? */
export async function looksLikeProfile(file: string): Promise<boolean> {
  const bytes = await readUserFile(file, SOURCE_LIMITS).catch(() => null);
  const data = bytes ? parseYamlSource(file, bytes).data : undefined;
  return (
    !!data &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    !('steps' in data) &&
    Object.keys(data).some((k) => PROFILE_KEYS.includes(k))
  );
}

/** The profile files in `<recipe folder>/profiles/`, by name; later folders win. */
export async function profileFiles(recipeDirs: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const dir of recipeDirs) {
    const pdir = path.join(dir, 'profiles');
    const names = await fs.readdir(pdir).catch(() => [] as string[]);
    for (const n of names.sort()) if (/\.ya?ml$/.test(n)) out.set(n.replace(/\.ya?ml$/, ''), path.join(pdir, n));
  }
  return out;
}

/** Deep merge for profiles: `over` wins, maps merge, lists replace. */
function merge<T>(base: T, over: T): T {
  if (!over || typeof over !== 'object' || Array.isArray(over)) return over ?? base;
  const out = dict(Object.entries((base ?? {}) as Record<string, unknown>));
  for (const [k, v] of Object.entries(over))
    out[k] = Object.hasOwn(out, k) && v && typeof v === 'object' && !Array.isArray(v) ? merge(out[k], v) : v;
  return out as T;
}

/** Whether a `--mirror` value names a profile file (a path, or a .yaml/.yml name) rather than a profile by name. */
export const isProfileFile = (choice: string): boolean => choice.includes('/') || /\.ya?ml$/.test(choice);

/**
 * The active profile: `--mirror` (a name or a file), else the user config's, else the default; always
 * merged over the default profile so every `mirror.*` name has a value.
 */
export async function resolveProfile(choice: string | undefined, recipeDirs: readonly string[]): Promise<Profile> {
  const files = await profileFiles(recipeDirs);
  const load = async (file: string): Promise<Profile> => {
    const { profile, problems } = await loadProfileFile(file);
    if (!profile) throw new InputError(problems);
    return profile;
  };
  const defFile = files.get(DEFAULT_PROFILE);
  const base: Profile = defFile ? await load(defFile) : { name: DEFAULT_PROFILE };
  if (!choice || choice === DEFAULT_PROFILE) return base;
  const file = isProfileFile(choice) ? path.resolve(choice) : files.get(choice);
  if (!file) {
    throw new UsageError(
      `unknown mirror profile "${choice}"${didYouMean(choice, files.keys())}`,
      `profiles: ${[...files.keys()].join(', ')}; or give a file path`,
    );
  }
  const own = await load(file);
  // The values fall back on the default profile's; its description does not describe this one.
  return { ...merge(base, own), description: own.description };
}

/** The `mirror.*` names with their structured values (lists and maps kept), for Templater.value. */
export function mirrorStructured(profile: Profile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of MIRROR_NAMES) {
    let v: unknown = profile;
    for (const part of name.split('.'))
      v = v && typeof v === 'object' ? getOwn(v as Record<string, unknown>, part) : undefined;
    if (v !== undefined) out[`mirror.${name}`] = v;
  }
  return out;
}

/** Flattens a profile into the `mirror.*` template names. Lists become space-separated. */
export function mirrorValues(profile: Profile): Record<string, string> {
  const structured = mirrorStructured(profile);
  const text = (v: unknown): string =>
    Array.isArray(v)
      ? v.join(' ')
      : v === undefined || v === null
        ? ''
        : typeof v === 'object'
          ? Object.entries(v)
              .map(([k, x]) => `${k}=${String(x)}`)
              .join(' ')
          : String(v);
  return Object.fromEntries(MIRROR_NAMES.map((name) => [`mirror.${name}`, text(structured[`mirror.${name}`])]));
}

/** Loads `config.yaml` if present. */
export async function loadUserConfig(file: string): Promise<UserConfig> {
  return (await loadUserConfigFile(file)).config;
}

/** Loads `config.yaml` if present, with its source (to locate problems found later); `vars:` numbers read as written. */
export async function loadUserConfigFile(file: string): Promise<{ config: UserConfig; source?: SourceDoc }> {
  let bytes: Buffer;
  try {
    bytes = await readUserFile(file, SOURCE_LIMITS);
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e;
    if (e.code === 'ENOENT') return { config: {} };
    throw new InputError([unreadableProblem(e)]);
  }
  const parsed = parseYamlSource(file, bytes);
  if (!parsed.source || parsed.problems.length) throw new InputError(parsed.problems);
  const source = parsed.source;
  const r = configSchema.safeParse(parsed.data ?? {}, { error: errorMap });
  if (!r.success) throw new InputError(zodProblems(r.error, source, []));
  const vars = r.data.vars;
  if (vars) {
    for (const [recipe, values] of Object.entries(vars)) {
      for (const [name, v] of Object.entries(values))
        if (typeof v === 'number') values[name] = source.textOf(['vars', recipe, name]) ?? String(v);
    }
  }
  return { config: r.data, source };
}
