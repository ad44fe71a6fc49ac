import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/** A PATH with only `sh` on it: no git, xz, bzip2 or python. */
function barePath(home: string): string {
  const bin = path.join(home, 'bare-bin');
  fs.mkdirSync(bin);
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  return bin;
}

function recipe(home: string, steps: string[]): string[] {
  const dir = writeRecipes(path.join(home, 'recipes'), {
    'r.yaml': ['name: r', 'description: steps this host cannot do', 'steps:', ...steps, ''].join('\n'),
  });
  return ['--recipes', dir];
}

interface PlanJson {
  recipes: { steps: { state: string; reason: string }[] }[];
}

describe('steps that cannot succeed on this host plan as blocked, with the reason and a fix', () => {
  it.each([
    [
      'a git clone without git',
      '    git: { repo: "file:///nowhere/repo.git", dest: ~/src/x, ref: main }',
      /~\/src\/x does not exist: git is not installed \(no git on PATH\): install git/,
    ],
    [
      'a venv whose python does not exist',
      '    venv: { path: ~/venvs/v, python: /nowhere/bin/python3 }',
      /~\/venvs\/v does not exist: \/nowhere\/bin\/python3 does not exist: install it, or set python: to an interpreter/,
    ],
    [
      'a venv whose python version is not on the host',
      '    venv: { path: ~/venvs/v, python: "3.99" }',
      /~\/venvs\/v does not exist: .*3\.99.*: install python 3\.99/,
    ],
    [
      'a tar.xz to unpack without xz',
      '    download: { url: "file:///nowhere/tool.tar.xz", insecure: true, extract: ~/opt/tool }',
      /is not unpacked yet: unpacking a tar\.xz archive needs the `xz` program, which is not on PATH: install xz-utils/,
    ],
    [
      'a tar.bz2 to unpack without bzip2',
      '    download: { url: "file:///nowhere/tool.tar.bz2", insecure: true, extract: ~/opt/tool }',
      /needs the `bzip2` program, which is not on PATH: install bzip2/,
    ],
  ])('%s', async (_what, step, reason) => {
    const home = tempHome();
    const args = recipe(home, ['  - name: The step', step]);
    const env = { PATH: barePath(home) };
    const plan = await runCli([...args, 'plan', 'r', '--exit-code'], home, env);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toMatch(/✗ The step {2}blocked: /);
    expect(plan.stdout).toContain('1 blocked.');
    const json = JSON.parse((await runCli([...args, 'plan', 'r', '--json'], home, env)).stdout) as PlanJson;
    const s = json.recipes[0]!.steps[0]!;
    expect(s.state).toBe('blocked');
    expect(s.reason.replaceAll(home, '~')).toMatch(reason);
    const run = await runCli([...args, 'run', 'r'], home, env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('nothing was run');
    expect(run.stderr).not.toMatch(/Errno|at .*\.js/);
  });

  it('a step before it that will run may install what is missing: it runs, and the plan says what it needs', async () => {
    const home = tempHome();
    const args = recipe(home, [
      '  - name: Install git somehow',
      '    file: { path: ~/note.txt, content: "x\\n" }',
      '  - name: The step',
      '    git: { repo: "file:///nowhere/repo.git", dest: ~/src/x, ref: main }',
    ]);
    const plan = await runCli([...args, 'plan', 'r'], home, { PATH: barePath(home) });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/→ The step {2}will run: ~\/src\/x does not exist/);
    expect(plan.stdout).toContain(
      'git is not installed (no git on PATH): install git (apt install git), or put it on PATH (unless an earlier step of this run installs it)',
    );
  });

  it('with the tool there, the same steps will run', async () => {
    const home = tempHome();
    const args = recipe(home, [
      '  - name: The step',
      '    download: { url: "file:///nowhere/tool.tar.xz", insecure: true, extract: ~/opt/tool }',
    ]);
    const plan = await runCli([...args, 'plan', 'r', '--json'], home);
    expect((JSON.parse(plan.stdout) as PlanJson).recipes[0]!.steps[0]!.state).toBe('pending');
  });
});
