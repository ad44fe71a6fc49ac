import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, sha256 } from '../helpers/archives.js';
import { git, mirrorRepo } from '../helpers/git-mirror.js';
import { makeIndex } from '../helpers/pip-index.js';
import { which } from '../../src/util/which.js';
import { tempHome, writeRecipes } from './helpers.js';
import { hostHasVenv, pipCli, python3 } from './pip-cli.js';

/**
 * Issue 14: `setup lock --resolve` before any run records what a run would install — pip's dry-run
 * resolution with the index's sha256s, the commit an annotated tag names (git ls-remote through the
 * rewrites), the download's checksum and size (HEAD), apt's candidate — and `setup run` + `setup lock`
 * then record the same versions and commit. `--format requirements` prints one venv's pins (asking
 * which when there are several), with hashes where known, and writes no lock.
 */
const aptCache = which('apt-cache');
const cli = pipCli;

type Step = { step: number; kind: string; resolved?: boolean; installed?: Record<string, unknown> };
const readLock = (file: string): Record<string, Step[]> =>
  (parseYaml(fs.readFileSync(file, 'utf8')) as { recipes: Record<string, Step[]> }).recipes;

describe.skipIf(!hostHasVenv || !aptCache)(
  'setup lock --resolve and --format requirements',
  { timeout: 240_000 },
  () => {
    const root = tempHome('envkit-lock-resolve-');
    let server: Awaited<ReturnType<typeof serve>>;
    let blob: Buffer;
    let tagged = '';
    const recipes = path.join(root, 'recipes');
    const profile = path.join(root, 'local.yaml');
    const wheelSha = (prefix: string): string => {
      const f = fs.readdirSync(path.join(root, 'index', 'files')).find((n) => n.startsWith(prefix))!;
      return sha256(fs.readFileSync(path.join(root, 'index', 'files', f)));
    };

    beforeAll(async () => {
      blob = Buffer.from('a release asset\n'.repeat(64));
      server = await serve({ '/dl/asset.bin': blob });
      const lib = await mirrorRepo(root, 'envkit/resolve-lib');
      tagged = lib.recorded;
      // An annotated tag on the first commit: ls-remote's peeled line names the commit, not the tag object.
      await git(root, [
        '-C',
        lib.bare,
        '-c',
        'user.name=F',
        '-c',
        'user.email=f@example.com',
        'tag',
        '-a',
        'v1.0',
        '-m',
        'v1.0',
        tagged,
      ]);
      makeIndex(python3!, path.join(root, 'index'));
      fs.writeFileSync(
        profile,
        [
          'name: local',
          `pip: { index-url: "file://${root}/index/simple" }`,
          `git: { rewrite: { "https://github.com/": "file://${root}/mirror/github.com/" } }`,
          `urls: { rewrite: { "https://downloads.example.invalid/": "${server.base}/dl/" } }`,
          '',
        ].join('\n'),
      );
      writeRecipes(recipes, {
        'app.yaml': `name: app
description: every kind --resolve asks, and two venvs
steps:
  - packages: [coreutils]
  - git: { repo: "https://github.com/envkit/resolve-lib.git", ref: v1.0, dest: ~/src/lib }
  - download: { url: "https://downloads.example.invalid/asset.bin", sha256: "${sha256(blob)}", dest: ~/opt/asset.bin }
  - venv: { path: ~/venvs/app }
  - pip: { venv: ~/venvs/app, packages: ["envkit-demo-b>=0.5"] }
  - venv: { path: ~/venvs/old }
  - pip: { venv: ~/venvs/old, packages: ["envkit-demo-a==1.0"] }
`,
      });
    }, 120_000);

    afterAll(async () => {
      await server?.close();
    });

    it('resolves before a run what the run then installs; prints a venv as requirements', async () => {
      const home = tempHome();
      const args = ['--recipes', recipes, '--mirror', profile, '--prefix', path.join(home, 'prefix')];
      const lockFile = path.join(home, 'envkit.lock');
      const appVenv = path.join(home, 'venvs', 'app');

      const resolved = await cli([...args, 'lock', 'app', '--resolve'], home);
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(fs.existsSync(appVenv)).toBe(false); // nothing installed
      const before = readLock(lockFile).app!;
      expect(before.map((s) => [s.step, s.kind, s.resolved])).toEqual([
        [1, 'packages', true],
        [2, 'git', true],
        [3, 'download', true],
        [5, 'pip', true],
        [7, 'pip', true],
      ]);
      const candidate = /Candidate:\s*(\S+)/.exec(
        execFileSync('apt-cache', ['policy', 'coreutils'], { encoding: 'utf8' }),
      )![1];
      expect(before[0]!.installed).toEqual({ manager: 'apt', packages: { coreutils: { version: candidate } } });
      expect(before[1]!.installed).toMatchObject({ ref: 'v1.0', commit: tagged });
      expect(before[2]!.installed).toMatchObject({ sha256: sha256(blob), size: blob.length });
      expect(before[3]!.installed).toMatchObject({
        venv: '~/venvs/app',
        distributions: { 'envkit-demo-a': '2.0', 'envkit-demo-b': '0.5' },
        hashes: { 'envkit-demo-a': wheelSha('envkit_demo_a-2.0'), 'envkit-demo-b': wheelSha('envkit_demo_b-0.5') },
        note: expect.stringContaining('does not exist yet'),
      });
      const lockText = fs.readFileSync(lockFile, 'utf8');

      // Two venvs: which one? A usage error naming both; --venv picks; nothing written to the lock.
      const which2 = await cli([...args, 'lock', 'app', '--resolve', '--format', 'requirements'], home);
      expect(which2.code).toBe(2);
      expect(which2.stderr).toContain('--venv');
      expect(which2.stderr).toContain('~/venvs/app');
      expect(which2.stderr).toContain('~/venvs/old');
      const req = await cli(
        [...args, 'lock', 'app', '--resolve', '--format', 'requirements', '--venv', '~/venvs/app', '--hashes'],
        home,
      );
      expect(req.code, req.stderr).toBe(0);
      expect(req.stdout).toContain('# venv ');
      expect(req.stdout.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
        'envkit-demo-a==2.0 \\',
        `    --hash=sha256:${wheelSha('envkit_demo_a-2.0')}`,
        'envkit-demo-b==0.5 \\',
        `    --hash=sha256:${wheelSha('envkit_demo_b-0.5')}`,
        '',
      ]);
      expect(fs.readFileSync(lockFile, 'utf8')).toBe(lockText);

      // The run installs, the lock reads: the same versions and commit as resolved.
      const run = await cli([...args, 'run', 'app'], home);
      expect(run.code, run.stderr).toBe(0);
      const locked = await cli([...args, 'lock', 'app'], home);
      expect(locked.code, locked.stderr).toBe(0);
      const after = readLock(lockFile).app!;
      expect(after.every((s) => !s.resolved)).toBe(true);
      const coreutils = (after[0]!.installed!.packages as Record<string, { version: string }>).coreutils!;
      expect(coreutils.version).toBe(candidate);
      expect(after[1]!.installed!.commit).toBe(tagged);
      expect(after[2]!.installed).toMatchObject({ sha256: sha256(blob), size: blob.length });
      for (const i of [3, 4]) {
        const want = before[i]!.installed!.distributions as Record<string, string>;
        const have = after[i]!.installed!.distributions as Record<string, string>;
        for (const [name, version] of Object.entries(want)) expect(have[name], name).toBe(version);
      }

      // From what is installed: freeze's pins (not pip or setuptools), written safely to -o, no hashes known.
      const out = path.join(home, 'requirements.txt');
      const freeze = await cli(
        [...args, 'lock', 'app', '--format', 'requirements', '--venv', appVenv, '--hashes', '-o', out],
        home,
      );
      expect(freeze.code, freeze.stderr).toBe(0);
      const text = fs.readFileSync(out, 'utf8');
      expect(text).toContain('no sha256 known');
      expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
        'envkit-demo-a==2.0',
        'envkit-demo-b==0.5',
      ]);
      const bad = await cli([...args, 'lock', 'app', '--hashes'], home);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--hashes goes with --format requirements');
    });
  },
);
