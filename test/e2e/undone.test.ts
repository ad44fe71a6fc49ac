import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

interface RunStep {
  id: string;
  stateBefore: string;
  outcome: string;
  message: string;
}

/** A `file` step that rewrites ~/x.ini, then a `config` step setting a key that the file already held before the run. */
function setup(): { home: string; args: string[]; ini: string } {
  const home = tempHome();
  const recipes = writeRecipes(path.join(home, 'recipes'), {
    'ini.yaml': [
      'name: ini',
      'description: a file step, then a config step on the same file',
      'steps:',
      '  - name: Base file',
      '    file: { path: ~/x.ini, content: "[a]\\nb = 1\\n" }',
      '  - name: Key c',
      '    config: { path: ~/x.ini, format: ini, set: { a.c: "2" } }',
      // Satisfied, and its check leaves a line in ~/checks each time it runs.
      '  - name: Counted',
      '    run: "true"',
      '    check: sh -c "echo x >> $HOME/checks"',
      '',
    ].join('\n'),
  });
  const ini = path.join(home, 'x.ini');
  fs.writeFileSync(ini, '[a]\nb = 0\nc = 2\n');
  return { home, args: ['--recipes', recipes], ini };
}

/** How many times the `Counted` step's check ran. */
const checks = (home: string): number => (fs.readFileSync(path.join(home, 'checks'), 'utf8').match(/x/g) ?? []).length;

describe('a step satisfied at plan time that an earlier step of the run undoes', () => {
  it('is checked again in its turn and runs, saying so', async () => {
    const { home, args, ini } = setup();
    const plan = await runCli([...args, 'plan', 'ini', '--json'], home);
    const planned = (JSON.parse(plan.stdout) as { recipes: { steps: { state: string }[] }[] }).recipes[0]!.steps;
    expect(planned.map((s) => s.state)).toEqual(['pending', 'satisfied', 'satisfied']);

    const run = await runCli([...args, 'run', 'ini', '--json'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(ini, 'utf8')).toBe('[a]\nb = 1\nc = 2\n');
    const out = JSON.parse(run.stdout) as { ran: number; steps: RunStep[] };
    expect(out.ran).toBe(2);
    const [base, key, other] = out.steps;
    expect(base).toMatchObject({ stateBefore: 'pending', outcome: 'ok' });
    expect(key).toMatchObject({ stateBefore: 'satisfied', outcome: 'ok' });
    expect(key!.message).toMatch(/^undone by an earlier step \(.*a\.c.*\); done$/);
    // Still satisfied after the earlier steps: checked again (plan, then run), left as the plan said.
    expect(other).toMatchObject({ stateBefore: 'satisfied', outcome: 'satisfied' });
    expect(checks(home)).toBe(3); // `plan`, then `run`'s plan and its re-check

    fs.writeFileSync(ini, '[a]\nb = 0\nc = 2\n');
    const text = await runCli([...args, 'run', 'ini'], home);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/✓ ini › Key c undone by an earlier step \(.*\); done/);
    expect(text.stderr).toContain('Done: 2 steps run');
  });

  it('costs nothing before any step has applied', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'first.yaml': [
        'name: first',
        'description: a satisfied step, then one that runs',
        'steps:',
        '  - name: Counted',
        '    run: "true"',
        '    check: sh -c "echo x >> $HOME/checks"',
        '  - name: New file',
        '    file: { path: ~/z.txt, content: "z\\n" }',
        '',
      ].join('\n'),
    });
    const run = await runCli(['--recipes', recipes, 'run', 'first', '--json'], home);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { ran: number; steps: RunStep[] };
    expect(out.steps.map((s) => s.outcome)).toEqual(['satisfied', 'ok']);
    expect(checks(home)).toBe(1); // the plan's only: nothing had applied when its turn came
  });
});
