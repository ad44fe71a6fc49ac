import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, sha256 } from '../helpers/archives.js';
import { git, mirrorRepo } from '../helpers/git-mirror.js';
import { makeIndex } from '../helpers/pip-index.js';
import { which } from '../../src/util/which.js';
import { pipCli, hostHasVenv, python3 } from './pip-cli.js';
import { tempHome, writeRecipes, type CliResult } from './helpers.js';

/**
 * Issue 14, first slice: `setup lock` after a run records what is installed — the clone's commit and its
 * submodule's (with the URLs the recipe and .gitmodules write, not the mirror's), every distribution in
 * the venv, the download's sha256 and size, the package's installed version — and locking again writes
 * the same bytes. A recipe not run yet is refused, nothing written.
 */
const dpkgQuery = which('dpkg-query');

const cli = (args: string[], home: string): Promise<CliResult> => pipCli(args, home, { ENVKIT_LOCK_TOKEN: TOKEN });

/** A step's `installed:` map, as the test reads it. */
type Installed = Record<string, unknown> & { distributions: Record<string, string> };

/** A secret in the download's URL: masked in the lock, never written. */
const TOKEN = 'lock-token-5f3a9c';

const canon = (n: string): string => n.replace(/[-_.]+/g, '-').toLowerCase();

describe.skipIf(!hostHasVenv || !dpkgQuery)('setup lock records what a run installed', { timeout: 240_000 }, () => {
  const root = tempHome('envkit-lock-');
  let server: Awaited<ReturnType<typeof serve>>;
  let blob: Buffer;
  let libCommit = '';
  let deepCommit = '';
  const recipes = path.join(root, 'recipes');
  const profile = path.join(root, 'local.yaml');

  beforeAll(async () => {
    blob = Buffer.from('a release asset\n'.repeat(100));
    server = await serve({ '/dl/asset.bin': blob });
    // A project on "github.com" with one submodule written git@github.com:, served from file:// bare repos.
    // …and that submodule has one of its own, written https://github.com/ (the lock keeps both URLs as written).
    const deep = await mirrorRepo(root, 'envkit/lock-deep');
    deepCommit = deep.recorded;
    const lib = await mirrorRepo(root, 'envkit/lock-lib', [
      { path: 'vendor/deep', url: 'https://github.com/envkit/lock-deep.git', commit: deep.recorded },
    ]);
    libCommit = lib.recorded;
    const work = path.join(root, 'work-app');
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(path.join(work, 'README.md'), 'app\n');
    fs.writeFileSync(
      path.join(work, '.gitmodules'),
      '[submodule "third_party/lib"]\n\tpath = third_party/lib\n\turl = git@github.com:envkit/lock-lib.git\n',
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
    await git(work, ['clone', '--quiet', '--bare', work, path.join(root, 'mirror', 'github.com', 'envkit', 'app.git')]);
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
  - download: { url: "https://downloads.example.invalid/asset.bin?token={{ secrets.ENVKIT_LOCK_TOKEN }}", sha256: "${sha256(blob)}", dest: ~/opt/asset.bin }
    when: { os: linux }
  - venv: { path: ~/venvs/app }
  - name: packages
    pip: { venv: ~/venvs/app, packages: ["envkit-demo-b>=0.5"] }
  - name: never here
    pip: [envkit-demo-c]
    when: { os: plan9 }
  - run: ["true"]
`,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('refuses before a run, records every kind after it, and writes the same bytes twice', async () => {
    const home = tempHome();
    const args = ['--recipes', recipes, '--mirror', profile, '--prefix', path.join(home, 'prefix')];
    const lockFile = path.join(home, 'envkit.lock');

    const early = await cli([...args, 'lock', 'app'], home);
    expect(early.code, early.stderr).toBe(1);
    expect(early.stderr).toContain('nothing written');
    expect(early.stderr).toContain('app#2 git (sources)');
    expect(early.stderr).toContain('setup run app');
    expect(fs.existsSync(lockFile)).toBe(false);

    const run = await cli([...args, 'run', 'app'], home);
    expect(run.code, run.stderr).toBe(0);

    const lock1 = await cli([...args, 'lock', 'app'], home);
    expect(lock1.code, lock1.stderr).toBe(0);
    expect(lock1.stdout).toContain('Locked app');
    const text = fs.readFileSync(lockFile, 'utf8');
    const lock = parseYaml(text) as {
      format: number;
      recipes: Record<
        string,
        {
          step: number;
          kind: string;
          name?: string;
          skipped?: string;
          when?: Record<string, unknown>;
          installed?: Installed;
        }[]
      >;
    };
    expect(lock.format).toBe(1);
    const steps = lock.recipes.app!;
    // venv and run record nothing; the skipped pip step says why.
    expect(steps.map((s) => [s.step, s.kind])).toEqual([
      [1, 'packages'],
      [2, 'git'],
      [3, 'download'],
      [5, 'pip'],
      [6, 'pip'],
    ]);

    const pkgs = steps[0]!.installed;
    const coreutils = execFileSync('dpkg-query', ['-W', '-f', '${Version}\t${Architecture}', 'coreutils'], {
      encoding: 'utf8',
    }).split('\t');
    expect(pkgs).toEqual({ manager: 'apt', packages: { coreutils: { version: coreutils[0], arch: coreutils[1] } } });

    const clone = path.join(home, 'src', 'app');
    const head = execFileSync('git', ['-C', clone, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const sub = execFileSync('git', ['-C', path.join(clone, 'third_party', 'lib'), 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    expect(sub).toBe(libCommit);
    expect(steps[1]!.installed).toEqual({
      repo: 'https://github.com/envkit/app.git',
      ref: 'v1.0',
      dest: '~/src/app', // paths under HOME are written ~/…: the lock reads the same for another user
      commit: head,
      submodules: {
        'third_party/lib': { commit: sub, url: 'git@github.com:envkit/lock-lib.git' },
        'third_party/lib/vendor/deep': { commit: deepCommit, url: 'https://github.com/envkit/lock-deep.git' },
      },
    });
    expect(text).not.toContain('file://'); // the mirror's URLs are not the lock's
    expect(text).not.toContain(TOKEN);

    expect(steps[2]!.installed).toEqual({
      url: 'https://downloads.example.invalid/asset.bin?token=***',
      sha256: sha256(blob),
      size: blob.length,
      dest: '~/opt/asset.bin',
    });

    const venvPython = path.join(home, 'venvs', 'app', 'bin', 'python');
    const listed = JSON.parse(
      execFileSync(venvPython, ['-m', 'pip', 'list', '--format=json', '--disable-pip-version-check'], {
        encoding: 'utf8',
      }),
    ) as { name: string; version: string }[];
    const want = Object.fromEntries(listed.map((d) => [canon(d.name), d.version]));
    const pip = steps[3]! as { name?: string; installed: Installed };
    expect(pip.name).toBe('packages');
    expect(pip.installed.venv).toBe('~/venvs/app');
    expect(text).not.toContain(home);
    expect(pip.installed.python).toMatch(/^3\.\d+\.\d+$/);
    expect(pip.installed.distributions).toEqual(want);
    expect(pip.installed.distributions['envkit-demo-a']).toBe('2.0');
    expect(pip.installed.distributions['envkit-demo-b']).toBe('0.5');
    // Sorted in the file, as written.
    const names = Object.keys(pip.installed.distributions as object);
    expect(names).toEqual([...names].sort());
    expect(steps[2]!.when).toEqual({ os: 'linux' }); // the host facts that decided
    expect(steps[4]).toEqual({
      step: 6,
      kind: 'pip',
      name: 'never here',
      when: { os: 'linux' },
      skipped: expect.stringContaining('plan9'),
    });

    // Again: the same bytes, and the file is left alone; with no names, the recipes already in the lock.
    const mtime = fs.statSync(lockFile).mtimeMs;
    const lock2 = await cli([...args, 'lock', 'app'], home);
    expect(lock2.code, lock2.stderr).toBe(0);
    expect(lock2.stdout).toContain('Unchanged');
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(text);
    expect(fs.statSync(lockFile).mtimeMs).toBe(mtime);
    const other = path.join(home, 'other.lock');
    const lock3 = await cli([...args, 'lock', '--lock', other], home);
    expect(lock3.code, lock3.stderr).toBe(2); // no names, no lock there
    const lock4 = await cli([...args, 'lock', 'app', '--lock', other, '--json'], home);
    expect(lock4.code, lock4.stderr).toBe(0);
    expect(fs.readFileSync(other, 'utf8')).toBe(text);
    const json = JSON.parse(lock4.stdout) as { kind: string; status: string; changed: boolean; lock: unknown };
    expect(json).toMatchObject({ kind: 'lock', status: 'ok', changed: true });
    expect(json.lock).toEqual(lock);
    const relock = await cli([...args, 'lock'], home);
    expect(relock.code, relock.stderr).toBe(0);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(text);

    // The lock follows what is installed: another version by hand (the recipe's spec still holds) shows as one line.
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
    const moved = await cli([...args, 'lock'], home);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('Locked app');
    const diff = fs
      .readFileSync(lockFile, 'utf8')
      .split('\n')
      .filter((l, i) => l !== text.split('\n')[i]);
    expect(diff).toEqual(['          envkit-demo-a: "1.0"']);

    // A file that is not a lock is refused as input, and left alone.
    fs.writeFileSync(other, 'format: 7\nrecipes: {}\n');
    const bad = await cli([...args, 'lock', 'app', '--lock', other], home);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has lock format 7; this setup reads format 1');
    expect(fs.readFileSync(other, 'utf8')).toBe('format: 7\nrecipes: {}\n');
  });
});
