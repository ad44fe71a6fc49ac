import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, sha256 } from '../helpers/archives.js';
import { git, mirrorRepo } from '../helpers/git-mirror.js';
import { makeIndex } from '../helpers/pip-index.js';
import { which } from '../../src/util/which.js';
import { pipCli, hostHasVenv, python3 } from './pip-cli.js';
import { tempHome, writeRecipes, type CliResult } from './helpers.js';

/**
 * Issue 14, the second "done when" test: `setup run` → `setup lock` → versions changed by hand (another
 * distribution in the venv, another commit checked out, the downloaded file replaced) → `setup doctor` shows
 * each drift on its own line and exits 1 → `setup plan --locked` shows those steps pending with what differs
 * (`--exit-code` 3) → `setup run --locked` puts them back → doctor is clean → `setup lock` writes the same
 * bytes. And a lock that cannot be installed (a version the index lacks, a step or recipe not locked) stops
 * `run --locked` before anything runs (exit 2).
 */
const dpkgQuery = which('dpkg-query');

const cli = (args: string[], home: string): Promise<CliResult> => pipCli(args, home);

const rev = (dir: string, ref = 'HEAD'): string =>
  execFileSync('git', ['-C', dir, 'rev-parse', ref], { encoding: 'utf8' }).trim();

interface LockShape {
  format: number;
  recipes: Record<string, { step: number; kind: string; installed?: Record<string, unknown> }[]>;
}

describe.skipIf(!hostHasVenv || !dpkgQuery)(
  'setup run --locked, plan --locked and drift in doctor',
  { timeout: 300_000 },
  () => {
    const root = tempHome('envkit-locked-');
    let server: Awaited<ReturnType<typeof serve>>;
    let blob: Buffer;
    const recipes = path.join(root, 'recipes');
    const profile = path.join(root, 'local.yaml');
    let lib: Awaited<ReturnType<typeof mirrorRepo>>;

    beforeAll(async () => {
      blob = Buffer.from('a release asset\n'.repeat(100));
      server = await serve({ '/dl/asset.bin': blob });
      lib = await mirrorRepo(root, 'envkit/locked-lib');
      // The project: v1.0 with a submodule, then one more commit on main (what "another commit" checks out).
      const work = path.join(root, 'work-app');
      fs.mkdirSync(work, { recursive: true });
      fs.writeFileSync(path.join(work, 'README.md'), 'app\n');
      fs.writeFileSync(
        path.join(work, '.gitmodules'),
        '[submodule "third_party/lib"]\n\tpath = third_party/lib\n\turl = git@github.com:envkit/locked-lib.git\n',
      );
      const commit = (m: string) =>
        git(work, ['-C', work, '-c', 'user.name=F', '-c', 'user.email=f@example.com', 'commit', '--quiet', '-m', m]);
      await git(work, ['init', '--quiet', '--initial-branch=main', work]);
      await git(work, ['-C', work, 'add', '.']);
      await git(work, ['-C', work, 'update-index', '--add', '--cacheinfo', `160000,${lib.recorded},third_party/lib`]);
      await commit('app');
      await git(work, ['-C', work, 'tag', 'v1.0']);
      fs.writeFileSync(path.join(work, 'README.md'), 'app, later\n');
      await git(work, ['-C', work, 'add', 'README.md']);
      await commit('later');
      await git(work, [
        'clone',
        '--quiet',
        '--bare',
        work,
        path.join(root, 'mirror', 'github.com', 'envkit', 'app.git'),
      ]);
      makeIndex(python3!, path.join(root, 'index'));
      fs.writeFileSync(
        profile,
        [
          'name: local',
          `pip: { index-url: "file://${root}/index/simple" }`,
          `git: { rewrite: { "https://github.com/": "file://${root}/mirror/github.com/", "git@github.com:": "file://${root}/mirror/github.com/" } }`,
          `urls: { rewrite: { "https://downloads.example.invalid/": "${server.base}/dl/" } }`,
          '',
        ].join('\n'),
      );
      writeRecipes(recipes, {
        'app.yaml': `name: app
description: a clone with a submodule, a download, a venv with packages, a system package
steps:
  - packages: [coreutils]
  - name: sources
    git: { repo: "https://github.com/envkit/app.git", ref: v1.0, dest: ~/src/app, submodules: true }
  - download: { url: "https://downloads.example.invalid/asset.bin", sha256: "${sha256(blob)}", dest: ~/opt/asset.bin }
  - venv: { path: ~/venvs/app }
  - name: packages
    pip: { venv: ~/venvs/app, packages: ["envkit-demo-b>=0.5"] }
  - name: never here
    pip: [envkit-demo-c]
    when: { os: plan9 }
`,
      });
    }, 120_000);

    afterAll(async () => {
      await server?.close();
    });

    it('doctor shows each drift, plan --locked the fix, run --locked converges to the same lock', async () => {
      const home = tempHome();
      const args = ['--recipes', recipes, '--mirror', profile, '--prefix', path.join(home, 'prefix')];
      const lockFile = path.join(home, 'envkit.lock');
      const clone = path.join(home, 'src', 'app');
      const venvPython = path.join(home, 'venvs', 'app', 'bin', 'python');
      const asset = path.join(home, 'opt', 'asset.bin');

      const run = await cli([...args, 'run', 'app'], home);
      expect(run.code, run.stderr).toBe(0);
      const lock1 = await cli([...args, 'lock', 'app'], home);
      expect(lock1.code, lock1.stderr).toBe(0);
      const text = fs.readFileSync(lockFile, 'utf8');
      const locked = rev(clone);

      // A clean host: no drift, doctor passes.
      const clean = await cli([...args, 'doctor', 'app', '--offline'], home);
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);
      expect(clean.stdout).toContain('as ');

      // Drift by hand: another version in the venv, another commit checked out, the file replaced.
      execFileSync(
        venvPython,
        [
          '-m',
          'pip',
          'install',
          '-q',
          '--disable-pip-version-check',
          '--index-url',
          `file://${root}/index/simple`,
          'envkit-demo-a==1.0',
        ],
        { env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' } },
      );
      execFileSync('git', ['-C', clone, 'checkout', '--quiet', '--detach', 'origin/main']);
      const later = rev(clone);
      expect(later).not.toBe(locked);
      execFileSync('git', ['-C', path.join(clone, 'third_party', 'lib'), 'checkout', '--quiet', '--detach', lib.tip]);
      fs.writeFileSync(asset, 'something else\n');

      const doctor = await cli([...args, 'doctor', 'app', '--offline'], home);
      expect(doctor.code, doctor.stdout + doctor.stderr).toBe(1);
      const lines = doctor.stdout.split('\n');
      const line = (s: string) => lines.filter((l) => l.includes(s));
      expect(line('envkit-demo-a: locked 2.0, installed 1.0')).toHaveLength(1);
      expect(line(`git ~/src/app: locked ${locked.slice(0, 7)}, checked out ${later.slice(0, 7)}`)).toHaveLength(1);
      expect(
        line(`git third_party/lib: locked ${lib.recorded.slice(0, 7)}, checked out ${lib.tip.slice(0, 7)}`),
      ).toHaveLength(1);
      expect(line(`~/opt/asset.bin: locked sha256 ${sha256(blob).slice(0, 12)}`)).toHaveLength(1);
      expect(doctor.stdout).toContain('setup run --locked app');

      const dj = await cli([...args, 'doctor', 'app', '--offline', '--json'], home);
      expect(dj.code).toBe(1);
      const report = JSON.parse(dj.stdout) as { lock: string; drift: Record<string, unknown>[] };
      expect(report.lock).toBe(lockFile);
      expect(report.drift).toEqual([
        { recipe: 'app', step: 'app#2', kind: 'git', item: `git ${clone}`, locked, installed: later },
        {
          recipe: 'app',
          step: 'app#2',
          kind: 'git',
          item: 'git third_party/lib',
          locked: lib.recorded,
          installed: lib.tip,
        },
        {
          recipe: 'app',
          step: 'app#3',
          kind: 'download',
          item: asset,
          locked: sha256(blob),
          installed: sha256(Buffer.from('something else\n')),
        },
        { recipe: 'app', step: 'app#5', kind: 'pip', item: 'envkit-demo-a', locked: '2.0', installed: '1.0' },
      ]);

      // Without --locked, the pip step still holds (envkit-demo-b>=0.5 is met); with it, it is pending.
      const plan = await cli([...args, 'plan', 'app', '--locked', '--exit-code'], home);
      expect(plan.code, plan.stdout + plan.stderr).toBe(3);
      expect(plan.stdout).toContain('envkit-demo-a: locked 2.0, installed 1.0');
      expect(plan.stdout).toContain(`git ~/src/app: locked ${locked.slice(0, 7)}, checked out ${later.slice(0, 7)}`);
      const pj = await cli([...args, 'plan', 'app', '--locked', '--json'], home);
      const pjson = JSON.parse(pj.stdout) as { recipes: { steps: { id: string; state: string; reason: string }[] }[] };
      const states = Object.fromEntries(pjson.recipes[0]!.steps.map((s) => [s.id, s.state]));
      expect(states).toMatchObject({
        'app#1': 'satisfied',
        'app#2': 'pending',
        'app#3': 'pending',
        'app#5': 'pending',
      });
      const unlocked = await cli([...args, 'plan', 'app', '--json'], home);
      const ustates = (JSON.parse(unlocked.stdout) as typeof pjson).recipes[0]!.steps;
      expect(ustates.find((s) => s.id === 'app#5')!.state).toBe('satisfied');

      const fixed = await cli([...args, 'run', 'app', '--locked'], home);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(rev(clone)).toBe(locked);
      expect(rev(path.join(clone, 'third_party', 'lib'))).toBe(lib.recorded);
      const after = await cli([...args, 'doctor', 'app', '--offline'], home);
      expect(after.code, after.stdout + after.stderr).toBe(0);
      expect(after.stdout).not.toContain('drift');
      const again = await cli([...args, 'plan', 'app', '--locked', '--exit-code'], home);
      expect(again.code, again.stdout).toBe(0);

      const lock2 = await cli([...args, 'lock', 'app'], home);
      expect(lock2.code, lock2.stderr).toBe(0);
      expect(fs.readFileSync(lockFile, 'utf8')).toBe(text);
    });

    it('refuses a lock it cannot install before anything runs', async () => {
      const home = tempHome();
      const args = ['--recipes', recipes, '--mirror', profile, '--prefix', path.join(home, 'prefix')];
      const clone = path.join(home, 'src', 'app');
      expect((await cli([...args, 'run', 'app'], home)).code).toBe(0);
      expect((await cli([...args, 'lock', 'app'], home)).code).toBe(0);
      const lock = parseYaml(fs.readFileSync(path.join(home, 'envkit.lock'), 'utf8')) as LockShape;
      execFileSync('git', ['-C', clone, 'checkout', '--quiet', '--detach', 'origin/main']);
      const moved = rev(clone);
      const write = (name: string, l: LockShape): string => {
        const f = path.join(home, name);
        fs.writeFileSync(f, stringify(l));
        return f;
      };

      // A version the index does not have (pip's preview finds it): exit 2, the clone left where it is.
      const unknown = structuredClone(lock);
      (unknown.recipes.app!.find((s) => s.step === 5)!.installed!.distributions as Record<string, string>)[
        'envkit-demo-a'
      ] = '9.9';
      const r1 = await cli([...args, 'run', 'app', '--lock', write('unknown.lock', unknown)], home);
      expect(r1.code, r1.stderr).toBe(2);
      expect(r1.stderr).toContain('app#5 pip: the lock cannot be installed');
      expect(r1.stderr).toContain('envkit-demo-a==9.9: the index has 2.0');
      expect(r1.stderr).not.toMatch(/\bpip==/); // what is installed already is not what the index lacks
      expect(rev(clone)).toBe(moved);

      // A package version the archive does not have (apt-cache policy): the same.
      const apt = structuredClone(lock);
      (apt.recipes.app!.find((s) => s.step === 1)!.installed!.packages as Record<string, { version: string }>)[
        'coreutils'
      ]!.version = '0.0-0';
      const r3 = await cli([...args, 'run', 'app', '--lock', write('apt.lock', apt)], home);
      expect(r3.code, r3.stderr).toBe(2);
      expect(r3.stderr).toContain(
        'app#1 packages: the lock cannot be installed: coreutils 0.0-0 is not in the package archive',
      );
      expect(rev(clone)).toBe(moved);

      // A step missing from the lock, and a recipe missing from it: one line each, the fix named.
      const missing = structuredClone(lock);
      missing.recipes.app = missing.recipes.app!.filter((s) => s.step !== 5);
      const r2 = await cli([...args, 'run', 'app', '--locked', '--lock', write('missing.lock', missing)], home);
      expect(r2.code, r2.stderr).toBe(2);
      expect(r2.stderr).toMatch(
        /app\.yaml:\d+:\d+: error: app#5 pip: no entry in .*missing\.lock \(run `setup lock app`/,
      );
      const none = await cli([...args, 'run', 'app', '--lock', write('none.lock', { format: 1, recipes: {} })], home);
      expect(none.code, none.stderr).toBe(2);
      expect(none.stderr).toContain('recipe app is not in');
      const absent = await cli([...args, 'run', 'app', '--locked', '--lock', path.join(home, 'nope.lock')], home);
      expect(absent.code).toBe(2);
      expect(absent.stderr).toContain('no lock file at');
      expect(rev(clone)).toBe(moved);
    });
  },
);
