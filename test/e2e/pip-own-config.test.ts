import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeIndex } from '../helpers/pip-index.js';
import { tempHome, writeRecipes } from './helpers.js';
import { hostHasVenv, pipCli, python3 } from './pip-cli.js';

/**
 * With no mirror profile chosen, pip's own config says where it installs from: the default profile passes
 * no index flags (an offline box's pip.conf names a local index; `--index-url https://pypi.org/simple`
 * overrode it), and the plan's probe asks the index pip itself would use.
 */
describe.skipIf(!hostHasVenv)("the default profile leaves the index to pip's own config", { timeout: 180_000 }, () => {
  const fixtures = tempHome('envkit-pip-own-');
  const recipes = writeRecipes(path.join(fixtures, 'recipes'), {
    'own.yaml':
      'name: own\nsteps:\n  - venv: { path: ~/venvs/own }\n  - name: a from pip.conf\n    pip: { venv: ~/venvs/own, packages: [envkit-demo-a==2.0] }\n',
  });
  const conf = path.join(fixtures, 'pip.conf');

  beforeAll(() => {
    makeIndex(python3!, path.join(fixtures, 'index'));
    fs.writeFileSync(conf, `[global]\nindex-url = file://${fixtures}/index/simple\n`);
  });

  it('installs from the index pip.conf names (PIP_CONFIG_FILE), and the plan then has nothing to do', async () => {
    const home = tempHome();
    const plan = await pipCli(['plan', '--recipes', recipes, 'own'], home, { PIP_CONFIG_FILE: conf });
    expect(plan.stdout + plan.stderr).not.toContain('pypi.org');
    const run = await pipCli(['run', '--recipes', recipes, 'own'], home, { PIP_CONFIG_FILE: conf });
    expect(run.stdout + run.stderr).not.toContain('pypi.org');
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readdirSync(path.join(home, 'venvs/own/lib')).length).toBe(1);
    const again = await pipCli(['plan', '--recipes', recipes, 'own', '--exit-code'], home, { PIP_CONFIG_FILE: conf });
    expect(again.code, again.stdout).toBe(0);
  });

  it("the plan names pip's own index when it does not answer ([install] over [global])", async () => {
    const home = tempHome();
    const dead = path.join(fixtures, 'dead.conf');
    fs.writeFileSync(
      dead,
      `[global]\nindex-url = file://${fixtures}/index/simple\n[install]\nindex-url = file://${fixtures}/no-such-index/simple\n`,
    );
    const plan = await pipCli(['plan', '--recipes', recipes, 'own'], home, { PIP_CONFIG_FILE: dead });
    expect(plan.stdout).toContain(`the index file://${fixtures}/no-such-index/simple did not answer (no such folder)`);
  });
});
