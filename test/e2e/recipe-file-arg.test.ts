import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * A recipe file named on the command line (`setup plan ./mine.yaml`), as a new user first tries it: read
 * alone (the other YAML files beside it are not taken for recipes), known by its file name; a path that is
 * not a recipe file is one line and exit 2.
 */
describe('a recipe file as an argument', () => {
  const home = tempHome();
  const dir = writeRecipes(path.join(home, 'work'), {
    'mine.yaml': `name: mine
steps:
  - name: hello file
    file: { path: ~/hello.txt, content: "hi\\n" }
`,
    'needs.yaml': `name: needs
requires: [mine]
steps:
  - name: other file
    file: { path: ~/other.txt, content: "o\\n" }
`,
    // Not recipes: beside the file, never read (one named like a bundled recipe would otherwise override it).
    'cmake.yaml': 'services: { web: { image: nginx } }\n',
    'docker-compose.yml': 'version: "3"\n',
  });
  const mine = path.join(dir, 'mine.yaml');

  it('plan and run take it by path, relative or absolute, and the plan then says it is done', async () => {
    const plan = await runCli(['plan', path.relative(home, mine), '--exit-code'], home);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain('hello file');
    const run = await runCli(['run', mine], home);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'hello.txt'), 'utf8')).toBe('hi\n');
    const again = await runCli(['plan', mine, '--exit-code'], home);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    // A bundled recipe beside it still comes from the catalogue, not from the cmake.yaml in its folder.
    const show = await runCli(['show', 'cmake'], home);
    expect(show.code, show.stderr).toBe(0);
  });

  it('a recipe it requires beside it: a hint to add the folder, which then works', async () => {
    const needs = path.join(dir, 'needs.yaml');
    const bad = await runCli(['plan', needs], home);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${needs}:2:12: error: unknown recipe "mine" in requires`);
    expect(bad.stderr).toContain(`mine.yaml is beside it, but not in a recipe folder: add --recipes ${dir}`);
    const good = await runCli(['plan', needs, '--recipes', dir], home);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('other file');
  });

  it('a missing file, a folder, two files of one name: one line each, exit 2', async () => {
    const missing = await runCli(['plan', './nothere.yaml'], home);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      `setup: error: no recipe file at ${path.join(home, 'nothere.yaml')} (name a recipe (\`setup list\` shows them), or give the path of a recipe file)`,
    );
    const folder = await runCli(['run', dir + '/'], home);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('is a folder, not a recipe file');
    const twin = writeRecipes(path.join(home, 'twin'), { 'mine.yaml': 'name: mine\nsteps: []\n' });
    const two = await runCli(['plan', mine, path.join(twin, 'mine.yaml')], home);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('two recipe files named mine');
    expect(fs.existsSync(path.join(home, 'other.txt'))).toBe(false);
  });
});
