import fs from 'node:fs/promises';
import path from 'node:path';
import { writeVerified } from '../../util/verified-write.js';
import { hashFile } from '../download/cache.js';
import { lastLine } from '../python.js';
import type { BundleContext, BundleItem, BundleResult, ResolvedStep } from '../types.js';
import { indexOptions, sourceArgs, type PipConfig } from './command.js';
import { canonicalName, parseRequirement } from './requirement.js';
import { pinsSeed } from './locked.js';

/** The bundle's wheels and sdists (shared by every pip step), and the PEP 503 index over them. */
export const PIP_FILES = 'pip/files';
export const PIP_SIMPLE = 'pip/simple';

/** A distribution file's project and version, from its name (wheel: `name-ver-…whl`; sdist: `name-ver.tar.gz`/`.zip`). */
export function distOf(file: string): { name: string; version: string } | undefined {
  const wheel = /^([^-]+)-([^-]+)(?:-[^-]+)?-[^-]+-[^-]+-[^-]+\.whl$/.exec(file);
  if (wheel) return { name: canonicalName(wheel[1]!), version: wheel[2]! };
  const sdist = /^(.+)-([0-9][^-]*)\.(?:tar\.gz|zip|tar\.bz2)$/.exec(file);
  return sdist ? { name: canonicalName(sdist[1]!), version: sdist[2]! } : undefined;
}

/** Pip's canonical version compare is out of reach here: versions are compared as pip normalizes the simple cases. */
const sameVersion = (a: string, b: string): boolean => a === b || a.replace(/\.0+$/, '') === b.replace(/\.0+$/, '');

// Steps share pip/files and the index: one pip step's download and index rebuild at a time, per bundle.
const chains = new Map<string, Promise<unknown>>();
function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const next = (chains.get(key) ?? Promise.resolve()).then(fn, fn);
  chains.set(
    key,
    next.catch(() => undefined),
  );
  return next;
}

async function listFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.') && distOf(n));
}

/**
 * Writes `pip/simple/` (PEP 503) over every file in `pip/files/`: one page per project, each link with its
 * `#sha256=` (pip checks it), the top page listing the projects. Each page written whole (writeVerified).
 */
export async function writeSimpleIndex(dir: string, hashes: Map<string, string>): Promise<void> {
  const files = await listFiles(path.join(dir, PIP_FILES));
  const byName = new Map<string, string[]>();
  for (const f of files.sort()) {
    const d = distOf(f)!;
    byName.set(d.name, [...(byName.get(d.name) ?? []), f]);
  }
  const page = (body: string): string => `<!DOCTYPE html>\n<html><body>\n${body}</body></html>\n`;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  for (const [name, list] of byName) {
    const links: string[] = [];
    for (const f of list) {
      const sha = hashes.get(f) ?? (await hashFile(path.join(dir, PIP_FILES, f)));
      hashes.set(f, sha);
      links.push(`<a href="../../files/${encodeURIComponent(f)}#sha256=${sha}">${esc(f)}</a><br>\n`);
    }
    await fs.mkdir(path.join(dir, PIP_SIMPLE, name), { recursive: true });
    await writeVerified(path.join(dir, PIP_SIMPLE, name, 'index.html'), page(links.join('')));
  }
  const top = [...byName.keys()].sort().map((n) => `<a href="${n}/">${n}</a><br>\n`);
  await fs.mkdir(path.join(dir, PIP_SIMPLE), { recursive: true });
  await writeVerified(path.join(dir, PIP_SIMPLE, 'index.html'), page(top.join('')));
}

/** The exact pins a lock entry gives (seeds left out unless the step names them), or undefined without a lock. */
function lockedPins(c: PipConfig, locked: BundleContext['locked']): { name: string; version: string }[] | undefined {
  const d = locked?.distributions;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return undefined;
  const pinned = pinsSeed(c);
  return Object.entries(d)
    .filter(([n, v]) => typeof v === 'string' && pinned(n))
    .map(([n, v]) => ({ name: canonicalName(n), version: v as string }));
}

/**
 * The pip step's bundle: `pip download` into `pip/files/` — the lock's exact pins with `--no-deps` when
 * locked (those already there are not asked for again), else the step's requirements with their
 * dependencies — for `exe`'s interpreter, or with `--python-version`/`--platform`/`--only-binary=:all:`
 * for another machine; then the simple index over the folder. The profile points `pip.index-url` there,
 * and a step's own index URL too (urls.rewrite), so the run on the air-gapped machine asks nothing else.
 */
export async function bundlePip(
  step: ResolvedStep<PipConfig>,
  ctx: BundleContext,
  exe: () => Promise<string>,
): Promise<BundleResult> {
  const c = step.config;
  const files = path.join(ctx.dir, PIP_FILES);
  const pins = lockedPins(c, ctx.locked);
  const hashes = new Map<string, string>();
  const item = async (f: string, fetched: boolean): Promise<BundleItem> => {
    const p = path.join(files, f);
    const sha = hashes.get(f) ?? (await hashFile(p));
    hashes.set(f, sha);
    return { path: `${PIP_FILES}/${f}`, bytes: (await fs.stat(p)).size, fetched, sha256: sha };
  };
  const fileFor = (have: string[], pin: { name: string; version: string }): string | undefined =>
    have.find((f) => {
      const d = distOf(f)!;
      return d.name === pin.name && sameVersion(d.version, pin.version);
    });
  const profile: BundleResult['profile'] = {
    pip: { 'index-url': `./${PIP_SIMPLE}/` },
    ...(c.indexUrl ? { urls: { rewrite: { [c.indexUrl.replace(/\/*$/, '/')]: `./${PIP_SIMPLE}/` } } } : {}),
  };

  // A file whose bytes are not the ones bundle.json records (cut short, edited): neither complete nor kept.
  const damaged = async (have: string[]): Promise<Set<string>> => {
    const out = new Set<string>();
    for (const r of ctx.recorded ?? []) {
      const f = path.posix.basename(r.path);
      if (r.sha256 && have.includes(f) && (await hashFile(path.join(files, f)).catch(() => '')) !== r.sha256)
        out.add(f);
    }
    return out;
  };

  if (ctx.checkOnly) {
    const have = await listFiles(files);
    const bad = await damaged(have);
    const missing: string[] = [...bad].map(
      (f) => `pip: ${PIP_FILES}/${f} is damaged (its sha256 is not the one bundle.json records)`,
    );
    if (pins) {
      for (const pin of pins)
        if (!fileFor(have, pin)) missing.push(`pip: ${pin.name}==${pin.version} is not in ${PIP_FILES}/`);
    } else if (ctx.recorded?.length) {
      for (const r of ctx.recorded)
        if (!have.includes(path.posix.basename(r.path))) missing.push(`pip: ${r.path} is missing`);
    } else {
      for (const spec of c.packages) {
        const r = parseRequirement(spec);
        if (!(r instanceof Error) && !have.some((f) => distOf(f)!.name === canonicalName(r.name)))
          missing.push(`pip: nothing for ${spec} in ${PIP_FILES}/`);
      }
    }
    // pip reads the index, not the folder: a file there that the index does not link is not installable.
    const needed = pins
      ? pins.map((p) => fileFor(have, p)).filter((f): f is string => !!f)
      : (ctx.recorded ?? []).map((r) => path.posix.basename(r.path)).filter((f) => have.includes(f));
    for (const f of needed) {
      const page = path.join(ctx.dir, PIP_SIMPLE, distOf(f)!.name, 'index.html');
      const text = await fs.readFile(page, 'utf8').catch(() => '');
      if (!text.includes(`/${encodeURIComponent(f)}#sha256=`))
        missing.push(`pip: the index ${PIP_SIMPLE}/ does not list ${f} (bundle again to write it)`);
    }
    return { items: [], missing, profile };
  }

  return serial(ctx.dir, async () => {
    await fs.mkdir(files, { recursive: true });
    // A damaged file is fetched again, not kept.
    for (const f of await damaged(await listFiles(files))) await fs.rm(path.join(files, f), { force: true });
    const before = await listFiles(files);
    let want: string[];
    if (pins) {
      const lacking = pins.filter((p) => !fileFor(before, p));
      want = lacking.map((p) => `${p.name}==${p.version}`);
      if (!want.length) {
        await writeSimpleIndex(ctx.dir, hashes);
        return { items: await Promise.all(pins.map((p) => item(fileFor(before, p)!, false))), missing: [], profile };
      }
    } else want = c.packages;
    const t = ctx.target;
    const foreign = !!(t?.pythonVersion || t?.platform);
    const argv = [
      await exe(),
      '-m',
      'pip',
      'download',
      ...sourceArgs(indexOptions(c, ctx.env.profile)),
      '--dest',
      files,
      ...(pins || c.noDeps ? ['--no-deps'] : []),
      ...(c.pre ? ['--pre'] : []),
      ...(foreign ? ['--only-binary=:all:'] : []),
      ...(t?.pythonVersion ? ['--python-version', t.pythonVersion] : []),
      ...(t?.platform ? ['--platform', t.platform] : []),
      ...want,
    ];
    ctx.progress(`pip: downloading ${want.length} requirement${want.length === 1 ? '' : 's'} for ${step.id}`);
    const r = await ctx.env.runner.run({
      argv,
      env: { ...step.common.env, PIP_NO_INPUT: '1' },
      cwd: ctx.dir,
      timeoutMs: step.common.timeoutMs ?? 3600_000,
      signal: ctx.signal,
    });
    if (r.spawnError) throw new Error(`cannot run pip: ${r.spawnError}`);
    if (r.exitCode !== 0)
      throw new Error(`pip download failed: ${lastLine(r.stderr) || `exit ${r.exitCode ?? r.signal}`}`);
    const after = await listFiles(files);
    // What pip says it saved or found for this step's requirements: this step's set (the folder is shared).
    const named = new Set<string>();
    for (const m of r.stdout.matchAll(/(?:Saved|File was already downloaded) (.+)$/gm))
      named.add(path.basename(m[1]!.trim()));
    const absent = pins?.filter((p) => !fileFor(after, p)) ?? [];
    if (absent.length)
      throw new Error(
        `pip download left out ${absent.map((p) => `${p.name}==${p.version}`).join(', ')} (the index has no file of that name and version)`,
      );
    const mine = pins ? pins.map((p) => fileFor(after, p)!) : after.filter((f) => named.has(f));
    await writeSimpleIndex(ctx.dir, hashes);
    return { items: await Promise.all(mine.map((f) => item(f, !before.includes(f)))), missing: [], profile };
  });
}
