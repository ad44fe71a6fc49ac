import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/util/errors.js';
import { parseRecipe } from '../../src/catalog/load.js';
import { ROOT, runCli, tempHome } from './helpers.js';

describe('setup init <name>', () => {
  it('writes a skeleton into $XDG_CONFIG_HOME/envkit/recipes whose first line points at the installed schema', async () => {
    const home = tempHome();
    const xdg = path.join(home, 'xdg-config');
    const r = await runCli(['init', 'my-tools'], home, { XDG_CONFIG_HOME: xdg });
    expect(r.stderr).toContain('setup plan my-tools');
    expect(r.code).toBe(0);
    const file = path.join(xdg, 'envkit', 'recipes', 'my-tools.yaml');
    expect(r.stdout.trim()).toBe(file);
    const text = fs.readFileSync(file, 'utf8');
    const first = text.split('\n')[0]!;
    expect(first).toMatch(/^# yaml-language-server: \$schema=file:\/\/\//);
    const schema = fileURLToPath(first.slice(first.indexOf('=') + 1));
    expect(path.isAbsolute(schema)).toBe(true);
    expect(schema).toBe(path.join(ROOT, 'schema', 'recipe.schema.json'));
    expect(JSON.parse(fs.readFileSync(schema, 'utf8')).title).toBe('envkit recipe');
  });

  it('the skeleton is a valid recipe: no problems when loaded, none from `setup validate`, and it plans and runs', async () => {
    const home = tempHome();
    expect((await runCli(['init', 'fresh-one'], home)).code).toBe(0);
    const file = path.join(home, '.config', 'envkit', 'recipes', 'fresh-one.yaml');
    const { recipe, problems } = parseRecipe(file, fs.readFileSync(file));
    expect(problems.map(formatProblem)).toEqual([]);
    expect(recipe?.name).toBe('fresh-one');

    const v = await runCli(['validate', file], home);
    expect(v.stderr).toContain('0 errors, 0 warnings');
    expect(v.code).toBe(0);
    const plan = await runCli(['plan', 'fresh-one', '--exit-code'], home);
    expect(plan.code).toBe(3);
    expect((await runCli(['run', 'fresh-one'], home)).code).toBe(0);
    expect((await runCli(['plan', 'fresh-one', '--exit-code'], home)).code).toBe(0);
  });

  it('refuses to overwrite an existing recipe (exit 2) and leaves it as it was', async () => {
    const home = tempHome();
    const dir = path.join(home, '.config', 'envkit', 'recipes');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mine.yaml'), 'my own words\n');
    const r = await runCli(['init', 'mine'], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mine\.yaml already exists/);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(path.join(dir, 'mine.yaml'), 'utf8')).toBe('my own words\n');
    // A .yml twin counts too.
    fs.writeFileSync(path.join(dir, 'other.yml'), 'x\n');
    expect((await runCli(['init', 'other'], home)).code).toBe(2);
    expect(fs.existsSync(path.join(dir, 'other.yaml'))).toBe(false);
  });

  it('refuses a name that is not kebab-case (exit 2), suggesting one, and writes nothing', async () => {
    const home = tempHome();
    for (const bad of ['My_Tools', 'x-', 'a--b', '../evil', 'x.yaml']) {
      const r = await runCli(['init', bad], home);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/not a recipe name: names are kebab-case/);
    }
    expect((await runCli(['init', 'My_Tools'], home)).stderr).toContain('e.g. setup init my-tools');
    expect(fs.existsSync(path.join(home, '.config', 'envkit', 'recipes'))).toBe(false);
  });

  it('--dir writes elsewhere; the file then loads through --recipes; --json reports it', async () => {
    const home = tempHome();
    const dir = path.join(home, 'project', 'recipes');
    const r = await runCli(['init', 'proj-env', '--dir', dir, '--json'], home);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      kind: 'init',
      version: 1,
      name: 'proj-env',
      file: path.join(dir, 'proj-env.yaml'),
      overridesBundled: false,
    });
    const list = await runCli(['list', '--no-state', '--recipes', dir, '--json'], home);
    expect(JSON.parse(list.stdout).recipes.map((x: { name: string }) => x.name)).toContain('proj-env');
  });
});
