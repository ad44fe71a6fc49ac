import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';
import { normalize, runCli, tempHome, writeRecipes } from './helpers.js';

/** A recipe that requires another, with tagged steps; each step writes one file under ~/w, judged by `creates`. */
const RECIPES = {
  'sel-base.yaml': `name: sel-base
description: What sel-app stands on
steps:
  - name: Base marker
    run: mkdir -p "$HOME/w" && echo base > "$HOME/w/base"
    creates: ~/w/base
`,
  'sel-app.yaml': `name: sel-app
description: An app in four steps
requires: [sel-base]
steps:
  - name: Fetch sources
    run: echo src > "$HOME/w/src"
    creates: ~/w/src
    tags: [src]
  - name: Build app
    run: echo built > "$HOME/w/app"
    creates: ~/w/app
    tags: [build]
  - name: Build docs
    run: echo docs > "$HOME/w/docs"
    creates: ~/w/docs
    tags: [docs, slow]
  - name: Install app
    run: echo installed > "$HOME/w/installed"
    creates: ~/w/installed
`,
};

function setupHome(): { home: string; cli: (...a: string[]) => ReturnType<typeof runCli>; made: () => string[] } {
  const home = tempHome('envkit-select-');
  const dir = writeRecipes(path.join(home, 'recipes'), RECIPES);
  const w = path.join(home, 'w');
  return {
    home,
    cli: (...a) => runCli(['--recipes', dir, ...a], home),
    made: () => (fs.existsSync(w) ? fs.readdirSync(w).sort() : []),
  };
}

describe('step selection: --only, --skip, --tags, --skip-tags, --from', () => {
  it('plans what selection leaves out, blocks a step whose left-out requirement is not done, and runs only what was chosen', async () => {
    const { home, cli, made } = setupHome();

    // --only one step: the steps it stands on are left out and not done, so it is blocked, naming the first.
    const plan = await cli('plan', 'sel-app', '--only', 'Build app', '--exit-code');
    expect(plan.code, plan.stderr).toBe(3);
    expectGolden('plan-select-only.txt', normalize(plan.stdout, home));

    const blocked = await cli('run', 'sel-app', '--only', 'Build app');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(
      '✗ sel-app › Build app: needs sel-base#1 "Base marker", left out by --only "Build app" and not satisfied (~/w/base does not exist): add --only sel-base#1 (and 1 more left out and not satisfied)',
    );
    expect(blocked.stderr).toContain('nothing was run');
    expect(made()).toEqual([]);

    // What it needs, by id glob and by name glob: just those run.
    const first = await cli('run', 'sel-app', '--only', 'sel-base#*', '--only', 'Fetch*');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('2 steps to run, 3 left out by the selection');
    expect(first.stderr).toMatch(/Done: 2 steps run/);
    expect(made()).toEqual(['base', 'src']);

    // Now the one step runs alone.
    const only = await cli('run', 'sel-app', '--only', 'sel-app#2');
    expect(only.code, only.stderr).toBe(0);
    expect(only.stderr).toContain('1 step to run, 4 left out by the selection');
    expect(made()).toEqual(['app', 'base', 'src']);

    // --from a step, with a tag left out by name: the step after it runs without it (its notes say so).
    const fromPlan = await cli('plan', 'sel-app', '--from', 'Build docs', '--skip-tags', 'slow');
    expect(fromPlan.code, fromPlan.stderr).toBe(0);
    expectGolden('plan-select-from.txt', normalize(fromPlan.stdout, home));
    const from = await cli('run', 'sel-app', '--from', 'Build docs', '--skip-tags', 'slow');
    expect(from.code, from.stderr).toBe(0);
    expect(made()).toEqual(['app', 'base', 'installed', 'src']);

    // --tags: only the docs step is left, and it runs; then nothing is left to do.
    const tags = await cli('run', 'sel-app', '--tags', 'docs,src');
    expect(tags.code, tags.stderr).toBe(0);
    expect(tags.stderr).toMatch(/1 step to run, 3 left out by the selection/);
    expect(made()).toEqual(['app', 'base', 'docs', 'installed', 'src']);
    const none = await cli('run', 'sel-app', '--skip', 'Install*');
    expect(none.stderr).toContain('Nothing to do: 4 steps already satisfied, 1 left out by the selection.');
  });

  it('--json says of each left-out step why, how to include it, and what it would be otherwise', async () => {
    const { cli } = setupHome();
    const res = await cli('plan', 'sel-app', '--only', 'Build app', '--json');
    expect(res.code, res.stderr).toBe(0);
    const json = JSON.parse(res.stdout) as {
      counts: Record<string, number>;
      recipes: {
        name: string;
        state: string;
        steps: { id: string; state: string; tags?: string[]; leftOut?: object }[];
      }[];
    };
    expect(json.counts).toMatchObject({ blocked: 1, excluded: 4, pending: 0 });
    const steps = json.recipes.flatMap((r) => r.steps);
    expect(steps.find((s) => s.id === 'sel-app#1')).toMatchObject({
      state: 'excluded',
      tags: ['src'],
      leftOut: { by: '--only "Build app"', fix: 'add --only sel-app#1', named: false, state: 'pending' },
    });
    expect(steps.find((s) => s.id === 'sel-app#2')).toMatchObject({ state: 'blocked' });
    expect(json.recipes.find((r) => r.name === 'sel-base')?.state).toBe('excluded');
    // `show` lists a step's tags (what --tags and --skip-tags can name).
    const show = await cli('show', 'sel-app');
    expect(show.stdout).toContain('tags docs, slow');
  });

  it('a required recipe left out by --skip (its name matches every step) blocks what stands on it, while not done', async () => {
    const { cli } = setupHome();
    const res = await cli('plan', 'sel-app', '--skip', 'sel-base', '--json');
    expect(res.code, res.stderr).toBe(0);
    const json = JSON.parse(res.stdout) as { recipes: { steps: { id: string; state: string; reason: string }[] }[] };
    const steps = json.recipes.flatMap((r) => r.steps);
    expect(steps.map((s) => `${s.id} ${s.state}`)).toEqual([
      'sel-base#1 excluded',
      'sel-app#1 blocked',
      'sel-app#2 blocked',
      'sel-app#3 blocked',
      'sel-app#4 blocked',
    ]);
    expect(steps[1]!.reason).toMatch(
      /^needs sel-base#1 "Base marker", left out by --skip sel-base and not satisfied \(.*\/w\/base does not exist\): drop --skip sel-base$/,
    );
  });

  it('a pattern or tag that matches no step: exit 2, one line naming close ones; nothing checked or run', async () => {
    const { cli, made } = setupHome();
    const cases: [string[], string][] = [
      [['--only', 'Buld app'], 'setup: error: --only "Buld app" matches no step (close: "Build app")'],
      [
        ['--skip', 'sel-app#9'],
        'setup: error: --skip sel-app#9 matches no step (close: sel-app#1, sel-app#2, sel-app#3)',
      ],
      [['--from', 'Deploy'], 'setup: error: --from Deploy matches no step'],
      [['--tags', 'doc'], 'setup: error: --tags doc: no step has this tag (close: docs, src)'],
      [['--skip-tags', 'gpu'], 'setup: error: --skip-tags gpu: no step has this tag (tags: build, docs, slow, src)'],
    ];
    for (const [args, line] of cases)
      for (const cmd of ['plan', 'run']) {
        const res = await cli(cmd, 'sel-app', ...args);
        expect(res.code, `${cmd} ${args.join(' ')}`).toBe(2);
        const lines = res.stderr.trim().split('\n');
        expect(lines, res.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(`));
      }
    expect(made()).toEqual([]);
  });

  it('a selection that leaves no step, a second --from, or an empty value: exit 2, one line; nothing run', async () => {
    const { cli, made } = setupHome();
    const cases: [string[], string][] = [
      [
        ['--only', 'Build app', '--skip', 'Build app'],
        'setup: error: --only "Build app" --skip "Build app" leave no step: they cancel each other out (',
      ],
      [['--tags', 'docs', '--skip-tags', 'docs'], 'setup: error: --tags docs --skip-tags docs leave no step'],
      [
        ['--from', 'Fetch*', '--from', 'Install*'],
        'setup: error: --from given twice: "Fetch*" and "Install*" (a run starts at one step: give --from once)',
      ],
      [['--tags', ''], 'setup: error: --tags "": an empty value selects nothing (give one or more tags'],
      [['--skip-tags', ' , '], 'setup: error: --skip-tags " , ": an empty value selects nothing'],
      [['--only', ''], 'setup: error: --only "": an empty value selects nothing (give a step id'],
      [['--from', ''], 'setup: error: --from "": an empty value selects nothing'],
    ];
    for (const [args, line] of cases)
      for (const cmd of ['plan', 'run']) {
        const res = await cli(cmd, 'sel-app', ...args);
        expect(res.code, `${cmd} ${args.join(' ')}`).toBe(2);
        const lines = res.stderr.trim().split('\n');
        expect(lines, res.stderr).toHaveLength(1);
        expect(lines[0]).toContain(line);
      }
    const jobs = await cli('run', 'sel-app', '--jobs', '');
    expect(jobs.code).toBe(2);
    expect(jobs.stderr.trim()).toBe(
      'error: --jobs "" is not a whole number from 0 to 64 (e.g. --jobs 4, or --jobs 0 to fetch nothing ahead)',
    );
    expect(made()).toEqual([]);
    // One --from, and selections that leave a step, still work.
    const ok = await cli('plan', 'sel-app', '--from', 'Install*', '--skip', 'Build docs');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('tags: must be a list of lowercase words, reported at file:line:col', async () => {
    const home = tempHome('envkit-select-');
    const file = path.join(home, 'bad.yaml');
    fs.writeFileSync(
      file,
      'name: bad\nsteps:\n  - run: "true"\n    tags: [gpu, Big Build]\n  - run: "true"\n    tags: gpu\n',
    );
    const res = await runCli(['validate', file], home);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${file}:4:17: error: tags[1]: not a tag: "Big Build" (tags are lowercase words`);
    expect(res.stderr).toContain(`${file}:6:11: error: tags: expected a list of tags`);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
