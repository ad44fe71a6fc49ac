import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, sha256, type Route } from '../helpers/archives.js';
import { git, mirrorRepo } from '../helpers/git-mirror.js';
import { makeIndex } from '../helpers/pip-index.js';
import { pipCli, hostHasVenv, python3 } from './pip-cli.js';
import { tempHome, writeRecipes, type CliResult } from './helpers.js';

/**
 * Issue 14, "done when": `setup run` → `setup lock` → `setup bundle -o DIR` (a second bundle fetches
 * nothing) → DIR moved → in a network namespace with no network at all and a fresh HOME, `setup run X
 * --locked --mirror DIR/profile.yaml` converges — git with nested submodules, a download, wheels, and (as
 * root with the Debian archive reachable) an apt package removed again in between — `setup lock` there
 * equals the first lock, `setup doctor` finds the bundle complete and no drift; a wheel deleted from the
 * bundle, doctor names it.
 */
/** `unshare -n` needs root (or user namespaces): where it does not work, the air-gapped test cannot run. */
const netless = (() => {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A secret in the download's URL: never written anywhere in the bundle. */
const TOKEN = 'bundle-token-7c1e2f';

/**
 * A small package Debian 12 has that this image does not, with no dependency outside the base system
 * (libc6): installed by the first run, removed again, installed from the bundle with no network, removed at
 * the end. (test/e2e/apt-bundle.test.ts uses another one, fortune-mod, so the two never race.)
 */
const APT_PKG = 'hello';
const aptInstalled = (name: string): boolean =>
  spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}', name], { encoding: 'utf8' }).stdout.startsWith('ii');
const purge = (name: string): void => {
  spawnSync('apt-get', ['purge', '-y', '-o', 'DPkg::Lock::Timeout=300', name], { stdio: 'ignore' });
};

/** Why the apt part cannot run here (not root, not Debian, the package there already, no archive), or undefined. */
async function aptWhyNot(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'installing packages needs root';
  if (!fs.existsSync('/usr/bin/apt-get') || !fs.existsSync('/usr/bin/dpkg-deb')) return 'not a Debian host';
  if (aptInstalled(APT_PKG)) return `${APT_PKG} is installed already: the test would remove it`;
  const uri = /^'([^']+)'/m.exec(
    spawnSync('apt-get', ['--print-uris', 'download', APT_PKG], { encoding: 'utf8' }).stdout,
  )?.[1];
  if (!uri) return `apt knows no ${APT_PKG}`;
  if (!/^https?:/.test(uri)) return undefined;
  const ok = await fetch(uri, { method: 'HEAD', signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.ok,
    () => false,
  );
  return ok ? undefined : `the Debian archive is not reachable (${uri})`;
}
const aptSkip = netless ? await aptWhyNot() : 'no network namespaces';
if (aptSkip) console.warn(`[bundle] the apt part is left out: ${aptSkip}`);

/** `setup …` isolated from the host's pip; `offline`: in a new network namespace, whose only loopback is down (not even 127.0.0.1). */
const cli = (args: string[], home: string, opts: { offline?: boolean } = {}): Promise<CliResult> =>
  pipCli(args, home, { ENVKIT_BUNDLE_TOKEN: TOKEN }, opts.offline ? ['unshare', '-n'] : []);

/** Every file under a folder served over HTTP (a folder's URL serves its index.html, as a simple index does). */
function routesOf(dir: string, prefix: string): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    const body = fs.readFileSync(path.join(dir, rel));
    // pip reads an index page only as text/html.
    const route: Route = rel.endsWith('.html')
      ? (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(body)
      : body;
    routes[`${prefix}/${rel}`] = route;
    if (e.name === 'index.html') routes[`${prefix}/${path.dirname(rel)}/`.replace('/./', '/')] = route;
  }
  return routes;
}

type LockFile = { format: number; recipes: Record<string, { installed?: Record<string, unknown> }[]> };

/**
 * A lock with what must differ between two machines made equal: the absolute paths under each HOME (the
 * clone's dest, the venv, the download's dest) written `~`. Everything else — commits, submodule URLs and
 * commits, every distribution and version, the Python version, sha256 and sizes — must be the same.
 */
function portable(text: string, home: string): LockFile {
  return parseYaml(text.split(home).join('~')) as LockFile;
}

const listFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

describe.skipIf(!hostHasVenv)(
  'setup bundle: a machine with no network runs the recipe from the bundle',
  { timeout: 300_000 },
  () => {
    const root = tempHome('envkit-bundle-');
    let server: Awaited<ReturnType<typeof serve>>;
    let blob: Buffer;
    const recipes = path.join(root, 'recipes');
    const profile = path.join(root, 'local.yaml');

    beforeAll(async () => {
      blob = Buffer.from('a release asset\n'.repeat(100));
      // The project on "github.com" (file:// bare repos through the profile): one submodule written
      // git@github.com:, which has one of its own written https://github.com/.
      const deep = await mirrorRepo(root, 'envkit/bundle-deep');
      const lib = await mirrorRepo(root, 'envkit/bundle-lib', [
        { path: 'vendor/deep', url: 'https://github.com/envkit/bundle-deep.git', commit: deep.recorded },
      ]);
      const work = path.join(root, 'work-app');
      fs.mkdirSync(work, { recursive: true });
      fs.writeFileSync(path.join(work, 'README.md'), 'app\n');
      fs.writeFileSync(
        path.join(work, '.gitmodules'),
        '[submodule "third_party/lib"]\n\tpath = third_party/lib\n\turl = git@github.com:envkit/bundle-lib.git\n',
      );
      await git(work, ['init', '--quiet', '--initial-branch=main', work]);
      await git(work, ['-C', work, 'add', '.']);
      await git(work, ['-C', work, 'update-index', '--add', '--cacheinfo', `160000,${lib.recorded},third_party/lib`]);
      await git(work, [
        '-C',
        work,
        '-c',
        'user.name=F',
        '-c',
        'user.email=f@example.com',
        'commit',
        '--quiet',
        '-m',
        'app',
      ]);
      await git(work, ['-C', work, 'tag', 'v1.0']);
      await git(work, [
        'clone',
        '--quiet',
        '--bare',
        work,
        path.join(root, 'mirror', 'github.com', 'envkit', 'app.git'),
      ]);
      // The wheel index and the release file, over HTTP on 127.0.0.1 (unreachable from the namespace).
      makeIndex(python3!, path.join(root, 'index'));
      server = await serve({ ...routesOf(path.join(root, 'index'), '/pypi'), '/dl/asset.bin': blob });
      fs.writeFileSync(
        profile,
        [
          'name: local',
          `pip: { index-url: "${server.base}/pypi/simple/" }`,
          `git: { rewrite: { "https://github.com/": "file://${root}/mirror/github.com/", "git@github.com:": "file://${root}/mirror/github.com/" } }`,
          `urls: { rewrite: { "https://downloads.example.invalid/": "${server.base}/dl/" } }`,
          '',
        ].join('\n'),
      );
      writeRecipes(recipes, {
        'app.yaml': `name: app
description: a clone with nested submodules, a download, a venv with packages
steps:
  - name: sources
    git: { repo: "https://github.com/envkit/app.git", ref: v1.0, dest: ~/src/app, submodules: true }
  - download: { url: "https://downloads.example.invalid/asset.bin?token={{ secrets.ENVKIT_BUNDLE_TOKEN }}", sha256: "${sha256(blob)}", dest: ~/opt/asset.bin }
  - venv: { path: ~/venvs/app }
  - name: packages
    pip: { venv: ~/venvs/app, packages: ["envkit-demo-b>=0.5"] }
  - name: never here
    pip: [envkit-demo-c]
    when: { os: plan9 }
${aptSkip ? '' : `  - name: a package\n    packages: [${APT_PKG}]\n`}`,
      });
    }, 120_000);

    afterAll(async () => {
      await server?.close();
    });

    it.skipIf(!netless)(
      'run → lock → bundle → (moved, no network, fresh HOME) run → the same lock; doctor checks the bundle',
      async () => {
        const home = tempHome();
        const args = ['--recipes', recipes, '--mirror', profile];

        // 1. Install and lock on the machine with network.
        const run = await cli([...args, 'run', 'app'], home);
        expect(run.code, run.stderr).toBe(0);
        const lock1 = await cli([...args, 'lock', 'app'], home);
        expect(lock1.code, lock1.stderr).toBe(0);
        const lockText = fs.readFileSync(path.join(home, 'envkit.lock'), 'utf8');

        // 2. Bundle (./envkit.lock gives the pins and commits), then again: nothing fetched.
        const first = path.join(root, 'bundle-first');
        const b1 = await cli([...args, 'bundle', 'app', '-o', first], home);
        expect(b1.code, b1.stderr).toBe(0);
        expect(b1.stdout).toContain('Bundled app');
        expect(b1.stdout).toMatch(/fetched [1-9]/);
        const b2 = await cli([...args, 'bundle', 'app', '-o', first, '--json'], home);
        expect(b2.code, b2.stderr).toBe(0);
        const j2 = JSON.parse(b2.stdout) as { summary: { fetchedItems: number; items: number }; lock: string };
        expect(j2.summary.fetchedItems).toBe(0);
        expect(j2.summary.items).toBeGreaterThanOrEqual(6); // 3 mirrors, 2 wheels, 1 file
        expect(j2.lock).toBe(path.join(home, 'envkit.lock'));

        const files = listFiles(first);
        expect(files).toEqual(
          expect.arrayContaining([
            'README',
            'bundle.json',
            'profile.yaml',
            'envkit.lock',
            'pip/simple/index.html',
            'pip/simple/envkit-demo-a/index.html',
            'pip/files/envkit_demo_a-2.0-py3-none-any.whl',
            'pip/files/envkit_demo_b-0.5-py3-none-any.whl',
            `files/${sha256(blob)}/asset.bin`,
          ]),
        );
        expect(files.some((f) => f.startsWith('git/github.com/envkit/app.git/'))).toBe(true);
        expect(files.some((f) => f.startsWith('git/github.com/envkit/bundle-lib.git/'))).toBe(true);
        expect(files.some((f) => f.startsWith('git/github.com/envkit/bundle-deep.git/'))).toBe(true);
        expect(files.some((f) => /^pip\/files\/(pip|setuptools)-/.test(f))).toBe(false); // the venv brings its own
        // The secret is nowhere in the bundle; no address outside it in its profile.
        for (const f of files) expect(fs.readFileSync(path.join(first, f)).includes(TOKEN), f).toBe(false);
        const bundleProfile = fs.readFileSync(path.join(first, 'profile.yaml'), 'utf8');
        expect(bundleProfile).not.toContain(root);
        expect(bundleProfile).not.toContain('127.0.0.1');
        const p = parseYaml(bundleProfile) as {
          pip: Record<string, string>;
          git: { rewrite: Record<string, string> };
          urls: { rewrite: Record<string, string> };
        };
        expect(p.pip['index-url']).toBe('./pip/simple/');
        expect(p.git.rewrite).toEqual({
          'https://github.com/envkit/app.git': './git/github.com/envkit/app.git',
          'git@github.com:envkit/bundle-lib.git': './git/github.com/envkit/bundle-lib.git',
          'https://github.com/envkit/bundle-deep.git': './git/github.com/envkit/bundle-deep.git',
        });
        expect(p.urls.rewrite).toEqual({
          'https://downloads.example.invalid/asset.bin': `./files/${sha256(blob)}/asset.bin`,
        });
        // The lock it was made from travels with it.
        expect(fs.readFileSync(path.join(first, 'envkit.lock'), 'utf8')).toBe(lockText);
        if (!aptSkip) {
          expect((p as { apt?: unknown }).apt).toEqual({ repository: './apt' });
          expect(files.some((f) => new RegExp(`^apt/${APT_PKG}_[^/]+\\.deb$`).test(f))).toBe(true);
          expect(files).toEqual(expect.arrayContaining(['apt/Packages', 'apt/Packages.gz']));
          // What the first run installed goes again: the machine with no network installs it from the bundle.
          purge(APT_PKG);
          expect(aptInstalled(APT_PKG)).toBe(false);
        }

        // 3. Carried elsewhere (a folder with a space and "=" in its path): the original mirrors are gone too.
        const dir = path.join(root, 'carried here', 'k=v', 'bundle');
        fs.mkdirSync(path.dirname(dir), { recursive: true });
        fs.renameSync(first, dir);
        fs.renameSync(path.join(root, 'mirror'), path.join(root, 'mirror.away'));
        try {
          // 4. The machine with no network, a fresh HOME: doctor first, then run, then lock.
          const away = tempHome();
          const offline = ['--recipes', recipes, '--mirror', path.join(dir, 'profile.yaml')];
          const carriedLock = ['--lock', path.join(dir, 'envkit.lock')];
          const doc0 = await cli([...offline, 'doctor', 'app', '--offline'], away, { offline: true });
          expect(doc0.stdout, doc0.stderr).toContain(`✓ bundle  ${dir} has what its ${aptSkip ? 3 : 4} steps fetch`);

          const run2 = await cli([...offline, 'run', 'app', '--locked', ...carriedLock], away, { offline: true });
          expect(run2.code, run2.stderr).toBe(0);
          if (!aptSkip) expect(aptInstalled(APT_PKG)).toBe(true);
          const drift = await cli([...offline, 'doctor', 'app', '--offline', ...carriedLock], away, {
            offline: true,
          });
          expect(drift.code, drift.stdout + drift.stderr).toBe(0);
          expect(drift.stdout).not.toMatch(/locked .*, (installed|checked out)/);
          const again = await cli([...offline, 'plan', 'app'], away, { offline: true });
          expect(again.code, again.stderr).toBe(0);
          expect(again.stdout).toContain('Nothing to do');
          const lock2 = await cli([...offline, 'lock', 'app'], away, { offline: true });
          expect(lock2.code, lock2.stderr).toBe(0);
          expect(portable(fs.readFileSync(path.join(away, 'envkit.lock'), 'utf8'), away)).toEqual(
            portable(lockText, home),
          );

          // 5. Doctor: complete; a wheel deleted, doctor names it (exit 1).
          const doc = await cli([...offline, 'doctor', 'app', '--offline'], away, { offline: true });
          expect(doc.code, doc.stdout + doc.stderr).toBe(0);
          expect(doc.stdout).toContain('✓ bundle');
          // A wheel whose bytes changed (cut short, appended to) is named as damaged, not taken as there.
          const wheelB = path.join(dir, 'pip', 'files', 'envkit_demo_b-0.5-py3-none-any.whl');
          const wheelBytes = fs.readFileSync(wheelB);
          fs.appendFileSync(wheelB, 'garbage');
          const damaged = await cli([...offline, 'doctor', 'app', '--offline'], away, { offline: true });
          expect(damaged.code).toBe(1);
          expect(damaged.stdout).toContain(
            '✗ bundle  app#4 pip: pip/files/envkit_demo_b-0.5-py3-none-any.whl is damaged (its sha256 is not the one bundle.json records)',
          );
          fs.writeFileSync(wheelB, wheelBytes);
          // The index page gone: pip could not find the wheel, so doctor says the bundle lacks it.
          const pageB = path.join(dir, 'pip', 'simple', 'envkit-demo-b', 'index.html');
          const pageBytes = fs.readFileSync(pageB);
          fs.rmSync(pageB);
          const noPage = await cli([...offline, 'doctor', 'app', '--offline'], away, { offline: true });
          expect(noPage.code).toBe(1);
          expect(noPage.stdout).toContain(
            '✗ bundle  app#4 pip: the index pip/simple/ does not list envkit_demo_b-0.5-py3-none-any.whl',
          );
          fs.writeFileSync(pageB, pageBytes);
          // The manifest gone: the bundle cannot be checked, said so (not "no problems").
          fs.renameSync(path.join(dir, 'bundle.json'), path.join(dir, 'bundle.json.away'));
          const noManifest = await cli([...offline, 'doctor', 'app', '--offline'], away, { offline: true });
          expect(noManifest.code).toBe(2);
          expect(noManifest.stderr).toContain(`${path.join(dir, 'bundle.json')} is missing`);
          fs.renameSync(path.join(dir, 'bundle.json.away'), path.join(dir, 'bundle.json'));
          fs.rmSync(path.join(dir, 'pip', 'files', 'envkit_demo_a-2.0-py3-none-any.whl'));
          const broken = await cli([...offline, 'doctor', 'app', '--offline'], away, { offline: true });
          expect(broken.code).toBe(1);
          expect(broken.stdout).toContain('✗ bundle  app#4 pip: envkit-demo-a==2.0 is not in pip/files/');
          const json = await cli([...offline, 'doctor', 'app', '--offline', '--json'], away, { offline: true });
          const items = (JSON.parse(json.stdout) as { items: { label: string; status: string; message: string }[] })
            .items;
          expect(items.filter((i) => i.label === 'bundle' && i.status === 'fail').map((i) => i.message)).toEqual([
            'app#4 pip: envkit-demo-a==2.0 is not in pip/files/',
          ]);
        } finally {
          fs.renameSync(path.join(root, 'mirror.away'), path.join(root, 'mirror'));
          if (!aptSkip) purge(APT_PKG);
        }
      },
    );

    it('without a lock, for another interpreter: a failing step writes no profile or manifest; bundling again adds only what was missing', async () => {
      const home = tempHome();
      const dir = path.join(root, 'bundle-foreign');
      // The release file is not where the profile says: that step fails, the others fill the folder.
      const broken = path.join(root, 'broken.yaml');
      fs.writeFileSync(
        broken,
        fs.readFileSync(profile, 'utf8').replace(`"${server.base}/dl/"`, `"${server.base}/nowhere/"`),
      );
      const foreign = ['--python-version', '3.9', '--platform', 'manylinux2014_x86_64'];
      const bad = await cli(['--recipes', recipes, '--mirror', broken, 'bundle', 'app', '-o', dir, ...foreign], home);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('✗ app#2 download');
      expect(bad.stderr).toContain('1 step could not be bundled');
      expect(bad.stderr).not.toContain(TOKEN);
      expect(fs.existsSync(path.join(dir, 'profile.yaml'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'bundle.json'))).toBe(false);
      expect(listFiles(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
      expect(fs.existsSync(path.join(dir, 'pip', 'files', 'envkit_demo_b-0.5-py3-none-any.whl'))).toBe(true);

      const good = await cli(
        ['--recipes', recipes, '--mirror', profile, 'bundle', 'app', '-o', dir, ...foreign, '--json'],
        home,
      );
      expect(good.code, good.stderr).toBe(0);
      const j = JSON.parse(good.stdout) as {
        lock: string | null;
        summary: { kinds: { kind: string; fetchedItems: number }[] };
      };
      expect(j.lock).toBeNull();
      // Only the file was missing: the mirrors and wheels were there already.
      expect(j.summary.kinds.map((k) => [k.kind, k.fetchedItems])).toEqual([
        ['download', 1],
        ['git', 0],
        ...(aptSkip ? [] : [['packages', 0]]),
        ['pip', 0],
      ]);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'bundle.json'), 'utf8')) as {
        target: unknown;
        steps: { id: string; locked: boolean; items: { path: string; sha256?: string }[] }[];
      };
      expect(manifest.target).toEqual({ pythonVersion: '3.9', platform: 'manylinux2014_x86_64' });
      const pip = manifest.steps.find((s) => s.id === 'app#4')!;
      expect(pip.locked).toBe(false);
      expect(pip.items.map((i) => i.path).sort()).toEqual([
        'pip/files/envkit_demo_a-2.0-py3-none-any.whl',
        'pip/files/envkit_demo_b-0.5-py3-none-any.whl',
      ]);
      expect(pip.items.every((i) => /^[0-9a-f]{64}$/.test(i.sha256 ?? ''))).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'README'), 'utf8')).toContain(`setup run app --mirror`);
    });

    it('a lock that no longer fits the recipe (a package added since) is refused before anything is fetched', async () => {
      const home = tempHome();
      const lockFile = path.join(home, 'stale.lock');
      fs.writeFileSync(
        lockFile,
        [
          'format: 1',
          'recipes:',
          '  app:',
          '    - step: 4',
          '      kind: pip',
          '      name: packages',
          '      installed:',
          '        distributions:',
          '          envkit-demo-a: "2.0"',
          `        venv: ${home}/venvs/app`,
          '',
        ].join('\n'),
      );
      const dir = path.join(root, 'bundle-stale');
      const r = await cli(
        ['--recipes', recipes, '--mirror', profile, 'bundle', 'app', '-o', dir, '--lock', lockFile],
        home,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'app#4 pip: the recipe asks for envkit-demo-b>=0.5, which the lock does not have (added since it was locked)',
      );
      expect(fs.existsSync(dir)).toBe(false);
    });

    it('-o . in a project folder: its own README and profile.yaml are not written over (exit 2, nothing fetched)', async () => {
      const home = tempHome();
      const project = path.join(root, 'project');
      fs.mkdirSync(project, { recursive: true });
      fs.writeFileSync(path.join(project, 'README'), 'my project\n');
      fs.writeFileSync(path.join(project, 'profile.yaml'), 'name: mine\n');
      const r = await cli(['--recipes', recipes, '--mirror', profile, 'bundle', 'app', '-o', project], home);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is not a bundle, yet holds README, profile.yaml, which a bundle would write over');
      expect(fs.readFileSync(path.join(project, 'README'), 'utf8')).toBe('my project\n');
      expect(fs.readdirSync(project).sort()).toEqual(['README', 'profile.yaml']);
    });
  },
);
