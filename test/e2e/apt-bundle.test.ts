import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FactStore } from '../../src/facts/store.js';
import { packagesKind } from '../../src/steps/packages.js';
import { privateApt } from '../../src/steps/packages/apt-repo.js';
import type { BundleContext, BundleResult, LockEntry, ResolvedStep, StepEnv } from '../../src/steps/types.js';
import { Memo } from '../../src/util/memo.js';
import { processRunner } from '../../src/util/process.js';
import { BIN, cliEnv, tempHome, writeRecipes, type CliResult } from './helpers.js';

/**
 * A small package that Debian 12 has and a fresh image does not, with a dependency that is not installed
 * either (librecode0); its other dependency (libc6) is part of every Debian and is left out of the bundle.
 */
const PKG = 'fortune-mod';
const DEP = 'librecode0';

const installed = (name: string): boolean =>
  spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}', name], { encoding: 'utf8' }).stdout.startsWith('ii');
const candidate = (name: string): string | undefined =>
  /Candidate: (\S+)/.exec(spawnSync('apt-cache', ['policy', name], { encoding: 'utf8' }).stdout)?.[1];

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'installing packages needs root';
  if (!fs.existsSync('/usr/bin/apt-get') || !fs.existsSync('/usr/bin/dpkg-deb'))
    return 'not a Debian host (no apt-get)';
  if (installed(PKG) || installed(DEP)) return `${PKG} or ${DEP} is installed already: the test would remove them`;
  if (!candidate(PKG) || candidate(PKG) === '(none)') return `apt knows no ${PKG} (no Debian archive in the sources)`;
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return '`unshare -n` fails here (no network namespaces)';
  return undefined;
}

/** Can this host fetch the package from its archive (a HEAD of the URI apt would download)? */
async function archiveReachable(): Promise<string | undefined> {
  const out = spawnSync('apt-get', ['--print-uris', 'download', PKG], { encoding: 'utf8' }).stdout;
  const uri = /^'([^']+)'/m.exec(out)?.[1];
  if (!uri) return `apt-get --print-uris download ${PKG} names no URI`;
  if (!/^https?:/.test(uri)) return undefined;
  const ok = await fetch(uri, { method: 'HEAD', signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.ok,
    () => false,
  );
  return ok ? undefined : `the Debian archive is not reachable (${uri})`;
}
const skip = whyNot() ?? (await archiveReachable());
if (skip) console.warn(`[apt-bundle] skipped: ${skip}`);

/** The built CLI inside a network namespace of its own: no network at all, not even loopback. */
function offline(args: string[], home: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'unshare',
      ['-n', process.execPath, BIN, ...args],
      { env: cliEnv(home), cwd: home, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: null, stdout, stderr });
      },
    );
  });
}

function stepEnv(home: string, profile: StepEnv['profile']): StepEnv {
  const cache = path.join(home, '.cache', 'envkit');
  return {
    runner: processRunner,
    facts: new FactStore(processRunner, process.env, home),
    paths: { home, cache } as StepEnv['paths'],
    prefix: path.join(home, 'prefix'),
    profile,
    processEnv: process.env,
    memo: new Memo(),
    cpus: 1,
  };
}

const step = { config: { packages: [PKG], update: false } } as unknown as ResolvedStep<never>;

function bundle(home: string, dir: string, more: Partial<BundleContext> = {}): Promise<BundleResult> {
  return packagesKind.bundle!(step, {
    dir,
    env: stepEnv(home, { name: 'default' } as StepEnv['profile']),
    checkOnly: false,
    progress: () => undefined,
    ...more,
  });
}

/** /var/lib/apt/lists as names and mtimes: the host's own lists must not change. */
const hostLists = (): string =>
  fs
    .readdirSync('/var/lib/apt/lists')
    .map((f) => `${f} ${fs.statSync(path.join('/var/lib/apt/lists', f)).mtimeMs}`)
    .join('\n');

describe.skipIf(!!skip)('apt offline: a bundle of .deb files installs with no network (as root)', () => {
  const weInstalled = new Set<string>();

  afterAll(() => {
    // Leave the host as it was: purge exactly what this test installed (no autoremove of anything else).
    const names = [...weInstalled].filter(installed);
    if (names.length)
      execFileSync('apt-get', ['purge', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', ...names], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
  }, 300_000);

  it('bundles the package and its dependencies, resumes, and installs them offline from the bundle', async () => {
    const home = tempHome();
    const dir = path.join(home, 'bundle');
    const version = candidate(PKG)!;

    const first = await bundle(home, dir);
    const debs = first.items.map((i) => i.path);
    expect(first.missing).toEqual([]);
    expect(first.profile).toEqual({ apt: { repository: './apt' } });
    expect(debs.some((p) => p.startsWith(`apt/${PKG}_`))).toBe(true);
    expect(debs.some((p) => p.startsWith(`apt/${DEP}_`))).toBe(true);
    // The base system (libc6 and what it needs) is on every Debian: not carried.
    expect(debs.some((p) => p.startsWith('apt/libc6_'))).toBe(false);
    expect(first.items.every((i) => i.fetched && i.bytes > 0)).toBe(true);
    for (const f of ['Packages', 'Packages.gz', 'Release']) expect(fs.existsSync(path.join(dir, 'apt', f))).toBe(true);
    const index = fs.readFileSync(path.join(dir, 'apt', 'Packages'), 'utf8');
    expect(index).toContain(`Package: ${PKG}\n`);
    expect(index).toContain(`Version: ${version}\n`);
    expect(fs.readdirSync(path.join(dir, 'apt')).filter((f) => f.startsWith('.'))).toEqual([]);
    for (const p of debs) weInstalled.add(path.basename(p).split('_')[0]!);

    // Resumable: what is there with the right checksum is not fetched again, and the index is unchanged.
    const indexTime = fs.statSync(path.join(dir, 'apt', 'Packages')).mtimeMs;
    const again = await bundle(home, dir);
    expect(again.items.map((i) => [i.path, i.fetched])).toEqual(debs.map((p) => [p, false]));
    expect(fs.statSync(path.join(dir, 'apt', 'Packages')).mtimeMs).toBe(indexTime);

    // checkOnly names what the folder lacks; a bundle run fetches only that.
    const depDeb = path.join(
      dir,
      debs.find((p) => p.startsWith(`apt/${DEP}_`))!,
    );
    fs.writeFileSync(depDeb, 'not a deb');
    const check = await bundle(home, dir, { checkOnly: true });
    expect(check.missing).toEqual([expect.stringMatching(new RegExp(`lacks ${DEP}=\\S+$`))]);
    const mended = await bundle(home, dir);
    expect(mended.items.filter((i) => i.fetched).map((i) => i.path)).toEqual([path.relative(dir, depDeb)]);

    // The lock's version is the one bundled.
    const locked: LockEntry = { manager: 'apt', packages: { [PKG]: { version } } };
    expect((await bundle(home, dir, { locked, checkOnly: true })).missing).toEqual([]);
    const bad = await bundle(home, dir, {
      locked: { manager: 'apt', packages: { [PKG]: { version: '0.0-nope' } } },
    }).then(
      () => 'bundled',
      (e: Error) => e.message,
    );
    expect(bad).toMatch(new RegExp(`^apt: none of apt's sources has ${PKG}=0\\.0-nope, nor is it installed: `));

    // The air-gapped machine: a fresh HOME, no network, only the bundle's profile.
    const target = tempHome();
    fs.writeFileSync(path.join(dir, 'profile.yaml'), 'name: bundle\napt: { repository: ./apt }\n');
    const recipes = writeRecipes(path.join(target, 'recipes'), {
      'fortune.yaml': `name: fortune\ndescription: a package from the bundle\nsteps:\n  - packages: [${PKG}]\n`,
    });
    const args = ['--recipes', recipes, '--mirror', path.join(dir, 'profile.yaml')];
    const lists = hostLists();
    const before = await offline([...args, 'plan', 'fortune', '--exit-code'], target);
    expect(before.code, before.stderr).toBe(3);
    expect(before.stdout).toContain(`not installed: ${PKG}`);
    expect(before.stdout).toContain(`install ${PKG} from ${path.join(dir, 'apt')}`);
    const run = await offline([...args, 'run', 'fortune'], target);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(installed(PKG) && installed(DEP)).toBe(true);
    const after = await offline([...args, 'plan', 'fortune', '--exit-code'], target);
    expect(after.code, after.stdout).toBe(0);
    expect(hostLists()).toBe(lists);

    // doctor's question on the target: is the bundle complete for this step? Asked of the bundle's repository.
    const targetEnv = stepEnv(target, {
      name: 'bundle',
      apt: { repository: path.join(dir, 'apt') },
    } as StepEnv['profile']);
    const complete = await packagesKind.bundle!(step, {
      dir,
      env: targetEnv,
      checkOnly: true,
      progress: () => undefined,
    });
    expect(complete.missing).toEqual([]);

    // A locked version (`name=version`) installs from the private repository too (simulated: it is installed now).
    const p = privateApt(path.join(dir, 'apt'), path.join(target, '.cache', 'envkit'));
    const sim = spawnSync(
      'unshare',
      ['-n', 'apt-get', ...p.options, 'install', '-s', '--reinstall', `${PKG}=${version}`],
      {
        encoding: 'utf8',
      },
    );
    expect(sim.status, sim.stderr).toBe(0);
    expect(sim.stdout).toContain(`Inst ${PKG} [${version}] (${version}`);
  }, 600_000);
});
