import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/catalog/load.js';
import { findPython, pythonCandidates, pythonSpec } from '../../src/steps/python.js';
import type { ApplyEnv, ResolvedStep, StepEnv } from '../../src/steps/types.js';
import { StepFailure } from '../../src/steps/types.js';
import { venvKind, type VenvConfig } from '../../src/steps/venv.js';
import { Memo } from '../../src/util/memo.js';
import type { RunRequest, RunResult, Runner } from '../../src/util/process.js';
import { literalTemplater as t } from '../helpers/templater.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-venv-'));
const res = (exitCode: number, stdout = '', stderr = ''): RunResult => ({
  exitCode,
  signal: null,
  timedOut: false,
  aborted: false,
  stdout,
  stderr,
  durationMs: 1,
});

/** Interpreters by path: the version each prints when probed (undefined: it does not run, like an inactive pyenv shim). */
function fakePythons(versions: Record<string, string | undefined>): Runner & { calls: RunRequest[] } {
  const calls: RunRequest[] = [];
  return {
    calls,
    async run(req) {
      calls.push(req);
      const exe = req.argv[0]!;
      const v = versions[exe];
      if (v === undefined) return res(127, '', `pyenv: ${path.basename(exe)}: command not found`);
      return res(0, `${v}\n${exe}\n${exe.includes('venv') ? 1 : 0}\n`);
    },
  };
}

function env(runner: Runner, home = tmp(), processEnv: NodeJS.ProcessEnv = { PATH: '' }): StepEnv {
  return {
    runner,
    profile: { name: 'default' },
    processEnv,
    memo: new Memo(),
    cpus: 1,
    prefix: path.join(home, '.local'),
    paths: { home } as StepEnv['paths'],
    facts: undefined as unknown as StepEnv['facts'],
  };
}

function exe(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
  return file;
}

function step(spec: Parameters<typeof venvKind.resolve>[0]): ResolvedStep<VenvConfig> {
  return {
    id: 'r#1',
    recipe: 'r',
    index: 0,
    name: '',
    kind: 'venv',
    impl: venvKind,
    config: venvKind.resolve(spec, t),
    common: { creates: [], env: {}, retries: 0, root: false },
    whenFailed: null,
    loc: { file: 'r.yaml', line: 1, col: 1 },
  };
}

/** A venv folder as `python -m venv` leaves it (pyvenv.cfg, bin/python). */
function fakeVenv(dir: string, version: string, ssp = false): string {
  exe(path.join(dir, 'bin', 'python'));
  fs.writeFileSync(
    path.join(dir, 'pyvenv.cfg'),
    `home = /usr/bin\ninclude-system-site-packages = ${ssp}\nversion = ${version}\n`,
  );
  return dir;
}

describe('finding a python by version', () => {
  it('tries PATH, then pyenv versions (newest first, 3.1 is not 3.11), then /usr/bin; the first that answers wins', async () => {
    const home = tmp();
    const bin = path.join(home, 'shims');
    const shim = exe(path.join(bin, 'python3.8'));
    const versions = path.join(home, '.pyenv', 'versions');
    const v3818 = exe(path.join(versions, '3.8.18', 'bin', 'python'));
    const v3810 = exe(path.join(versions, '3.8.9', 'bin', 'python'));
    exe(path.join(versions, '3.80.1', 'bin', 'python'));
    exe(path.join(versions, '3.10.13', 'bin', 'python'));
    const e = env(fakePythons({ [v3818]: '3.8.18', [v3810]: '3.8.9' }), home, { PATH: bin });
    expect(pythonCandidates('3.8', e).paths.slice(0, 3)).toEqual([shim, v3818, v3810]);
    expect(pythonCandidates('3.1', e).paths.filter((p) => p.includes('.pyenv'))).toEqual([]);
    const found = await findPython('3.8', e);
    expect(found).toMatchObject({ version: '3.8.18', minor: '3.8', executable: v3818 });
  });

  it('says where it looked when the version is nowhere', async () => {
    const home = tmp();
    const e = env(fakePythons({}), home, { PATH: '', PYENV_ROOT: path.join(home, 'pyenv-root') });
    const r = await findPython('3.99', e);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toBe(
      `no python 3.99 found (looked for python3.99 on PATH, ~/pyenv-root/versions/3.99*, ~/.pyenv/versions/3.99*, /usr/bin/python3.99)`,
    );
  });

  it('reads python: as a version, a path or a command', () => {
    expect(pythonSpec('3.11', (s) => `/abs/${s}`)).toEqual({ version: '3.11' });
    expect(pythonSpec('~/py/bin/python', (s) => `/abs/${s}`)).toEqual({ path: '/abs/~/py/bin/python' });
    expect(pythonSpec('python3.11', (s) => s)).toEqual({ command: 'python3.11' });
  });
});

describe('venv check and apply', () => {
  it('satisfied by a venv of the wanted major.minor, asking its python once', async () => {
    const dir = fakeVenv(path.join(tmp(), 'venv'), '3.11.7');
    const runner = fakePythons({ [path.join(dir, 'bin', 'python')]: '3.11.7' });
    expect(await venvKind.check!(step({ path: dir, python: '3.11' }), env(runner))).toEqual({
      state: 'satisfied',
      reason: `${dir} is a python 3.11.7 venv`,
    });
    expect(runner.calls).toHaveLength(1);
    expect(await venvKind.check!(step({ path: dir }), env(runner))).toMatchObject({ state: 'satisfied' });
  });

  it('names a wrong version, a system-site-packages change, a broken python', async () => {
    const dir = fakeVenv(path.join(tmp(), 'venv'), '3.11.7');
    const py = path.join(dir, 'bin', 'python');
    expect(await venvKind.check!(step({ path: dir, python: '3.12' }), env(fakePythons({ [py]: '3.11.7' })))).toEqual({
      state: 'unsatisfied',
      reason: `${dir} is a python 3.11 venv, wants 3.12 (setup will not replace it: remove it first)`,
    });
    expect(
      (await venvKind.check!(step({ path: dir, 'system-site-packages': true }), env(fakePythons({ [py]: '3.11.7' }))))
        .reason,
    ).toBe(`${dir} has system-site-packages false, wants true`);
    expect((await venvKind.check!(step({ path: dir, python: '3.11' }), env(fakePythons({})))).reason).toMatch(
      new RegExp(`^${py} does not run \\(${py} exited 127`),
    );
    // Broken, and of another version (read from pyvenv.cfg): the version is what matters.
    expect((await venvKind.check!(step({ path: dir, python: '3.8' }), env(fakePythons({})))).reason).toMatch(
      /is a python 3.11 venv, wants 3.8/,
    );
  });

  it('a path that is not a venv: unsatisfied, and apply refuses without touching it or running anything', async () => {
    const dir = path.join(tmp(), 'occupied');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const runner = fakePythons({});
    expect(await venvKind.check!(step({ path: dir }), env(runner))).toEqual({
      state: 'unsatisfied',
      reason: `${dir} exists and is not a venv (a folder without pyvenv.cfg); setup will not overwrite it`,
    });
    const applyEnv: ApplyEnv = {
      ...env(runner),
      exec: async () => {
        throw new Error('must not run');
      },
      once: async () => {},
      together: [],
      log: () => {},
      progress: () => {},
      signal: new AbortController().signal,
      inputsChanged: false,
    };
    const err = await venvKind.apply(step({ path: dir }), applyEnv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailure);
    expect((err as StepFailure).message).toBe(`${dir} exists and is not a venv (a folder without pyvenv.cfg)`);
    expect((err as StepFailure).details.hint).toMatch(/does not overwrite it/);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
    expect(runner.calls).toHaveLength(0);
    const file = path.join(tmp(), 'a-file');
    fs.writeFileSync(file, 'x');
    expect((await venvKind.check!(step({ path: file }), env(runner))).reason).toMatch(
      /exists and is not a venv \(it is not a folder\)/,
    );
  });

  it('apply refuses to replace a venv of another python, and creates with the found interpreter', async () => {
    const dir = fakeVenv(path.join(tmp(), 'venv'), '3.11.7');
    const home = tmp();
    const py312 = exe(path.join(home, '.pyenv', 'versions', '3.12.1', 'bin', 'python'));
    const runner = fakePythons({ [path.join(dir, 'bin', 'python')]: '3.11.7', [py312]: '3.12.1' });
    const commands: string[][] = [];
    const applyEnv = {
      ...env(runner, home),
      exec: async (c: { argv: string[] }) => (commands.push(c.argv), res(0)),
      log: () => {},
      progress: () => {},
      signal: new AbortController().signal,
    } as unknown as ApplyEnv;
    const err = (await venvKind
      .apply(step({ path: dir, python: '3.12' }), applyEnv)
      .catch((e: unknown) => e)) as StepFailure;
    expect(err.message).toBe(`${dir} is a python 3.11 venv, wants 3.12`);
    expect(err.details.hint).toContain(`rm -rf ${dir}`);
    const fresh = path.join(tmp(), 'new', 'venv');
    await venvKind.apply(step({ path: fresh, python: '3.12', 'system-site-packages': true }), applyEnv);
    // The venv without pip, then pip from ensurepip's wheels without bytecode (as python -m venv, faster).
    expect(commands).toEqual([
      [py312, '-m', 'venv', '--without-pip', '--system-site-packages', fresh],
      [path.join(fresh, 'bin', 'python'), '-c', expect.stringContaining('"--no-compile"')],
    ]);
  });

  it('describes the command, and has examples that validate', () => {
    const d = venvKind.describe(step({ path: '/h/venvs/p', python: '3.11' }), env(fakePythons({})), {});
    expect(d).toEqual({
      summary: 'venv /h/venvs/p (python 3.11)',
      commands: ['python3.11 -m venv /h/venvs/p'],
      files: ['/h/venvs/p'],
    });
    const yaml = `name: ex\nsteps:\n${venvKind.examples.map((e) => e.replace(/^/gm, '  ')).join('\n')}\n`;
    const { recipe, problems } = parseRecipe('ex.yaml', Buffer.from(yaml));
    expect(problems).toEqual([]);
    expect(recipe!.steps.map((s) => s.kind)).toEqual(venvKind.examples.map(() => 'venv'));
  });
});
