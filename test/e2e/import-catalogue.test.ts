import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome } from './helpers.js';

/**
 * The catalogue was written by hand from ../shared/notes/ml-notes.txt. For the pip, apt, git/cmake, git/make and
 * env parts of those notes, `setup import` of the lines a bundled recipe was written from must plan the same
 * steps as that recipe: compared as `setup plan --json` shows them, ignoring step names, the refs and versions
 * the notes do not pin (the catalogue pins them), and `run` steps (what the draft could not type is the user's
 * TODO, and the catalogue puts such things in other recipes: rustup is `rust`'s). Where the catalogue adds to
 * what the notes say, the test says which relation holds: packages and env entries the notes name are among the
 * recipe's (the catalogue adds postgresql-client, and CPATH & co. for the prefix), make variables the notes set
 * are among the recipe's with the same values.
 */
const NOTES = path.resolve(import.meta.dirname, '../../../shared/notes/ml-notes.txt');

interface PlanStep {
  kind: string;
  state: string;
  reason: string;
  action: { summary: string; commands?: string[] };
}
interface Plan {
  recipes: { name: string; steps: PlanStep[] }[];
}

/** What a step does, as compared: its kind, what it acts on, and the items a relation compares. */
interface Shape {
  kind: string;
  on: string;
  items: string[];
}

const pep503 = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-');

function shape(s: PlanStep): Shape {
  const sum = s.action.summary;
  switch (s.kind) {
    case 'git': {
      // clone URL at REF into DEST[, depth N]: the project's name and where it goes (the org moved: xianyi → OpenMathLib)
      const m = /^clone (\S+) at \S+ into (\S+?)(,|$)/.exec(sum);
      const repo =
        (m?.[1] ?? '')
          .replace(/\.git$/, '')
          .split('/')
          .pop() ?? '';
      return { kind: 'git', on: `${repo.toLowerCase()} → ${m?.[2]}`, items: [] };
    }
    case 'pip': {
      const m = /^pip install (.*) into (\S+)$/.exec(sum);
      const names = (m?.[1] ?? '').split(' ').map((r) => pep503(r.replace(/[=<>!~].*$/, '')));
      return { kind: 'pip', on: m?.[2] ?? '', items: names.sort() };
    }
    case 'packages':
      return {
        kind: 'packages',
        on: '',
        items: sum
          .replace(/^install /, '')
          .split(', ')
          .sort(),
      };
    case 'make': {
      const argv = (s.action.commands ?? []).at(-1)?.split(' ') ?? [];
      return { kind: 'make', on: sum, items: argv.filter((a) => /^[A-Z_]+=/.test(a)).sort() };
    }
    case 'env':
      return { kind: 'env', on: '', items: sum.replace(/^env /, '').split(', ').sort() };
    default:
      return { kind: s.kind, on: sum, items: [] };
  }
}

/** The typed steps of one recipe the plan would consider on this host (`when:` holds), as shapes. */
function shapes(plan: Plan, recipe: string): Shape[] {
  const r = plan.recipes.find((x) => x.name === recipe);
  if (!r) throw new Error(`no recipe ${recipe} in the plan`);
  return r.steps.filter((s) => s.kind !== 'run' && !s.reason.startsWith('when:')).map(shape);
}

/** Lines `from`-`to` of the notes (1-based, inclusive), each checked to hold what the test expects there. */
function lines(text: string[], from: number, to: number, first: string): string {
  expect(text[from - 1]).toContain(first);
  return text.slice(from - 1, to).join('\n');
}

describe.skipIf(!fs.existsSync(NOTES))('setup import of ml-notes.txt plans what the bundled recipes plan', () => {
  const notes = fs.existsSync(NOTES) ? fs.readFileSync(NOTES, 'utf8').split('\n') : [];
  const cases: {
    what: string;
    recipe: string;
    from: string;
    relation: 'same' | 'within';
    venv?: string;
    section?: string;
  }[] = [
    // ### transformers 安装: rustup (a run step; the catalogue's `rust`), then setuptools_rust and transformers.
    {
      what: 'pip',
      recipe: 'transformers',
      from: lines(notes, 71, 81, '### transformers 安装'),
      relation: 'same',
      venv: '~/venvs/ml',
    },
    // # pg库 in 从0到1安装: libpq-dev and postgresql (the catalogue adds the client).
    { what: 'apt', recipe: 'postgresql', from: lines(notes, 2836, 2838, '# pg库'), relation: 'within' },
    // # gTest in 基础库: clone, mkdir build && cd build, cmake .., make -j40, make PREFIX=$cur_dir install.
    {
      what: 'git/cmake',
      recipe: 'googletest',
      from: [lines(notes, 2936, 2936, 'cur_dir='), lines(notes, 2981, 2987, '# gTest')].join('\n'),
      relation: 'same',
    },
    // # OpenBLAS in 基础库: clone, make TARGET=NEHALEM, make, make PREFIX=$cur_dir install.
    {
      what: 'git/make',
      recipe: 'openblas',
      from: [lines(notes, 2936, 2936, 'cur_dir='), lines(notes, 2959, 2964, 'git clone')].join('\n'),
      relation: 'within',
    },
    // ### 全局配置: the package folder's bin (and, by mistake, lib) on PATH: prefix-env's PATH entry is among them.
    // The whole notes, split: that the folder is the install prefix, only the later sections say.
    { what: 'env', recipe: 'prefix-env', from: notes.join('\n'), section: '全局配置', relation: 'within' },
  ];

  it('setup import ml-notes.txt --split -o DIR: every draft passes setup validate', async () => {
    const home = tempHome();
    const dir = path.join(home, 'drafts');
    const res = await runCli(['import', NOTES, '--split', '-o', dir], home);
    expect(res.code, res.stderr).toBe(0);
    const files = fs.readdirSync(dir);
    expect(files.length).toBeGreaterThan(10);
    const valid = await runCli(['validate', dir], home);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stderr).toMatch(new RegExp(`^${files.length} recipes, 0 profiles: 0 errors, \\d+ warnings$`, 'm'));
    // The warnings are the run steps the draft could not type: each says what to add.
    for (const line of valid.stderr.split('\n').filter((l) => l.includes('warning:')))
      expect(line).toMatch(/has no check: it runs every time \(add `creates:` or `check:`\)$/);
  });

  it.each(cases)('$what: the lines the bundled $recipe was written from', async (c) => {
    const home = tempHome();
    const dir = path.join(home, 'drafts');
    fs.mkdirSync(dir);
    const file = path.join(home, 'notes.txt');
    fs.writeFileSync(file, c.from);
    let name = `${c.recipe}-draft`;
    const out = c.section ? ['--split', '-o', dir, '--json'] : ['-o', path.join(dir, `${name}.yaml`)];
    const imported = await runCli(['import', file, ...out, ...(c.venv ? ['--venv', c.venv] : [])], home);
    expect(imported.code, imported.stderr).toBe(0);
    if (c.section) {
      const doc = JSON.parse(imported.stdout) as { recipes: { name: string; section?: string }[] };
      name = doc.recipes.find((r) => r.section === c.section)?.name ?? '';
    }
    const plan = async (args: string[]): Promise<Plan> => {
      const r = await runCli(['plan', ...args, '--json', '--no-resolve', '--prefix', path.join(home, 'prefix')], home);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Plan;
    };
    const draft = shapes(await plan([name, '--recipes', dir]), name);
    const bundled = shapes(await plan([c.recipe]), c.recipe);
    expect(draft.length, JSON.stringify(draft)).toBeGreaterThan(0);
    if (c.relation === 'same') {
      expect(draft).toEqual(bundled);
      return;
    }
    // within: bundled steps the draft lacks are only env/packages the recipe gets from elsewhere — none here; the
    // steps pair up in order, and what the draft's step names is among what the recipe's step names.
    if (c.what === 'env') {
      // The notes put more on PATH than prefix-env does; every variable prefix-env sets for PATH, they set too.
      const [d] = draft;
      const [b] = bundled;
      const path = (s?: Shape): string[] => (s?.items ?? []).filter((i) => i.endsWith('on PATH'));
      expect(d?.kind).toBe('env');
      expect(path(d)).toEqual(expect.arrayContaining(path(b)));
      return;
    }
    expect(draft.map((s) => [s.kind, s.on])).toEqual(bundled.map((s) => [s.kind, s.on]));
    draft.forEach((d, i) => expect(bundled[i]?.items).toEqual(expect.arrayContaining(d.items)));
  });
});
