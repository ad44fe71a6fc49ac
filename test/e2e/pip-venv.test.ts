import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVALUATE_SCRIPT } from '../../src/steps/pip/evaluate.js';
import { which } from '../../src/util/which.js';
import { MAKE_INDEX } from '../helpers/pip-index.js';
import { BIN, cliEnv, normalize, runProgram, snapshotTree, tempHome, writeRecipes, type CliResult } from './helpers.js';

const python3 = which('python3');
const hostMinor = python3
  ? execFileSync(python3, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim()
  : '';
/** pip to judge specs with, and ensurepip to make venvs (Debian's python3 needs python3-venv for that). */
const hostHasPip =
  !!python3 &&
  (() => {
    try {
      execFileSync(python3, ['-c', 'import pip._vendor.packaging.requirements, ensurepip, venv'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

/** `setup …` with no PIP_* variables of the host, no pip config files, and the pip cache in the test's folder. */
function cli(args: string[], home: string): Promise<CliResult> {
  const env = cliEnv(home, { PIP_CACHE_DIR: path.join(home, 'pip-cache'), PIP_CONFIG_FILE: '/dev/null' });
  for (const k of Object.keys(env))
    if (k.startsWith('PIP_') && k !== 'PIP_CACHE_DIR' && k !== 'PIP_CONFIG_FILE') delete env[k];
  return runProgram(process.execPath, [BIN, ...args], { env, cwd: home });
}

describe.skipIf(!python3 || !hostHasPip)('pip and venv steps against a local index', { timeout: 240_000 }, () => {
  const fixtures = tempHome('envkit-pip-index-');
  const index = `file://${fixtures}/index/simple`;
  const profile = path.join(fixtures, 'profile.yaml');
  const recipes = path.join(fixtures, 'recipes');

  beforeAll(() => {
    execFileSync(python3!, ['-c', MAKE_INDEX, path.join(fixtures, 'index')]);
    fs.writeFileSync(profile, `name: local\npip: { index-url: "${index}" }\n`);
    writeRecipes(recipes, {
      'demo.yaml': [
        'name: demo',
        'description: a venv with pinned packages',
        'vars:',
        '  a_version: "1.0"',
        'steps:',
        '  - name: Make the venv',
        `    venv: { path: ~/venvs/demo, python: "${hostMinor}" }`,
        '  - name: Demo packages',
        '    pip:',
        '      venv: ~/venvs/demo',
        '      packages: ["envkit-demo-a=={{ a_version }}", "envkit-demo-b>=0.5"]',
        '',
      ].join('\n'),
      'pair.yaml':
        'name: pair\nsteps:\n  - name: C and its exact A\n    pip: { venv: ~/venvs/pair, packages: [envkit-demo-c==1.0], imports: [envkit_demo_c] }\nverify:\n  - pip: envkit-demo-c==1.0\n    venv: ~/venvs/pair\n',
      'bad-import.yaml':
        'name: bad-import\nsteps:\n  - venv: { path: ~/venvs/bad }\n  - name: A package that does not import\n    pip: { venv: ~/venvs/bad, packages: [envkit-demo-bad], imports: [envkit_demo_bad] }\n',
      'pins.yaml':
        'name: pins\nvars: { a: "9.9", b: "7.0" }\nsteps:\n  - venv: { path: ~/venvs/pins }\n  - name: Pins the index lacks\n    pip: { venv: ~/venvs/pins, packages: ["envkit-demo-a=={{ a }}", "envkit-demo-b=={{ b }}", envkit-nope] }\n',
      'demo-upgrade.yaml':
        'name: demo-upgrade\nsteps:\n  - name: Newest demo-a\n    pip: { venv: ~/venvs/demo, packages: [envkit-demo-a], upgrade: true }\n',
      'occupied.yaml': 'name: occupied\nsteps:\n  - name: Venv over my folder\n    venv: { path: ~/project }\n',
      'no-such-python.yaml':
        'name: no-such-python\nsteps:\n  - name: Venv of a python nobody has\n    venv: { path: ~/venvs/old, python: "3.99" }\n',
      'system-pip.yaml':
        'name: system-pip\nsteps:\n  - name: Into the system python\n    pip: { python: /usr/bin/python3, packages: [envkit-demo-a==1.0] }\n',
    });
  });
  const r = (...a: string[]): string[] => ['--recipes', recipes, '--mirror', profile, ...a];

  it.concurrent(
    'creates the venv, installs through the profile index, converges; pins and upgrade: true are honest',
    async () => {
      const home = tempHome();
      const before = await cli(r('plan', 'demo', 'demo-upgrade', '--exit-code'), home);
      expect(before.code, before.stderr).toBe(3);
      const plan = normalize(before.stdout, home);
      expect(plan).toMatch(/→ Make the venv {2}will run: ~\/venvs\/demo does not exist \(python \d+\.\d+\.\d+: /);
      expect(plan).toContain('→ Demo packages  will run: ~/venvs/demo does not exist yet');
      expect(plan).toContain(
        `$ ~/venvs/demo/bin/python -m pip install --disable-pip-version-check --no-input --retries 2 --timeout 15 --index-url ${index} envkit-demo-a==1.0 'envkit-demo-b>=0.5'`,
      );
      // The plan asked pip (a dry run, as into a fresh venv) what it would install.
      expect(plan).toContain('would install envkit-demo-a 1.0, envkit-demo-b 0.5');
      expect(plan).toContain(`url ${index}`);
      expect(plan).toContain(`--index-url ${index} --upgrade envkit-demo-a`);

      const run = await cli(r('run', 'demo'), home);
      expect(run.code, run.stderr).toBe(0);
      const venvPython = path.join(home, 'venvs', 'demo', 'bin', 'python');
      const versions = (): string =>
        execFileSync(
          venvPython,
          ['-c', 'import envkit_demo_a as a, envkit_demo_b as b; print(a.__version__, b.__version__)'],
          { encoding: 'utf8' },
        ).trim();
      expect(versions()).toBe('1.0 0.5');

      const after = await cli(r('plan', 'demo', '--exit-code'), home);
      expect(after.code, after.stdout).toBe(0);
      expect(normalize(after.stdout, home)).toContain(
        '✓ Demo packages  satisfied: envkit-demo-a 1.0, envkit-demo-b 0.5 installed in ~/venvs/demo',
      );
      expect(normalize(after.stdout, home)).toMatch(
        new RegExp(
          `✓ Make the venv {2}satisfied: ~/venvs/demo is a python ${hostMinor.replace('.', '\\.')}\\.\\d+ venv`,
        ),
      );

      const pinned = await cli(r('plan', 'demo', '--exit-code', '--set', 'demo.a_version=2.0'), home);
      expect(pinned.code).toBe(3);
      expect(pinned.stdout).toContain('→ Demo packages  will run: envkit-demo-a 1.0 is installed, wants ==2.0');

      // upgrade: true always runs, before and after; its own run re-checks the specs and passes.
      const upRun = await cli(r('run', 'demo-upgrade'), home);
      expect(upRun.code, upRun.stderr).toBe(0);
      expect(versions()).toBe('2.0 0.5');
      const again = await cli(r('plan', 'demo', 'demo-upgrade', '--exit-code', '--set', 'demo.a_version=2.0'), home);
      expect(again.code).toBe(3);
      expect(again.stdout).toContain('→ Newest demo-a  will run: upgrade: true always runs');
      expect(normalize(again.stdout, home)).toContain(
        '✓ Demo packages  satisfied: envkit-demo-a 2.0, envkit-demo-b 0.5 installed in ~/venvs/demo',
      );
    },
  );

  it.concurrent(
    'a venv broken by hand is not converged: plan shows work, doctor ✗ says run it, the run repairs it',
    async () => {
      const home = tempHome();
      fs.mkdirSync(path.join(home, 'venvs'));
      execFileSync(python3!, ['-m', 'venv', path.join(home, 'venvs', 'pair')]);
      expect((await cli(r('run', 'pair'), home)).code).toBe(0);
      // Converged: its imports passed with exactly what is installed, so the plan does not import again.
      expect((await cli(r('plan', 'pair'), home)).stdout).toContain(
        'envkit_demo_c import (checked before with these same versions)',
      );
      // The way people break a venv: another version over one that something else pins exactly.
      execFileSync(
        path.join(home, 'venvs', 'pair', 'bin', 'python'),
        ['-m', 'pip', 'install', '--quiet', '--no-deps', '--index-url', index, 'envkit-demo-a==2.0'],
        { env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' }, stdio: 'pipe' },
      );
      const plan = await cli(r('plan', 'pair', '--exit-code', '--no-resolve'), home);
      expect(plan.code).toBe(3);
      expect(normalize(plan.stdout, home)).toContain(
        '→ C and its exact A  will run: ~/venvs/pair has broken requirements (pip check): envkit-demo-c 1.0 requires envkit-demo-a==1.0, but envkit-demo-a 2.0 is installed',
      );
      const doctor = await cli(r('doctor', 'pair', '--offline'), home);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/✗ .*broken requirements/);
      expect(doctor.stdout).toContain('fix: setup run pair');
      const run = await cli(r('run', 'pair'), home);
      expect(run.code, run.stderr).toBe(0);
      expect((await cli(r('plan', 'pair', '--exit-code'), home)).code).toBe(0);
      expect((await cli(r('doctor', 'pair', '--offline'), home)).code).toBe(0);

      // Broken without any version changing (a file damaged by hand): run and doctor import again and say so.
      fs.writeFileSync(
        path.join(
          home,
          'venvs',
          'pair',
          'lib',
          fs.readdirSync(path.join(home, 'venvs', 'pair', 'lib'))[0]!,
          'site-packages',
          'envkit_demo_c',
          '__init__.py',
        ),
        'raise ImportError("damaged by hand")\n',
      );
      const damaged = await cli(r('doctor', 'pair', '--offline'), home);
      expect(damaged.code).toBe(1);
      expect(damaged.stdout).toContain('import envkit_demo_c fails: ImportError: damaged by hand');
      const rerun = await cli(r('run', 'pair'), home);
      expect(rerun.code).toBe(1);
      expect(rerun.stderr).toContain(
        'pip installed what was asked, but import envkit_demo_c fails: ImportError: damaged by hand',
      );
    },
  );

  it.concurrent(
    'a package that installs but does not import: run fails saying so, plan never calls it done',
    async () => {
      const home = tempHome();
      const run = await cli(r('run', 'bad-import'), home);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        'pip installed what was asked, but import envkit_demo_bad fails: RuntimeError: operator demo::nms does not exist',
      );
      expect(run.stderr).toMatch(/hint: +the installed wheels do not work together/);
      const plan = await cli(r('plan', 'bad-import', '--exit-code'), home);
      expect(plan.code).toBe(3);
      expect(plan.stdout).toContain(
        'will run: import envkit_demo_bad fails: RuntimeError: operator demo::nms does not exist',
      );
    },
  );

  it.concurrent(
    'pins the index lacks: the plan is blocked and lists every one at once, with the --set that picks one',
    async () => {
      const home = tempHome();
      const plan = await cli(r('plan', 'pins', '--exit-code'), home);
      expect(plan.code).toBe(3);
      const out = normalize(plan.stdout, home);
      expect(out).toContain(
        `✗ Pins the index lacks  blocked: 2 pinned versions and 1 package are not in the index ${index}`,
      );
      expect(out).toContain('envkit-demo-a==9.9: the index has 2.0, 1.0 → --set pins.a=2.0');
      expect(out).toContain('envkit-demo-b==7.0: the index has 0.5 → --set pins.b=0.5');
      expect(out).toContain('envkit-nope: no version of it in the index');
      const offline = await cli(r('plan', 'pins', '--no-resolve'), home);
      expect(offline.stdout).toContain('→ Pins the index lacks  will run');
      const run = await cli(r('run', 'pins'), home);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /hint: +the index \S+ lacks envkit-demo-a==9\.9 \(has 2\.0, 1\.0: --set pins\.a=2\.0\); envkit-demo-b==7\.0 \(has 0\.5: --set pins\.b=0\.5\); envkit-nope \(no version of it\)/,
      );
    },
  );

  it.concurrent(
    'an index that does not answer: the plan says so at once, the run fails with a hint naming it',
    async () => {
      const home = tempHome();
      // A port nothing listens on: taken from the system, then let go.
      const port = await new Promise<number>((resolve) => {
        const server = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (server.address() as net.AddressInfo).port;
          server.close(() => resolve(p));
        });
      });
      const dead = path.join(home, 'dead.yaml');
      fs.writeFileSync(dead, `name: dead\npip: { index-url: "http://127.0.0.1:${port}/simple" }\n`);
      const args = ['--recipes', recipes, '--mirror', dead];
      const plan = await cli([...args, 'plan', 'demo'], home);
      expect(plan.stdout).toContain(
        `could not resolve it beforehand: the index http://127.0.0.1:${port}/simple did not answer (connection refused)`,
      );
      const run = await cli([...args, 'run', 'demo'], home);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `index http://127.0.0.1:${port}/simple did not answer (connection refused): check the mirror profile (setup doctor), or --mirror NAME`,
      );
    },
  );

  it.concurrent('a bad requirement spec is a clear input error, from the file or from --set', async () => {
    const home = tempHome();
    const bad = writeRecipes(path.join(home, 'bad'), {
      'bad.yaml':
        'name: bad\nsteps:\n  - pip:\n      - numpy>=1.26\n      - "foo=="\n      - transformers[torch] >4.30\n',
    });
    const v = await cli(['validate', path.join(bad, 'bad.yaml')], home);
    expect(v.code).toBe(2);
    expect(normalize(v.stderr, home)).toContain(
      '~/bad/bad.yaml:5:9: error: invalid requirement "foo==": "==" needs a version after it, e.g. foo==1.0',
    );
    expect(v.stderr).not.toContain('transformers');
    const set = await cli(r('plan', 'demo', '--set', 'a_version=1.0=='), home);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('invalid requirement "envkit-demo-a==1.0==": "1.0==" is not a valid version for ==');
    expect(set.stderr).not.toMatch(/^\s+at /m);
  });

  it.concurrent('a venv path holding something else fails clearly and is left untouched', async () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, 'project'));
    fs.writeFileSync(path.join(home, 'project', 'notes.txt'), 'my notes\n');
    const snap = snapshotTree(path.join(home, 'project'));
    const plan = await cli(r('plan', 'occupied'), home);
    expect(normalize(plan.stdout, home)).toContain(
      '→ Venv over my folder  will run: ~/project exists and is not a venv (a folder without pyvenv.cfg); setup will not overwrite it',
    );
    const run = await cli(r('run', 'occupied'), home);
    expect(run.code).toBe(1);
    const err = normalize(run.stderr, home);
    expect(err).toContain('failed: ~/project exists and is not a venv (a folder without pyvenv.cfg)');
    expect(err).toMatch(/hint: +setup does not overwrite it/);
    expect(snapshotTree(path.join(home, 'project'))).toEqual(snap);
  });

  it.concurrent('a python version the host lacks: the plan and the failure say where it looked', async () => {
    const home = tempHome();
    const plan = await cli(r('plan', 'no-such-python'), home);
    expect(normalize(plan.stdout, home)).toContain(
      'blocked: ~/venvs/old does not exist: no python 3.99 found (looked for python3.99 on PATH',
    );
    const run = await cli(r('run', 'no-such-python'), home);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no python 3\.99 found \(looked for python3\.99 on PATH, .*\/usr\/bin\/python3\.99\)/);
    expect(run.stderr).toMatch(/: install python 3\.99/);
    expect(run.stderr).toContain('nothing was run');
    expect(fs.existsSync(path.join(home, 'venvs'))).toBe(false);
  });

  // Only where /usr/bin/python3 is externally managed: pip then refuses before changing anything.
  const externallyManaged =
    fs.existsSync('/usr/bin/python3') &&
    (() => {
      try {
        return (
          execFileSync(
            '/usr/bin/python3',
            [
              '-c',
              'import os, sys, sysconfig; print(sys.prefix == sys.base_prefix and os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) and __import__("pip") is not None)',
            ],
            { encoding: 'utf8' },
          ).trim() === 'True'
        );
      } catch {
        return false;
      }
    })();
  it.skipIf(!externallyManaged).concurrent(
    'an externally managed system python (PEP 668): the plan warns, the failure hints at a venv',
    async () => {
      const home = tempHome();
      const plan = await cli(r('plan', 'system-pip'), home);
      expect(plan.stdout).toContain(
        'note: /usr/bin/python3 is externally managed (PEP 668), pip will refuse: use venv:, or args: [--break-system-packages]',
      );
      const run = await cli(r('run', 'system-pip'), home);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('externally-managed-environment');
      expect(run.stderr).toMatch(/hint: +\/usr\/bin\/python3 is externally managed \(PEP 668\): install into a venv/);
    },
  );

  it.concurrent(
    'what a pip step installs into a venv is compiled to bytecode (on every CPU when there are several)',
    async () => {
      const home = tempHome();
      const run = await cli(r('run', 'demo', '-v'), home);
      expect(run.code, run.stderr).toBe(0);
      const py = path.join(home, 'venvs', 'demo', 'bin', 'python');
      const site = execFileSync(py, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], {
        encoding: 'utf8',
      }).trim();
      const cached = fs.readdirSync(path.join(site, 'envkit_demo_a', '__pycache__'));
      expect(cached.some((f) => f.endsWith('.pyc'))).toBe(true);
      if (os.availableParallelism() > 1)
        expect(run.stdout + run.stderr).toMatch(/compiling the installed modules on \d+ CPUs/);
    },
  );
});

/** The host's python3, /usr/bin/python3 and one python of each pyenv version line (3.6 on: the script's floor). */
function realPythons(): string[] {
  const out = new Set<string>([python3!]);
  if (fs.existsSync('/usr/bin/python3')) out.add('/usr/bin/python3');
  const versions = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions');
  const seen = new Set<string>();
  for (const v of fs.existsSync(versions) ? fs.readdirSync(versions) : []) {
    const m = /^3\.(\d+)\.\d+$/.exec(v);
    const exe = path.join(versions, v, 'bin', 'python');
    if (!m || Number(m[1]) < 6 || seen.has(m[1]!) || !fs.existsSync(exe)) continue;
    seen.add(m[1]!);
    out.add(exe);
  }
  return [...out];
}

describe.skipIf(!python3)('the evaluation script on real interpreters', () => {
  it.each(realPythons())('%s judges specs with the packaging pip vendors', (py) => {
    const out = execFileSync(py, ['-B', '-c', EVALUATE_SCRIPT], {
      input: JSON.stringify([
        'pip>=1',
        'PIP[foo] >= 1',
        'pip==0.0.1',
        'envkit-surely-not-installed',
        'pip; python_version < "3"',
      ]),
      encoding: 'utf8',
    });
    const doc = JSON.parse(out) as {
      pip: boolean;
      error?: string;
      results: { spec: string; state: string; have?: string; extras?: string[] }[];
    };
    if (!doc.pip) return expect(doc.error ?? 'packaging').toBeTruthy(); // a python without pip: nothing to judge with
    expect(doc.results.map((x) => x.state)).toEqual(['ok', 'ok', 'mismatch', 'missing', 'skipped']);
    expect(doc.results[1]!.extras).toEqual(['foo']);
    expect(doc.results[2]!.have).toMatch(/^\d+/);
  });

  it('a venv whose pip cannot be installed is not left behind to pass the next check (the hint says why)', async () => {
    const home = tempHome();
    // An ensurepip that fails, first on the path of the new venv's python: as on a python without its venv module.
    const fake = path.join(home, 'no-ensurepip');
    fs.mkdirSync(path.join(fake, 'ensurepip'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'ensurepip', '__init__.py'), 'raise ImportError("No module named ensurepip")\n');
    fs.writeFileSync(path.join(fake, 'ensurepip', '__main__.py'), 'raise ImportError("No module named ensurepip")\n');
    const dir = writeRecipes(path.join(home, 'recipes'), {
      'broken.yaml': `name: broken\nsteps:\n  - venv: { path: ~/venvs/broken }\n    env: { PYTHONPATH: "${fake}" }\n`,
    });
    const run = await cli(['run', 'broken', '--recipes', dir], home);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot make venvs with pip: install its venv module \(Debian\/Ubuntu: apt install python3(\.\d+)?-venv\)/,
    );
    expect(fs.existsSync(path.join(home, 'venvs', 'broken'))).toBe(false);
    const plan = await cli(['plan', 'broken', '--recipes', dir], home);
    expect(plan.stdout).toContain('will run');
  });

  it('a new venv has a pip that installs (made without compiling pip: its modules compile as pip imports them)', async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'recipes'), {
      'fresh.yaml': 'name: fresh\nsteps:\n  - venv: { path: ~/venvs/fresh }\n',
    });
    const run = await cli(['run', 'fresh', '--recipes', dir], home);
    expect(run.code, run.stderr).toBe(0);
    const py = path.join(home, 'venvs', 'fresh', 'bin', 'python');
    const pip = execFileSync(py, ['-m', 'pip', '--version'], { encoding: 'utf8' });
    expect(pip).toContain(path.join(home, 'venvs', 'fresh'));
    expect(fs.existsSync(path.join(home, 'venvs', 'fresh', 'bin', 'pip'))).toBe(true);
    // What python -m venv gives: the same distributions, from the same wheels.
    const list = (p: string): string =>
      execFileSync(p, ['-m', 'pip', 'list', '--format=freeze', '--disable-pip-version-check'], { encoding: 'utf8' });
    const ref = path.join(home, 'ref');
    execFileSync(python3!, ['-m', 'venv', ref]);
    expect(list(py)).toBe(list(path.join(ref, 'bin', 'python')));
  });
});
