import { parse as parseYaml, stringify } from 'yaml';
import * as z from '../util/zod.js';
import type { LockEntry, LockValue } from '../steps/types.js';

/**
 * `envkit.lock`: what `setup lock` found installed, per recipe and step. Pure: turning a lock into text and
 * back. The text is stable (no dates, maps sorted by key, steps in recipe order, recipes by name), so the
 * same host locks to the same bytes and a change shows as a small diff.
 */

/** The lock format this code writes and reads; a lock with another is refused (it needs another setup). */
export const LOCK_FORMAT = 1;

/** The file `setup lock` writes when not told otherwise (in the current folder). */
export const LOCK_FILE = 'envkit.lock';

/** One step as locked: its position and kind, and either what is installed or why `when:` skipped it. */
export interface LockedStep {
  /** 1-based, as in the step's id (`recipe#n`). */
  step: number;
  kind: string;
  name?: string;
  /** The host facts the step's `when:` names, with their values here (what decided whether it runs). */
  when?: Record<string, string | number | boolean>;
  /** Why `when:` does not hold on this host: the step installs nothing here. */
  skipped?: string;
  /**
   * True when `installed` is what `setup lock --resolve` found the step WOULD install (its sources asked,
   * nothing installed), not what was read from the host.
   */
  resolved?: true;
  /** What the kind's `lock` hook read (absent when skipped); with `resolved`, what its `resolveLock` found. */
  installed?: LockEntry;
}

/** A whole lock: recipe name → its locked steps (only steps whose kind records something, and skipped ones). */
export interface Lock {
  format: typeof LOCK_FORMAT;
  recipes: Record<string, LockedStep[]>;
}

const HEADER =
  '# envkit.lock: what `setup lock` found installed, per recipe and step. Written by setup; regenerate it\n# with `setup lock`, do not edit it by hand.\n';
/** A lock with a step `setup lock --resolve` wrote: what a run would install, not what is installed. */
const RESOLVED_HEADER =
  '# envkit.lock: what `setup lock` recorded, per recipe and step: what is installed, or (steps marked\n# resolved: true, by `setup lock --resolve`) what a run would install. Written by setup; do not edit it by hand.\n';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A value with every map's keys sorted (arrays keep their order: the kinds give them sorted or meaningful). */
function canonical(v: LockValue): LockValue {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, LockValue> = {};
    for (const k of Object.keys(v).sort(cmp))
      Object.defineProperty(out, k, { value: canonical(v[k]!), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** The lock as text: a header comment, `format:`, then recipes by name, each step's keys in a fixed order. */
export function formatLock(lock: Lock): string {
  const recipes: Record<string, unknown> = {};
  for (const name of Object.keys(lock.recipes).sort(cmp)) {
    const steps = [...lock.recipes[name]!].sort((a, b) => a.step - b.step);
    recipes[name] = steps.map((s) => ({
      step: s.step,
      kind: s.kind,
      ...(s.name ? { name: s.name } : {}),
      ...(s.when ? { when: canonical(s.when) } : {}),
      ...(s.skipped !== undefined ? { skipped: s.skipped } : {}),
      ...(s.resolved ? { resolved: true } : {}),
      ...(s.installed ? { installed: canonical(s.installed) } : {}),
    }));
  }
  return (
    (Object.values(lock.recipes).some((steps) => steps.some((st) => st.resolved)) ? RESOLVED_HEADER : HEADER) +
    stringify({ format: lock.format, recipes }, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })
  );
}

const value: z.ZodType<LockValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.array(value), z.record(z.string(), value)]),
);
const lockSchema = z.strictObject({
  format: z.literal(LOCK_FORMAT),
  recipes: z.record(
    z.string(),
    z.array(
      z.strictObject({
        step: z.int().min(1),
        kind: z.string().min(1),
        name: z.string().optional(),
        when: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        skipped: z.string().optional(),
        resolved: z.literal(true).optional(),
        installed: z.record(z.string(), value).optional(),
      }),
    ),
  ),
});

/** A lock file that cannot be read as one: why, for people. */
export class BadLock extends Error {}

/** Reads a lock's text (`file` names it in errors); throws BadLock saying what is wrong. */
export function parseLock(text: string, file: string): Lock {
  let data: unknown;
  try {
    data = parseYaml(text, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (e) {
    throw new BadLock(`${file} is not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const format =
    !!data && typeof data === 'object' && !Array.isArray(data) ? (data as { format?: unknown }).format : undefined;
  if (format !== undefined && format !== LOCK_FORMAT)
    throw new BadLock(`${file} has lock format ${JSON.stringify(format)}; this setup reads format ${LOCK_FORMAT}`);
  const r = lockSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new BadLock(`${file} is not a lock file: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return r.data as Lock;
}

/** Every string inside `v` passed through `f` (map keys kept). */
function mapStrings(v: LockValue, f: (s: string) => string): LockValue {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, LockValue> = {};
    for (const k of Object.keys(v))
      Object.defineProperty(out, k, {
        value: mapStrings(v[k]!, f),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return v;
}

function mapInstalled(lock: Lock, f: (s: string) => string): Lock {
  const recipes: Record<string, LockedStep[]> = {};
  for (const [name, steps] of Object.entries(lock.recipes))
    recipes[name] = steps.map((s) => (s.installed ? { ...s, installed: mapStrings(s.installed, f) as LockEntry } : s));
  return { ...lock, recipes };
}

/**
 * The lock as written: a path under the home folder (a venv, a clone, a download's dest) written `~/…`, so a
 * lock taken by one user on one machine reads the same on another (a fresh HOME, another user name).
 */
export function homeRelative(lock: Lock, home: string): Lock {
  const h = home.replace(/\/+$/, '');
  if (!h) return lock;
  return mapInstalled(lock, (s) => (s === h ? '~' : s.startsWith(`${h}/`) ? `~${s.slice(h.length)}` : s));
}

/** The lock as this host uses it: `~/…` paths under this home folder (the inverse of homeRelative). */
export function homeAbsolute(lock: Lock, home: string): Lock {
  const h = home.replace(/\/+$/, '');
  return mapInstalled(lock, (s) => (s === '~' ? h : s.startsWith('~/') ? `${h}${s.slice(1)}` : s));
}
