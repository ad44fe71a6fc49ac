import fs from 'node:fs/promises';
import path from 'node:path';
import type { Runner } from '../../util/process.js';
import { hashFile } from '../download/cache.js';
import type { BundleContext, BundleItem, BundleResult, LockEntry } from '../types.js';
import {
  BASE_QUERY,
  closure,
  DEPENDS_ONLY,
  parseAptDepends,
  parseAptShow,
  parseBaseSystem,
  parseReverseProvides,
  type AptRecord,
  type DependsGraph,
} from './apt-depends.js';
import { debFileName } from './apt-index.js';
import { writeAptIndex } from './apt-index-write.js';
import type { DpkgStatus } from './dpkg-status.js';
import { isInstalled } from './dpkg-status.js';

/** The subfolder of the bundle the .deb files and their index go to, as the bundle's profile names it. */
export const APT_DIR = 'apt';

/** apt-cache / apt-get with the options that pick the sources (the host's, or a private repository's). */
export interface AptCall {
  runner: Runner;
  options: readonly string[];
  signal?: AbortSignal;
}

async function apt(call: AptCall, tool: string, args: string[], cwd?: string): Promise<string> {
  const argv = [tool, ...call.options, ...args];
  const r = await call.runner.run({
    argv,
    ...(cwd ? { cwd } : {}),
    env: { LC_ALL: 'C' },
    timeoutMs: tool === 'apt-get' ? 1_800_000 : 300_000,
    ...(call.signal ? { signal: call.signal } : {}),
  });
  if (r.spawnError) throw new Error(`${tool}: ${r.spawnError}`);
  // apt-cache exits 100 when one of several names is unknown, yet prints the others: the caller sees what is absent.
  if (r.exitCode !== 0 && !(tool === 'apt-cache' && r.stdout.trim())) {
    const why = (
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => /^E:/.test(l))[0] ?? r.stderr.trim()
    ).slice(0, 300);
    throw new Error(`${[tool, ...args.slice(0, 3)].join(' ')}${args.length > 3 ? ' …' : ''} failed: ${why}`);
  }
  return r.stdout;
}

/** What a packages step needs from apt: the records of the packages to carry, and names nothing provides. */
export interface AptSet {
  records: AptRecord[];
  unresolved: string[];
}

/**
 * The packages `names` need on a target with only the base system (Essential and required packages, which
 * every Debian has, are left out with what they depend on: see parseBaseSystem): each at its locked version when the lock has
 * one, else the candidate, with its Depends/Pre-Depends closure at the candidate versions. A virtual name
 * becomes its provider (the lock's, else an installed one, else the first apt lists). A dependency known
 * only from dpkg's status (installed here, not in the sources apt is given) is not needed from the bundle;
 * a package `names` gives is (unresolved when the sources lack it or its locked version).
 */
export async function resolveAptSet(
  call: AptCall,
  names: readonly string[],
  locked: LockEntry | undefined,
  status: DpkgStatus,
): Promise<AptSet> {
  const pins = new Map<string, string>();
  const roots: string[] = [];
  const lockedPackages = (locked?.packages ?? {}) as Record<string, { version?: string; package?: string }>;
  for (const n of names) {
    const l = lockedPackages[n];
    const real = l?.package ?? isInstalled(status, n) ?? n;
    if (l?.version) pins.set(real, l.version);
    roots.push(real);
  }
  const spec = (n: string): string => (pins.has(n) ? `${n}=${pins.get(n)}` : n);
  const q = await call.runner.run({ argv: BASE_QUERY, env: { LC_ALL: 'C' }, timeoutMs: 60_000 });
  if (q.spawnError || q.exitCode !== 0) throw new Error(`dpkg-query failed: ${(q.spawnError ?? q.stderr).trim()}`);
  const baseRoots = parseBaseSystem(q.stdout);
  const graph: DependsGraph = parseAptDepends(
    await apt(call, 'apt-cache', ['depends', ...DEPENDS_ONLY, ...roots.map(spec), ...baseRoots]),
  );
  const installed = (n: string): boolean => !!isInstalled(status, n);
  const base = new Set(closure(graph, baseRoots, { leaveOut: () => false, installed }));
  const unresolved: string[] = [];
  for (const [i, r] of roots.entries()) {
    if (graph.has(r)) continue;
    // A virtual name (`awk`): apt-cache depends prints nothing under it; its providers are in showpkg.
    const providers = parseReverseProvides(await apt(call, 'apt-cache', ['showpkg', r]).catch(() => ''));
    const p = providers.find((x) => isInstalled(status, x)) ?? providers[0];
    if (!p) {
      unresolved.push(spec(r));
      continue;
    }
    roots[i] = p;
    for (const [k, v] of parseAptDepends(await apt(call, 'apt-cache', ['depends', ...DEPENDS_ONLY, p])))
      graph.set(k, v);
  }
  const order = closure(
    graph,
    roots.filter((r) => graph.has(r)),
    { leaveOut: (n) => base.has(n), installed },
  );
  const records = order.length
    ? parseAptShow(await apt(call, 'apt-cache', ['show', '--no-all-versions', ...order.map(spec)]))
    : new Map<string, AptRecord>();
  const out: AptRecord[] = [];
  // A package the step names must come from the archive, even when it is installed here (the target has
  // not got it): a locked version only dpkg's status still knows leaves the bundle without it otherwise.
  const named = new Set(roots);
  for (const n of order) {
    const r = records.get(n);
    if (r) out.push(r);
    else if (named.has(n)) unresolved.push(spec(n));
    else if (!isInstalled(status, n)) unresolved.push(n);
  }
  return { records: out, unresolved };
}

/** Is the .deb for `r` in `dir` with the archive's checksum? */
async function present(dir: string, r: AptRecord): Promise<{ ok: boolean; bytes: number }> {
  const file = path.join(dir, debFileName(r.filename));
  const st = await fs.stat(file).catch(() => null);
  if (!st?.isFile() || st.size !== r.size) return { ok: false, bytes: 0 };
  return { ok: (await hashFile(file).catch(() => '')) === r.sha256, bytes: st.size };
}

/**
 * `apt-get download`s `records` into a temp folder inside `dir`, then moves each file whose sha256 is the
 * archive's into place: a failed or interrupted download leaves no partial .deb (the ones that did arrive
 * whole are kept, so the next run fetches only the rest).
 */
async function download(call: AptCall, dir: string, records: readonly AptRecord[]): Promise<void> {
  const temp = await fs.mkdtemp(path.join(dir, '.envkit-tmp-download-'));
  try {
    const failure = await apt(
      call,
      'apt-get',
      ['download', '-q', ...records.map((r) => `${r.package}=${r.version}`)],
      temp,
    ).then(
      () => undefined,
      (e: Error) => e,
    );
    const bySha = new Map(records.map((r) => [r.sha256, r]));
    for (const f of await fs.readdir(temp)) {
      const r = bySha.get(await hashFile(path.join(temp, f)));
      if (r) await fs.rename(path.join(temp, f), path.join(dir, debFileName(r.filename)));
    }
    if (failure) throw failure;
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

/**
 * The packages kind's bundle hook for apt: the .deb files of the step's packages and their dependencies
 * (see resolveAptSet) in DIR/apt/, with a flat repository index (Packages, Packages.gz, Release) over every
 * .deb there; files already there with the archive's checksum are not fetched again. With `checkOnly`,
 * lists the packages (`name=version`) the folder lacks instead.
 */
export async function bundleApt(
  names: readonly string[],
  ctx: BundleContext,
  call: AptCall,
  status: DpkgStatus,
): Promise<BundleResult> {
  const dir = path.join(ctx.dir, APT_DIR);
  const profile = { apt: { repository: `./${APT_DIR}` } };
  ctx.progress('apt: resolving the packages and their dependencies');
  const set = await resolveAptSet(call, names, ctx.locked, status);
  const missing = set.unresolved.map(
    (n) =>
      `apt: none of apt's sources has ${n}${isInstalled(status, n.split('=')[0]!) ? ' (only installed here: a bundle needs its .deb)' : ', nor is it installed'}: check the name (or the lock's version: upgrade it and lock again) and the sources`,
  );
  const have = await Promise.all(set.records.map((r) => present(dir, r)));
  const lacking = set.records.filter((_, i) => !have[i]!.ok);
  if (ctx.checkOnly) {
    missing.push(...lacking.map((r) => `apt: ${dir} lacks ${r.package}=${r.version}`));
    if (set.records.length && !(await fs.stat(path.join(dir, 'Packages')).catch(() => null)))
      missing.push(`apt: ${dir} has no Packages index (run setup bundle again)`);
    return { items: items(set.records, have, new Set()), missing, profile };
  }
  if (set.unresolved.length) throw new Error(missing.join('; '));
  await fs.mkdir(dir, { recursive: true });
  if (lacking.length) {
    ctx.progress(`apt: downloading ${lacking.length} package${lacking.length === 1 ? '' : 's'}`);
    await download(call, dir, lacking);
  }
  ctx.progress('apt: writing the repository index');
  await writeAptIndex(dir, call.runner);
  const after = await Promise.all(set.records.map((r) => present(dir, r)));
  const still = set.records.filter((_, i) => !after[i]!.ok);
  if (still.length)
    throw new Error(`apt-get download did not give ${still.map((r) => `${r.package}=${r.version}`).join(', ')}`);
  return { items: items(set.records, after, new Set(lacking)), missing: [], profile };
}

function items(records: readonly AptRecord[], have: { bytes: number }[], fetched: Set<AptRecord>): BundleItem[] {
  return records.map((r, i) => ({
    path: `${APT_DIR}/${debFileName(r.filename)}`,
    bytes: have[i]!.bytes || r.size,
    fetched: fetched.has(r),
  }));
}
