import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeIndex } from '../helpers/pip-index.js';
import { tempHome, writeRecipes } from './helpers.js';
import { hostHasVenv, pipCli as cli, python3 } from './pip-cli.js';

/**
 * Issue 14: a pip step's `requirements: FILE` (next to the recipe file) with a `-c` include runs against
 * the test's wheel index; the next plan has nothing to do; a line envkit cannot judge makes the step
 * "could not tell"; a new requirement in the file makes it pending; a missing file is reported by
 * validate at the value.
 */
type PlanJson = { recipes: { steps: { id: string; state: string; reason: string }[] }[] };

describe.skipIf(!hostHasVenv)('a pip step with requirements: FILE', { timeout: 240_000 }, () => {
  const root = tempHome('envkit-pip-reqs-');
  const recipes = path.join(root, 'recipes');
  const profile = path.join(root, 'local.yaml');
  const reqs = path.join(recipes, 'reqs', 'app.txt');

  beforeAll(() => {
    makeIndex(python3!, path.join(root, 'index'));
    fs.writeFileSync(profile, `name: local\npip: { index-url: "file://${root}/index/simple" }\n`);
    writeRecipes(recipes, {
      'app.yaml': `name: app
description: packages from a requirements file
steps:
  - venv: { path: ~/venvs/app }
  - pip: { venv: ~/venvs/app, requirements: "reqs/{{ list }}.txt" }
vars: { list: app }
`,
    });
    fs.mkdirSync(path.dirname(reqs), { recursive: true });
    fs.writeFileSync(reqs, '# what the app needs\nenvkit-demo-b>=0.5  # pulls in envkit-demo-a\n-c pins.txt\n');
    fs.writeFileSync(path.join(recipes, 'reqs', 'pins.txt'), 'envkit-demo-a==1.0\n');
  });

  it('runs, has nothing to do after, and sees the file change', async () => {
    const home = tempHome();
    const args = ['--recipes', recipes, '--mirror', profile, '--prefix', path.join(home, 'prefix')];
    const venvPython = path.join(home, 'venvs', 'app', 'bin', 'python');

    const run = await cli([...args, 'run', 'app'], home);
    expect(run.code, run.stderr).toBe(0);
    const version = (name: string): string =>
      execFileSync(venvPython, ['-c', `import importlib.metadata as m; print(m.version("${name}"))`], {
        encoding: 'utf8',
      }).trim();
    expect(version('envkit-demo-b')).toBe('0.5');
    expect(version('envkit-demo-a')).toBe('1.0'); // the constraint, not the newest

    const again = await cli([...args, 'plan', 'app', '--exit-code'], home);
    expect(again.code, again.stdout + again.stderr).toBe(0);

    const step = async (): Promise<{ state: string; reason: string }> => {
      const p = await cli([...args, 'plan', 'app', '--json', '--no-resolve'], home);
      expect(p.stderr).not.toContain('Error');
      return (JSON.parse(p.stdout) as PlanJson).recipes[0]!.steps.find((s) => s.id === 'app#2')!;
    };
    const original = fs.readFileSync(reqs, 'utf8');
    fs.writeFileSync(reqs, `${original}-e ./src/tool\n`);
    const opaque = await step();
    expect(opaque.state).toBe('unknown');
    expect(opaque.reason).toContain(`${reqs}:4: \`-e ./src/tool\` (an editable install)`);
    expect(opaque.reason).toContain('cannot be judged without running pip');

    fs.writeFileSync(reqs, `${original}envkit-demo-c\n`);
    const changed = await step();
    expect(changed.state).toBe('pending');
    expect(changed.reason).toContain('envkit-demo-c is not installed');
    const run2 = await cli([...args, 'run', 'app'], home);
    expect(run2.code, run2.stderr).toBe(0);
    expect(version('envkit-demo-c')).toBe('1.0');
    expect((await cli([...args, 'plan', 'app', '--exit-code'], home)).code).toBe(0);

    // A pin the constraint file breaks by hand is seen.
    fs.writeFileSync(path.join(recipes, 'reqs', 'pins.txt'), 'envkit-demo-a==2.0\n');
    const pinned = await step();
    expect(pinned.state).toBe('pending');
    expect(pinned.reason).toContain('envkit-demo-a 1.0 is installed, the constraint wants ==2.0');
    fs.writeFileSync(path.join(recipes, 'reqs', 'pins.txt'), 'envkit-demo-a==1.0\n');
  });

  it('validate says where a missing file is named', async () => {
    const home = tempHome();
    const dir = path.join(home, 'bad');
    writeRecipes(dir, {
      'bad.yaml': `name: bad
description: names a file that is not there
steps:
  - pip:
      packages: [envkit-demo-a]
      requirements: nothere.txt
`,
    });
    const r = await cli(['validate', path.join(dir, 'bad.yaml')], home);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain(`${path.join(dir, 'bad.yaml')}:6:21`);
    expect(r.stdout + r.stderr).toContain(`${path.join(dir, 'nothere.txt')} does not exist`);
  });
});
