import { homedir } from 'node:os';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SOURCE_LIMITS } from '../../lang/source.js';
import { readUserFile } from '../../util/user-file.js';
import { loadProfileFile } from '../../catalog/profile.js';
import { collectBundle } from '../../plan/bundle.js';
import {
  BUNDLE_PROFILE,
  BUNDLE_README,
  bundleProfile,
  makeManifest,
  MANIFEST_FILE,
  mergeManifests,
  parseManifest,
  type Manifest,
  profileText,
  readmeText,
  summarize,
} from '../../plan/bundle-manifest.js';
import { formatLock, homeAbsolute, LOCK_FILE } from '../../plan/lock-file.js';
import { mergeLocks } from '../../plan/lock.js';
import { resolveRecipes, selectRecipes } from '../../plan/session.js';
import { applyLock } from '../../plan/locked.js';
import { EnvkitError, ExitCode, InputError, UsageError } from '../../util/errors.js';
import { redact } from '../../util/redact.js';
import { formatSize } from '../../util/size.js';
import { writeVerified } from '../../util/verified-write.js';
import { sessionFrom } from '../common.js';
import { readLock } from '../../plan/read-lock.js';
import { liveLine } from '../spinner.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

/** How the README and profile.yaml a bundle writes begin (a folder holding others is not written over). */
const README_MARK = 'This folder is a setup bundle of';
const PROFILE_MARK = '# Written by setup bundle';

/**
 * What the folder held from an earlier bundle: its manifest and its profile as written (addresses `./…`),
 * or nothing for a new folder. One this setup cannot read is replaced (its files are re-verified anyway).
 */
async function previousBundle(dir: string): Promise<{ manifest?: Manifest; profile?: Record<string, unknown> }> {
  const read = (name: string): Promise<string | undefined> =>
    readUserFile(path.join(dir, name), SOURCE_LIMITS).then(
      (b) => b.toString('utf8'),
      () => undefined,
    );
  const [m, p] = await Promise.all([read(MANIFEST_FILE), read(BUNDLE_PROFILE)]);
  const manifest = m === undefined ? undefined : parseManifest(m, MANIFEST_FILE);
  let profile: unknown;
  try {
    profile = p === undefined ? undefined : parseYaml(p);
  } catch {
    profile = undefined;
  }
  return {
    ...(manifest && !(manifest instanceof Error) ? { manifest } : {}),
    ...(profile && typeof profile === 'object' && !Array.isArray(profile)
      ? { profile: profile as Record<string, unknown> }
      : {}),
  };
}

/** The options of `setup bundle`. */
export interface BundleOpts extends GlobalOpts {
  output?: string;
  lock?: string;
  pythonVersion?: string;
  platform?: string;
}

/**
 * `setup bundle <recipe…> -o DIR`: gathers what the recipes fetch (git mirrors, wheels, downloads) into
 * DIR, with DIR/profile.yaml (a mirror profile pointing into DIR), DIR/bundle.json (the manifest) and
 * DIR/README. Uses the lock (--lock, else ./envkit.lock when there is one) for exact pins and commits.
 * A failing step: exit 1, and the profile and manifest are left as they were (a later run trusts neither
 * half of a bundle).
 */
export default async function bundleCommand(names: string[], opts: BundleOpts): Promise<number> {
  const o = makeOutput(opts);
  if (!opts.output) throw new UsageError('say where the bundle goes: -o DIR');
  const dir = path.resolve(opts.output);
  const lockFile = opts.lock ? path.resolve(opts.lock) : path.resolve(LOCK_FILE);
  const lock = await readLock(lockFile);
  if (opts.lock && !lock)
    throw new UsageError(`no lock at ${tilde(o, lockFile)}`, 'write one with setup lock <recipe…>, or drop --lock');
  const target = {
    ...(opts.pythonVersion ? { pythonVersion: opts.pythonVersion } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
  };
  if (target.pythonVersion && !/^\d+\.\d+(\.\d+)?$/.test(target.pythonVersion))
    throw new UsageError(`--python-version ${target.pythonVersion}: expected a version like 3.11`);
  const session = await sessionFrom(opts, names);
  const recipes = selectRecipes(session, names);
  // A lock that no longer fits a recipe it locks (a package added, another ref) would leave the bundle short of
  // what the recipe needs: refused as `run --locked` refuses it, before anything is fetched.
  if (lock) {
    const { recipes: written } = await resolveRecipes(session, recipes);
    const applied = applyLock(
      written.filter((r) => Object.hasOwn(lock.lock.recipes, r.recipe.name)),
      { lock: homeAbsolute(lock.lock, homedir()), file: tilde(o, lockFile) },
    );
    if (applied.problems.length) throw new InputError(applied.problems);
  }
  const there = await fs.stat(dir).catch(() => undefined);
  if (there && !there.isDirectory())
    throw new UsageError(`${tilde(o, dir)} is not a folder; nothing written`, 'give -o a folder to bundle into');
  // What the folder's manifest records of each step: a file whose bytes differ from it is fetched again.
  const earlier = (await previousBundle(dir)).manifest;
  // A folder that is not a bundle (no manifest of one, and no README or profile.yaml that setup bundle wrote)
  // keeps its own README, profile.yaml and bundle.json: `-o .` in a project folder must not write over them.
  if (!earlier) {
    const head = (f: string): Promise<string | undefined> =>
      fs.readFile(path.join(dir, f), 'utf8').then(
        (t) => t.slice(0, 200),
        (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : ''),
      );
    const [readme, prof, manifestText] = await Promise.all([
      head(BUNDLE_README),
      head(BUNDLE_PROFILE),
      head(MANIFEST_FILE),
    ]);
    const ours = readme?.startsWith(README_MARK) || prof?.startsWith(PROFILE_MARK);
    const theirs = [
      readme !== undefined && !readme.startsWith(README_MARK) ? BUNDLE_README : undefined,
      prof !== undefined && !prof.startsWith(PROFILE_MARK) ? BUNDLE_PROFILE : undefined,
      manifestText !== undefined && !ours ? MANIFEST_FILE : undefined,
    ].filter((f): f is string => !!f);
    if (theirs.length)
      throw new UsageError(
        `${tilde(o, dir)} is not a bundle, yet holds ${theirs.join(', ')}, which a bundle would write over; nothing written`,
        'bundle into an empty folder (or one setup bundle made), e.g. -o ./bundle',
      );
  }
  await fs.mkdir(dir, { recursive: true });
  const live = liveLine(o);
  let done = 0;
  const run = await collectBundle(session, recipes, {
    dir,
    ...(lock ? { lock: lock.lock } : {}),
    ...(Object.keys(target).length ? { target } : {}),
    ...(earlier ? { recorded: new Map(earlier.steps.map((st) => [st.id, st.items])) } : {}),
    checkOnly: false,
    progress: (s, text) => live.update(`${s.id} ${redact(text)}`),
    onStep: (s, r) => {
      if (!r) return live.update(`${s.id} ${s.kind}…`);
      done++;
      if (o.quiet || o.json) return;
      const bytes = r.items.reduce((n, i) => n + i.bytes, 0);
      const fetched = r.items.filter((i) => i.fetched).length;
      live.print(
        r.error
          ? `${o.c.red('✗')} ${s.id} ${s.kind}: ${redact(r.error)}`
          : `${o.c.green('✓')} ${s.id} ${s.kind}${s.name ? ` (${s.name})` : ''}: ${r.items.length} item${r.items.length === 1 ? '' : 's'}, ${formatSize(bytes)}${fetched ? `, ${fetched} fetched` : ', all there already'}`,
      );
    },
  }).finally(() => live.stop());
  const failed = run.steps.filter((s) => s.error);
  if (failed.length) {
    if (o.json) {
      writeJson(o, 'bundle', {
        status: 'failed',
        dir,
        recipes: run.recipes,
        failed: failed.map((s) => ({ id: s.id, kind: s.kind, error: redact(s.error!) })),
      });
      return ExitCode.failed;
    }
    throw new EnvkitError(
      `${failed.length} step${failed.length === 1 ? '' : 's'} could not be bundled; ${tilde(o, path.join(dir, MANIFEST_FILE))} and ${BUNDLE_PROFILE} are left as they were`,
      ExitCode.failed,
      'fix what the lines above say, then bundle again: what is already in the folder is not fetched again',
    );
  }
  const before = await previousBundle(dir);
  const manifest = mergeManifests(
    before.manifest,
    makeManifest(run, {
      ...(lock ? { lock: lockFile } : {}),
      ...(Object.keys(target).length ? { target } : {}),
    }),
  );
  const profile = bundleProfile(run, before.profile, manifest.recipes);
  // Written last, the profile after the manifest: a profile in the folder always has its manifest beside it.
  // Secrets never reach a bundle file (a token in a download URL: rewriteKey cut it off; masked again here).
  await writeVerified(path.join(dir, MANIFEST_FILE), redact(JSON.stringify(manifest, null, 2) + '\n'));
  await writeVerified(path.join(dir, BUNDLE_README), redact(readmeText(manifest.recipes, manifest)));
  // The lock it was made from travels with it: `run --locked --lock DIR/envkit.lock` on the other machine.
  if (lock) {
    const carried = await readLock(path.join(dir, LOCK_FILE)).catch(() => undefined);
    await writeVerified(path.join(dir, LOCK_FILE), redact(formatLock(mergeLocks(carried?.lock, lock.lock))));
  }
  const profileFile = path.join(dir, BUNDLE_PROFILE);
  await writeVerified(profileFile, redact(profileText(profile)));
  const check = await loadProfileFile(profileFile);
  if (!check.profile)
    throw new EnvkitError(
      `the bundle's profile ${tilde(o, profileFile)} does not load here: ${check.problems.map((p) => p.message).join('; ')}`,
      ExitCode.invalid,
    );
  const sum = summarize(run);
  if (o.json) {
    writeJson(o, 'bundle', {
      status: 'ok',
      dir,
      profile: profileFile,
      recipes: run.recipes,
      lock: lock ? lockFile : null,
      summary: sum,
      skipped: run.skipped,
      steps: run.steps.map(({ profile: _, ...s }) => s),
    });
    return ExitCode.ok;
  }
  for (const s of run.skipped) o.err(o.c.dim(`  ${s.id} ${s.kind}: skipped (${s.reason})`));
  for (const k of sum.kinds)
    o.out(
      `  ${k.kind.padEnd(9)} ${String(k.items).padStart(4)} item${k.items === 1 ? ' ' : 's'} ${formatSize(k.bytes).padStart(10)}  (fetched ${k.fetchedItems}, ${formatSize(k.fetchedBytes)})`,
    );
  o.out(
    `Bundled ${run.recipes.join(', ')} (${done} step${done === 1 ? '' : 's'}) in ${tilde(o, dir)}: ${sum.items} item${sum.items === 1 ? '' : 's'}, ${formatSize(sum.bytes)}; ${sum.fetchedItems ? `fetched ${sum.fetchedItems} (${formatSize(sum.fetchedBytes)})` : 'nothing fetched: everything was there already'}${lock ? `; pins from ${tilde(o, lockFile)}` : ''}`,
  );
  o.out(
    `Use it: setup run ${run.recipes.at(-1) ?? ''} --mirror ${tilde(o, profileFile)}${lock ? ` --locked --lock ${tilde(o, path.join(dir, LOCK_FILE))}` : ''}`,
  );
  return ExitCode.ok;
}
