import { stringify } from 'yaml';
import type { Profile } from '../lang/schema.js';
import type { BundleItem } from '../steps/types.js';
import { dict } from '../util/keys.js';
import type { BundleRun } from './bundle.js';

/** The bundle manifest's format: a setup that reads another refuses the folder's manifest. */
export const MANIFEST_FORMAT = 1;
export const MANIFEST_FILE = 'bundle.json';
export const BUNDLE_PROFILE = 'profile.yaml';
export const BUNDLE_README = 'README';

/** `DIR/bundle.json`: what the bundle holds for which steps, with sizes and checksums (doctor checks it). */
export interface Manifest {
  format: number;
  recipes: string[];
  /** The lock the pins and commits came from (its path as given), when one was used. */
  lock?: string;
  target?: { pythonVersion?: string; platform?: string };
  steps: { id: string; kind: string; name?: string; locked: boolean; items: Omit<BundleItem, 'fetched'>[] }[];
  bytes: number;
}

/** Sizes by kind: what the bundle holds, and what this run fetched. */
export interface BundleSummary {
  kinds: { kind: string; items: number; bytes: number; fetchedItems: number; fetchedBytes: number }[];
  items: number;
  bytes: number;
  fetchedItems: number;
  fetchedBytes: number;
}

/** One item per path (a mirror two steps share is counted once), the first seen kept. */
function uniqueItems(run: BundleRun): { kind: string; item: BundleItem }[] {
  const seen = new Map<string, { kind: string; item: BundleItem }>();
  for (const s of run.steps)
    for (const item of s.items) if (!seen.has(item.path)) seen.set(item.path, { kind: s.kind, item });
  return [...seen.values()];
}

/** The summary the command prints: per kind and in all, held vs fetched now. */
export function summarize(run: BundleRun): BundleSummary {
  const kinds = new Map<string, BundleSummary['kinds'][number]>();
  for (const { kind, item } of uniqueItems(run)) {
    const k = kinds.get(kind) ?? { kind, items: 0, bytes: 0, fetchedItems: 0, fetchedBytes: 0 };
    k.items++;
    k.bytes += item.bytes;
    if (item.fetched) {
      k.fetchedItems++;
      k.fetchedBytes += item.bytes;
    }
    kinds.set(kind, k);
  }
  const list = [...kinds.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  const sum = (f: (k: BundleSummary['kinds'][number]) => number): number => list.reduce((n, k) => n + f(k), 0);
  return {
    kinds: list,
    items: sum((k) => k.items),
    bytes: sum((k) => k.bytes),
    fetchedItems: sum((k) => k.fetchedItems),
    fetchedBytes: sum((k) => k.fetchedBytes),
  };
}

/** The manifest of a finished bundle run (no dates: bundling again writes the same bytes). */
export function makeManifest(run: BundleRun, opts: { lock?: string; target?: Manifest['target'] }): Manifest {
  return {
    format: MANIFEST_FORMAT,
    recipes: run.recipes,
    ...(opts.lock ? { lock: opts.lock } : {}),
    ...(opts.target && Object.keys(opts.target).length ? { target: opts.target } : {}),
    steps: run.steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      ...(s.name ? { name: s.name } : {}),
      locked: s.locked,
      items: s.items.map(({ fetched: _, ...rest }) => rest),
    })),
    bytes: summarize(run).bytes,
  };
}

/**
 * The manifest of a run into a folder that already held a bundle: the previous manifest's steps of other
 * recipes kept (bundling Y into X's folder keeps X), this run's in place of the same recipes'.
 */
export function mergeManifests(before: Manifest | undefined, now: Manifest): Manifest {
  if (!before) return now;
  const mine = new Set(now.recipes);
  const recipeOf = (id: string): string => id.slice(0, id.lastIndexOf('#'));
  const kept = before.steps.filter((s) => !mine.has(recipeOf(s.id)));
  const steps = [...kept, ...now.steps];
  return {
    ...now,
    recipes: [...before.recipes.filter((r) => !mine.has(r)), ...now.recipes],
    steps,
    bytes: now.bytes + kept.flatMap((s) => s.items).reduce((n, i) => n + i.bytes, 0),
  };
}

/** Reads bundle.json's text; an Error says why it is not one this setup reads. */
export function parseManifest(text: string, file: string): Manifest | Error {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  const m = data as Partial<Manifest> | null;
  if (!m || typeof m !== 'object' || !Array.isArray(m.steps) || !Array.isArray(m.recipes))
    return new Error(`${file} is not a bundle manifest (no recipes or steps)`);
  if (m.format !== MANIFEST_FORMAT)
    return new Error(`${file} has bundle format ${String(m.format)}; this setup reads format ${MANIFEST_FORMAT}`);
  return m as Manifest;
}

/** Deep merge of plain maps: later values win, maps merge (a URL two steps map, mapped once). */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = dict(Object.entries(base));
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      b && typeof b === 'object' && !Array.isArray(b) && v && typeof v === 'object' && !Array.isArray(v)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Sorts every map's keys (a stable, diff-friendly profile). */
function sorted(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
  );
}

/**
 * `DIR/profile.yaml`: every step's fragment merged, every address `./…` inside the folder; over what the
 * folder's previous profile said (`before`: its other recipes' addresses stay).
 */
export function bundleProfile(run: BundleRun, before?: Record<string, unknown>, recipes = run.recipes): Profile {
  const kept = Object.fromEntries(
    Object.entries(before ?? {}).filter(([k]) => !['$schema', 'name', 'description'].includes(k)),
  );
  let body: Record<string, unknown> = kept;
  for (const s of run.steps) body = merge(body, s.profile as Record<string, unknown>);
  return {
    name: 'bundle',
    description: `setup bundle of ${recipes.join(', ')}: every address points into this folder (no network needed)`,
    ...(sorted(body) as Partial<Profile>),
  } as Profile;
}

/** The profile's text, with a header saying what it is. */
export function profileText(profile: Profile): string {
  return `# Written by setup bundle: a mirror profile whose every address is in this folder (./ is this file's folder).\n${stringify(profile, { lineWidth: 0 })}`;
}

/** `DIR/README`: what the folder is and how to use it on the machine with no network. */
export function readmeText(recipes: readonly string[], m: Manifest): string {
  const names = recipes.join(' ');
  return `This folder is a setup bundle of: ${recipes.join(', ')}.

It holds everything those recipes fetch from the network (git mirrors under git/, Python wheels and a
package index under pip/, downloaded files under files/, .deb files and their index under apt/), and
profile.yaml, a mirror profile whose every address points into this folder (relative to it: the folder can
be moved or copied anywhere).

On the machine with no network, with the same recipes:

    setup doctor ${names} --mirror /path/to/this/folder/profile.yaml --offline   # is the bundle complete?
    setup run ${names} --mirror /path/to/this/folder/profile.yaml${
      m.lock
        ? `
    setup run ${names} --mirror /path/to/this/folder/profile.yaml --locked --lock /path/to/this/folder/envkit.lock
                                           # exactly what the lock records (envkit.lock is the lock it was made from)`
        : ''
    }

To add what is missing (on a machine with network), run setup bundle again with the same folder: what is
already here and verified is not fetched again.
${m.lock ? `\nPins and commits come from the lock ${m.lock}.\n` : ''}${m.target ? `\nWheels are for Python ${m.target.pythonVersion ?? '(this host)'} on ${m.target.platform ?? '(this platform)'}.\n` : ''}
bundle.json lists each file with its size and sha256 (and each git mirror with the commits it must hold).
`;
}
