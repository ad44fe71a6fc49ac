import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { git } from '../helpers/git-mirror.js';
import { ROOT, runCli, tempHome } from './helpers.js';

const RECIPES = path.join(ROOT, 'recipes');
const bundled = fs
  .readdirSync(RECIPES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));
const profiles = fs.readdirSync(path.join(RECIPES, 'profiles')).map((f) => f.replace(/\.yaml$/, ''));
const isRoot = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');

describe('the bundled catalogue', () => {
  it('names every setup of the notes', () => {
    for (const name of [
      'pip-mirror',
      'conda-mirror',
      'go',
      'build-tools',
      'cmake',
      'python',
      'rust',
      'conda',
      'openblas',
      'lapack',
      'googletest',
      'faiss',
      'puck',
      'pytorch',
      'pytorch-source',
      'paddle',
      'transformers',
      'jupyter',
      'modelscope',
      'nlp-toolkit',
      'paddlespeech',
      'postgresql',
      'cjk-fonts',
      'opengl',
      'pdf-tools',
      'elasticsearch',
      'ml-stack',
    ]) {
      expect(bundled, name).toContain(name);
    }
    expect(profiles).toEqual(expect.arrayContaining(['default', 'tuna', 'ustc', 'aliyun']));
  });

  it('validates with no error and no warning', async () => {
    const home = tempHome();
    const res = await runCli(['validate'], home);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/\d+ recipes, \d+ profiles: 0 errors, 0 warnings/);
  });

  it('every recipe and profile is valid under the shipped JSON Schemas (what editors check)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const recipe = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'recipe.schema.json'), 'utf8')));
    const profile = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'profile.schema.json'), 'utf8')));
    for (const name of bundled) {
      const doc = parse(fs.readFileSync(path.join(RECIPES, `${name}.yaml`), 'utf8'), { merge: true });
      expect(recipe(doc), `${name}: ${JSON.stringify(recipe.errors?.slice(0, 3))}`).toBe(true);
    }
    for (const name of profiles) {
      const doc = parse(fs.readFileSync(path.join(RECIPES, 'profiles', `${name}.yaml`), 'utf8'));
      expect(profile(doc), `${name}: ${JSON.stringify(profile.errors?.slice(0, 3))}`).toBe(true);
    }
  });

  it.each(profiles)('plans every recipe offline with the %s profile, every step known', async (profile) => {
    const home = tempHome();
    const res = await runCli(['plan', '--mirror', profile, '--json'], home);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout);
    expect(plan.recipes.map((r: { name: string }) => r.name).sort()).toEqual([...bundled].sort());
    const unknown = plan.recipes.flatMap((r: { steps: { id: string; state: string; reason: string }[] }) =>
      r.steps.filter((s) => s.state === 'unknown').map((s) => `${s.id}: ${s.reason}`),
    );
    expect(unknown).toEqual([]);
    // The plan names every URL after the profile's rewrites.
    if (profile === 'tuna') expect(res.stdout).toContain('https://gitclone.com/github.com/facebookresearch/faiss.git');
  });
});

describe('recipes that run for real here', () => {
  it('pip-mirror and conda-mirror write files that pip and YAML read back, and switch profiles cleanly', async () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, '.condarc'), '# my own comment\nauto_activate_base: false\n');
    const run = await runCli(['run', 'pip-mirror', 'conda-mirror', '--mirror', 'tuna'], home);
    expect(run.code, run.stderr).toBe(0);
    const pipConf = path.join(home, '.config', 'pip', 'pip.conf');
    const read = (key: string): string =>
      execFileSync(
        'python3',
        [
          '-c',
          'import configparser,sys; c=configparser.ConfigParser(); c.read(sys.argv[1]); print(c.get("global", sys.argv[2], fallback=""))',
          pipConf,
          key,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(read('index-url')).toBe('https://pypi.tuna.tsinghua.edu.cn/simple');
    expect(read('trusted-host')).toBe('pypi.tuna.tsinghua.edu.cn');
    const condarc = parse(fs.readFileSync(path.join(home, '.condarc'), 'utf8'));
    expect(condarc).toMatchObject({
      auto_activate_base: false,
      channels: ['defaults'],
      show_channel_urls: true,
      default_channels: [
        'https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main',
        'https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/r',
        'https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/msys2',
      ],
    });
    for (const ch of [
      'conda-forge',
      'msys2',
      'bioconda',
      'menpo',
      'pytorch',
      'pytorch-lts',
      'simpleitk',
      'deepmodeling',
    ])
      expect(condarc.custom_channels[ch]).toBe('https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud');
    expect(fs.readFileSync(path.join(home, '.condarc'), 'utf8')).toContain('# my own comment');
    expect((await runCli(['plan', 'pip-mirror', 'conda-mirror', '--mirror', 'tuna', '--exit-code'], home)).code).toBe(
      0,
    );

    // Back to upstream: the tuna index and trusted host go away (the default profile names no index: pip's own).
    expect((await runCli(['run', 'pip-mirror', 'conda-mirror'], home)).code).toBe(0);
    expect(read('index-url')).toBe('');
    expect(read('trusted-host')).toBe('');
    expect((await runCli(['plan', 'pip-mirror', 'conda-mirror', '--exit-code'], home)).code).toBe(0);
    const doctor = await runCli(['doctor', 'pip-mirror', '--offline'], home);
    expect(doctor.code, doctor.stdout).toBe(0);
  });

  it.skipIf(!isRoot)(
    'cjk-fonts installs a Chinese font that fontconfig lists (small font package)',
    async () => {
      const home = tempHome();
      const set = ['--set', 'cjk-fonts.package=fonts-wqy-microhei'];
      const run = await runCli(['run', 'cjk-fonts', ...set], home);
      expect(run.code, run.stderr).toBe(0);
      expect(execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' })).toMatch(/\S/);
      expect((await runCli(['plan', 'cjk-fonts', ...set, '--exit-code'], home)).code).toBe(0);
      expect((await runCli(['doctor', 'cjk-fonts', ...set, '--offline'], home)).code).toBe(0);
    },
    300_000,
  );

  it.skipIf(!isRoot)(
    "googletest builds from a local git mirror of Debian's sources into a temp prefix",
    async () => {
      if (!fs.existsSync('/usr/src/googletest/CMakeLists.txt'))
        execFileSync('apt-get', ['install', '-y', '-q', 'googletest'], {
          stdio: 'ignore',
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        });
      const root = tempHome('envkit-gtest-');
      const work = path.join(root, 'work');
      fs.cpSync('/usr/src/googletest', work, { recursive: true });
      await git(root, ['init', '--quiet', '--initial-branch=main', work]);
      await git(root, ['-C', work, 'add', '.']);
      await git(root, [
        '-C',
        work,
        '-c',
        'user.name=Fixture',
        '-c',
        'user.email=fixture@example.com',
        'commit',
        '--quiet',
        '-m',
        'googletest as Debian ships it',
      ]);
      await git(root, ['-C', work, 'tag', 'release-1.12.1']);
      await git(root, [
        'clone',
        '--quiet',
        '--bare',
        work,
        path.join(root, 'mirror', 'github.com', 'google', 'googletest.git'),
      ]);
      const profile = path.join(root, 'mirror.yaml');
      fs.writeFileSync(
        profile,
        `name: local\ngit: { rewrite: { "https://github.com/": "file://${root}/mirror/github.com/" } }\n`,
      );
      const home = tempHome();
      const prefix = path.join(home, 'prefix');
      const args = ['--mirror', profile, '--prefix', prefix];
      const plan = await runCli([...args, 'plan', 'googletest'], home);
      expect(plan.stdout).toContain(`file://${root}/mirror/github.com/google/googletest.git`);
      const run = await runCli([...args, 'run', 'googletest'], home);
      expect(run.code, run.stderr).toBe(0);
      for (const f of ['lib/libgtest.a', 'lib/libgmock.a', 'include/gtest/gtest.h'])
        expect(fs.existsSync(path.join(prefix, f)), f).toBe(true);
      const again = await runCli([...args, 'plan', 'googletest', '--exit-code'], home);
      expect(again.code, again.stdout).toBe(0);
      // doctor builds a test against the installed library and runs it.
      const doctor = await runCli([...args, 'doctor', 'googletest', '--offline', '--json'], home);
      const items = (
        JSON.parse(doctor.stdout) as { items: { recipe?: string; label: string; status: string; message: string }[] }
      ).items.filter((i) => i.recipe === 'googletest');
      for (const i of items) expect(i.status, `${i.label}: ${i.message}`).toBe('ok');
      expect(items.map((i) => i.label)).toContain('a test built against GoogleTest passes');
      expect(doctor.code).toBe(0);
    },
    900_000,
  );
});
