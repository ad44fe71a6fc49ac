import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

const PYTHON = fs.realpathSync('/usr/bin/python3');

describe('a venv whose base python is gone', () => {
  it('plans as broken, is made again by run, and converges', async () => {
    const home = tempHome();
    // The venv's base python: a copy in a folder of its own, removed once the venv is made.
    const base = path.join(home, 'gone-python', 'bin');
    fs.mkdirSync(base, { recursive: true });
    const copy = path.join(base, 'python3');
    fs.copyFileSync(PYTHON, copy);
    fs.chmodSync(copy, 0o755);
    const venv = path.join(home, 'venvs', 'v');
    execFileSync(copy, ['-m', 'venv', '--without-pip', venv]);
    fs.writeFileSync(path.join(venv, 'mine.txt'), 'made by the old venv\n');
    fs.rmSync(path.join(home, 'gone-python'), { recursive: true });

    const args = [
      '--recipes',
      writeRecipes(path.join(home, 'recipes'), {
        'v.yaml': `name: v\ndescription: a venv\nsteps:\n  - name: The venv\n    venv: { path: ~/venvs/v, python: ${PYTHON} }\n`,
      }),
    ];
    const plan = await runCli([...args, 'plan', 'v', '--exit-code'], home);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain(
      `will run: ~/venvs/v is a broken venv: its base interpreter ~/gone-python/bin/python3 is gone (run makes it again)`,
    );

    const run = await runCli([...args, 'run', 'v'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('Errno');
    expect(fs.existsSync(path.join(venv, 'mine.txt'))).toBe(false); // made again, not patched
    expect(
      execFileSync(path.join(venv, 'bin', 'python'), ['-c', 'import sys; print(sys.prefix)'], {
        encoding: 'utf8',
      }).trim(),
    ).toBe(venv);
    const again = await runCli([...args, 'plan', 'v', '--exit-code'], home);
    expect(again.code, again.stdout).toBe(0);
  });

  it('a folder that only looks broken but has no pyvenv.cfg is never removed', async () => {
    const home = tempHome();
    const dir = path.join(home, 'venvs', 'v');
    fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
    fs.symlinkSync(path.join(home, 'gone', 'python3'), path.join(dir, 'bin', 'python'));
    const args = [
      '--recipes',
      writeRecipes(path.join(home, 'recipes'), {
        'v.yaml': `name: v\ndescription: a venv\nsteps:\n  - name: The venv\n    venv: { path: ~/venvs/v, python: ${PYTHON} }\n`,
      }),
    ];
    const run = await runCli([...args, 'run', 'v'], home);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not a venv');
    expect(fs.lstatSync(path.join(dir, 'bin', 'python')).isSymbolicLink()).toBe(true);
  });
});
