import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, sha256 } from '../helpers/archives.js';
import { git, mirrorRepo } from '../helpers/git-mirror.js';
import { makeIndex } from '../helpers/pip-index.js';
import { which } from '../../src/util/which.js';
import { BIN, cliEnv, tempHome, writeRecipes, type CliResult } from './helpers.js';

/**
 * Issue 3's "done when": with only a mirror profile pointing at local fixtures, one recipe using every
 * step kind runs from nothing to satisfied; the plan beforehand names every rewritten URL; a second run
 * does nothing; a wrong checksum leaves no file behind.
 */
const python3 = which('python3');

function cli(args: string[], home: string): Promise<CliResult> {
  const env = cliEnv(home, { PIP_CACHE_DIR: path.join(home, 'pip-cache'), PIP_CONFIG_FILE: '/dev/null' });
  for (const k of Object.keys(env))
    if (k.startsWith('PIP_') && k !== 'PIP_CACHE_DIR' && k !== 'PIP_CONFIG_FILE') delete env[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd: home, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: null, stdout, stderr });
    });
  });
}

describe.skipIf(!python3)('one recipe with every step kind, through a local mirror profile', () => {
  const root = tempHome('envkit-every-');
  let server: Awaited<ReturnType<typeof serve>>;
  let tarSha = '';
  const recipes = path.join(root, 'recipes');
  const profile = path.join(root, 'local.yaml');

  beforeAll(async () => {
    // A tarball with a Makefile, served as if from a blocked upstream.
    const pkg = path.join(root, 'pkg', 'greeter-1.0');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, 'Makefile'),
      'PREFIX ?= /nonexistent\ninstall:\n\tmkdir -p $(PREFIX)/share/greeter && echo "$(GREETING)" > $(PREFIX)/share/greeter/greeting.txt\n',
    );
    execFileSync('tar', ['-czf', path.join(root, 'greeter-1.0.tar.gz'), '-C', path.join(root, 'pkg'), 'greeter-1.0']);
    const tarball = fs.readFileSync(path.join(root, 'greeter-1.0.tar.gz'));
    tarSha = sha256(tarball);
    server = await serve({ '/dl/greeter-1.0.tar.gz': tarball });

    // A CMake project on "github.com" with a submodule written git@github.com:, served from file:// bare repos.
    const lib = await mirrorRepo(root, 'envkit/hello-lib');
    const work = path.join(root, 'work-hello');
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(
      path.join(work, 'hello.c'),
      '#include <stdio.h>\nint main(void) { puts("hello from envkit"); return 0; }\n',
    );
    fs.writeFileSync(
      path.join(work, 'CMakeLists.txt'),
      'cmake_minimum_required(VERSION 3.13)\nproject(hello C)\nadd_executable(hello hello.c)\ninstall(TARGETS hello DESTINATION bin)\n',
    );
    fs.writeFileSync(
      path.join(work, '.gitmodules'),
      '[submodule "third_party/lib"]\n\tpath = third_party/lib\n\turl = git@github.com:envkit/hello-lib.git\n',
    );
    await git(work, ['init', '--quiet', '--initial-branch=main', work]);
    await git(work, ['-C', work, 'add', '.']);
    await git(work, ['-C', work, 'update-index', '--add', '--cacheinfo', `160000,${lib.recorded},third_party/lib`]);
    await git(work, [
      '-C',
      work,
      '-c',
      'user.name=Fixture',
      '-c',
      'user.email=fixture@example.com',
      'commit',
      '--quiet',
      '-m',
      'hello',
    ]);
    await git(work, ['-C', work, 'tag', 'v1.0']);
    await git(work, [
      'clone',
      '--quiet',
      '--bare',
      work,
      path.join(root, 'mirror', 'github.com', 'envkit', 'hello.git'),
    ]);

    makeIndex(python3!, path.join(root, 'index'));
    fs.writeFileSync(
      profile,
      [
        'name: local',
        'description: everything from this machine',
        `pip: { index-url: "file://${root}/index/simple" }`,
        `git: { rewrite: { "https://github.com/": "file://${root}/mirror/github.com/", "git@github.com:": "file://${root}/mirror/github.com/" } }`,
        `urls: { rewrite: { "https://downloads.example.invalid/": "${server.base}/dl/" } }`,
        '',
      ].join('\n'),
    );
    writeRecipes(recipes, {
      'everything.yaml': `name: everything
description: every step kind, from nothing to satisfied
vars:
  sha: ${tarSha}
  greeting: hi there
steps:
  - name: A system package (already there)
    packages: [coreutils]
  - name: pip points at the mirror
    config: { path: ~/.config/pip/pip.conf, set: { global.index-url: "{{ mirror.pip.index-url }}" } }
  - name: A venv
    venv: { path: ~/venvs/every }
  - name: Packages from the mirror's index
    pip: { venv: ~/venvs/every, packages: ["envkit-demo-b>=0.5"] }
  - name: A release tarball, verified and unpacked
    download: { url: "https://downloads.example.invalid/greeter-1.0.tar.gz", sha256: "{{ sha }}", extract: ~/opt/greeter, strip: 1 }
  - name: Install it with make
    make: { dir: ~/opt/greeter, targets: [install], vars: { PREFIX: "{{ prefix }}", GREETING: "{{ greeting }}" } }
    creates: "{{ prefix }}/share/greeter/greeting.txt"
  - name: Sources with their submodules
    git: { repo: "https://github.com/envkit/hello.git", ref: v1.0, dest: ~/src/hello, submodules: true }
  - name: Configure
    cmake: { source: ~/src/hello, build: ~/src/hello/build, defines: { CMAKE_BUILD_TYPE: Release } }
  - name: Build and install
    cmake: { build: ~/src/hello/build, install: true }
    creates: "{{ prefix }}/bin/hello"
  - name: On PATH
    env: { path: ["{{ prefix }}/bin"] }
  - name: A file
    file: { path: ~/every.txt, content: "done\\n" }
  - name: A command
    run: ["{{ prefix }}/bin/hello"]
    check: ["test", "-x", "{{ prefix }}/bin/hello"]
`,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('plans every rewritten URL, converges, then has nothing to do; a wrong checksum leaves nothing', async () => {
    const home = tempHome();
    const args = ['--recipes', recipes, '--mirror', profile, '--prefix', path.join(home, 'prefix')];
    const plan = await cli([...args, 'plan', 'everything', '--exit-code'], home);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain(`${server.base}/dl/greeter-1.0.tar.gz`);
    expect(plan.stdout).toContain(`file://${root}/mirror/github.com/envkit/hello.git`);
    expect(plan.stdout).toContain(`file://${root}/index/simple`);
    expect(plan.stdout).not.toContain('downloads.example.invalid');

    const run = await cli([...args, 'run', 'everything'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(execFileSync(path.join(home, 'prefix', 'bin', 'hello'), { encoding: 'utf8' })).toBe('hello from envkit\n');
    expect(fs.readFileSync(path.join(home, 'prefix', 'share', 'greeter', 'greeting.txt'), 'utf8')).toBe('hi there\n');
    expect(fs.existsSync(path.join(home, 'src', 'hello', 'third_party', 'lib', 'README.md'))).toBe(true);
    expect(
      execFileSync(
        path.join(home, 'venvs', 'every', 'bin', 'python'),
        ['-c', 'import envkit_demo_b, envkit_demo_a; print(envkit_demo_a.__version__)'],
        { encoding: 'utf8' },
      ).trim(),
    ).toBe('2.0');

    const again = await cli([...args, 'plan', 'everything', '--exit-code'], home);
    expect(again.code, again.stdout).toBe(0);
    const rerun = await cli([...args, 'run', 'everything'], home);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain('Nothing to do');
    expect(server.count('/dl/greeter-1.0.tar.gz')).toBe(1);

    // The same download with a wrong checksum, in a fresh home: fails, and leaves no file behind.
    const other = tempHome();
    const bad = await cli(
      [
        '--recipes',
        recipes,
        '--mirror',
        profile,
        '--prefix',
        path.join(other, 'prefix'),
        '--set',
        `sha=${'0'.repeat(64)}`,
        'run',
        'everything',
      ],
      other,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(tarSha);
    expect(fs.existsSync(path.join(other, 'opt', 'greeter'))).toBe(false);
    const cache = path.join(other, '.cache', 'envkit');
    const leftovers = fs.existsSync(cache)
      ? execFileSync('find', [cache, '-type', 'f'], { encoding: 'utf8' }).trim()
      : '';
    expect(leftovers).toBe('');
  }, 240_000);
});
