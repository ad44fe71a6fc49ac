import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeIndex } from '../helpers/pip-index.js';
import { tempHome, writeRecipes } from './helpers.js';
import { hostHasVenv, pipCli, python3 } from './pip-cli.js';

/** The `pip install` commands a run's log shows (one line each, `$ …/python -m pip install …`). */
function pipInstalls(home: string): string[] {
  const logs = path.join(home, '.local', 'state', 'envkit', 'logs');
  const newest = fs
    .readdirSync(logs)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .at(-1);
  return fs
    .readFileSync(path.join(logs, newest ?? ''), 'utf8')
    .split('\n')
    .filter((l) => /^\$ \S+ -m pip install /.test(l));
}

const installed = (home: string, venv: string): string =>
  execFileSync(path.join(home, 'venvs', venv, 'bin', 'python'), ['-m', 'pip', 'list', '--format=freeze'], {
    encoding: 'utf8',
    env: { PIP_CONFIG_FILE: '/dev/null', PATH: process.env.PATH ?? '' },
  })
    .split('\n')
    .filter((l) => l.startsWith('envkit-demo'))
    .join(' ');

/**
 * Issue 17, item 1: the pip steps of one run that install into the same venv the same way are one `pip install`
 * — one resolution, so a later step cannot silently up- or downgrade what an earlier one installed — while each
 * step still reports its own state.
 */
describe.skipIf(!python3 || !hostHasVenv)(
  'pip steps into one venv: one resolution per run',
  { timeout: 240_000 },
  () => {
    const fixtures = tempHome('envkit-pip-together-');
    const profile = path.join(fixtures, 'profile.yaml');
    const recipes = path.join(fixtures, 'recipes');
    beforeAll(() => {
      makeIndex(python3!, path.join(fixtures, 'index'));
      fs.writeFileSync(profile, `name: local\npip: { index-url: "file://${fixtures}/index/simple" }\n`);
      const venvPip = (venv: string, pkgs: string[]): string =>
        `  - venv: { path: ~/venvs/${venv} }\n  - pip: { venv: ~/venvs/${venv}, packages: [${pkgs.join(', ')}] }\n`;
      writeRecipes(recipes, {
        // b takes any a >= 1.0 (alone: the newest, 2.0); c needs a == 1.0.
        'uses-b.yaml': `name: uses-b\nsteps:\n${venvPip('t', ['envkit-demo-b>=0.5'])}`,
        'uses-c.yaml': `name: uses-c\nrequires: [uses-b]\nsteps:\n${venvPip('t', ['envkit-demo-c==1.0'])}`,
        'new-a.yaml': `name: new-a\nsteps:\n${venvPip('x', ['envkit-demo-a==2.0'])}`,
        'old-a.yaml': `name: old-a\nrequires: [new-a]\nsteps:\n${venvPip('x', ['envkit-demo-c==1.0'])}`,
        'between.yaml': [
          'name: between',
          'steps:',
          '  - venv: { path: ~/venvs/y }',
          '  - pip: { venv: ~/venvs/y, packages: [envkit-demo-a==1.0] }',
          '  - name: Something a later build may need',
          '    run: touch ~/prepared',
          '    creates: ~/prepared',
          '  - pip: { venv: ~/venvs/y, packages: [envkit-demo-b] }',
          '',
        ].join('\n'),
      });
    });
    const r = (...a: string[]): string[] => ['--recipes', recipes, '--mirror', profile, ...a];

    it('two recipes into one venv: one pip install, versions that fit both, each step reported', async () => {
      const home = tempHome();
      const run = await pipCli(r('run', 'uses-c'), home);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const installs = pipInstalls(home);
      expect(installs).toHaveLength(1);
      expect(installs[0]).toMatch(/ 'envkit-demo-b>=0\.5' envkit-demo-c==1\.0$/);
      // One resolution: a is 1.0 (what c needs), never 2.0 first and downgraded after.
      expect(installed(home, 't')).toBe('envkit-demo-a==1.0 envkit-demo-b==0.5 envkit-demo-c==1.0');
      expect(run.stdout + run.stderr).toMatch(
        /uses-c › pip install envkit-demo-c==1.0 into ~\/venvs\/t done with uses-b#2/,
      );
      const again = await pipCli(r('plan', 'uses-c', '--exit-code', '--no-resolve'), home);
      expect(again.code, again.stdout).toBe(0);
    });

    it('versions that cannot be installed together: the first step fails naming both, nothing installed', async () => {
      const home = tempHome();
      const run = await pipCli(r('run', 'old-a'), home);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('the pip steps new-a#2, old-a#2 ask for versions that cannot be installed together');
      expect(run.stderr).toContain('pick versions that fit together (--set), or put one step into another venv');
      expect(installed(home, 'x')).toBe('');
    });

    it('a pending step between two pip steps may prepare for the later one: they install one by one', async () => {
      const home = tempHome();
      const run = await pipCli(r('run', 'between'), home);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(pipInstalls(home)).toHaveLength(2);
      expect(installed(home, 'y')).toBe('envkit-demo-a==1.0 envkit-demo-b==0.5');
    });
  },
);
