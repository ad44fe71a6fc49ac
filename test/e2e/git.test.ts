import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTorchMirror, git, type TorchMirror } from '../helpers/git-mirror.js';
import { runCli, snapshotTree, tempHome, writeRecipes } from './helpers.js';

let root: string;
let m: TorchMirror;
let profile: string;
const TORCH = 'https://github.com/pytorch/pytorch.git';

beforeAll(async () => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-git-')));
  m = await buildTorchMirror(root);
  profile = path.join(root, 'mirror.yaml');
  fs.writeFileSync(
    profile,
    `name: local-git\ngit:\n  rewrite:\n    "https://github.com/": "${m.mirrorUrl}"\n    "git@github.com:": "${m.mirrorUrl}"\n`,
  );
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** A recipe with one git step per entry. */
function recipe(name: string, steps: Record<string, string | number | boolean>[]): Record<string, string> {
  const body = steps
    .map(
      (s) =>
        `  - git:\n${Object.entries(s)
          .map(([k, v]) => `      ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`)
          .join('\n')}`,
    )
    .join('\n');
  return { [`${name}.yaml`]: `name: ${name}\ndescription: ${name}\nsteps:\n${body}\n` };
}

const inRepo = (dir: string, ...args: string[]): Promise<string> => git(root, ['-C', dir, ...args]);

/** `git submodule status --recursive` as path → its first column. */
async function submoduleFlags(dest: string): Promise<Map<string, string>> {
  const out = await git(root, ['-C', dest, 'submodule', 'status', '--recursive'], undefined, true);
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(42).replace(/ \(.*\)$/, ''), l[0]!]),
  );
}

describe.concurrent('git steps through a file:// mirror of github.com', () => {
  it('clones PyTorch at a tag with all its submodules, converges, moves to a branch, and refuses a dirty tree', async () => {
    const home = tempHome();
    const gitconfig = path.join(home, '.gitconfig');
    fs.writeFileSync(gitconfig, '# mine\n[user]\n\tname = Me\n\temail = me@example.com\n');
    const before = snapshotTree(home);
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      ...recipe('torch', [{ repo: TORCH, ref: 'v2.1.0', submodules: true }]),
      ...recipe('torch-main', [{ repo: TORCH, ref: 'main', submodules: true }]),
    });
    const args = ['--recipes', recipes, '--mirror', profile];
    const dest = path.join(home, '.local', 'state', 'envkit', 'src', 'pytorch');

    const plan = await runCli([...args, 'plan', 'torch', '--exit-code'], home);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain(`url ${m.mirrorUrl}pytorch/pytorch.git`);
    expect(plan.stdout).toContain(
      `url submodules through the same rewrites (https://github.com/ → ${m.mirrorUrl}, git@github.com: → ${m.mirrorUrl})`,
    );
    expect(plan.stdout).toContain('~/.local/state/envkit/src/pytorch does not exist');

    const run = await runCli([...args, 'run', 'torch'], home);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(await inRepo(dest, 'rev-parse', 'HEAD')).toBe(m.v210);
    expect(await inRepo(dest, 'config', 'remote.origin.url')).toBe(TORCH);
    const flags = await submoduleFlags(dest);
    expect([...flags.keys()].sort()).toEqual(m.allPaths);
    expect(m.allPaths).toHaveLength(45);
    expect([...flags.values()].every((f) => f === ' ')).toBe(true);
    // Each at the recorded commit, not its branch tip; the nested ones too, three levels down.
    expect(await inRepo(path.join(dest, 'third_party/nccl/nccl'), 'rev-parse', 'HEAD')).toBe(
      m.repos.get('NVIDIA/nccl')!.recorded,
    );
    expect(
      await inRepo(
        path.join(dest, 'third_party/onnx-tensorrt/third_party/onnx/third_party/pybind11'),
        'rev-parse',
        'HEAD',
      ),
    ).toBe(m.repos.get('pybind/pybind11')!.recorded);
    expect(fs.readFileSync(path.join(dest, 'third_party/ideep/mkl-dnn/README.md'), 'utf8')).toBe('oneapi-src/oneDNN\n');
    // The rewrites were per command: origins say github.com as written, nothing persisted anywhere.
    expect(await inRepo(path.join(dest, 'third_party/fmt'), 'config', 'remote.origin.url')).toBe(
      'git@github.com:fmtlib/fmt.git',
    );
    await expect(inRepo(dest, 'config', '--get-regexp', 'insteadof')).rejects.toThrow();
    expect(snapshotTree(home)[gitconfig]).toBe(before[gitconfig]);

    const again = await runCli([...args, 'plan', 'torch', '--exit-code'], home);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('is at v2.1.0');
    // The check never fetches: without the mirror (github.com unreachable) it still answers.
    expect((await runCli(['--recipes', recipes, 'plan', 'torch', '--exit-code'], home)).code).toBe(0);

    // Another ref in the same dest: fetched and checked out, the moved submodule follows.
    const toMain = await runCli([...args, 'plan', 'torch-main', '--exit-code'], home);
    expect(toMain.code).toBe(3);
    expect(toMain.stdout).toContain(`is at ${m.v210.slice(0, 12)}, wants main (${m.main.slice(0, 12)})`);
    const runMain = await runCli([...args, 'run', 'torch-main'], home);
    expect(runMain.code, runMain.stderr + runMain.stdout).toBe(0);
    expect(await inRepo(dest, 'rev-parse', 'HEAD')).toBe(m.main);
    expect(await inRepo(dest, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(await inRepo(path.join(dest, 'third_party/nccl/nccl'), 'rev-parse', 'HEAD')).toBe(
      m.repos.get('NVIDIA/nccl')!.tip,
    );
    expect((await runCli([...args, 'plan', 'torch-main', '--exit-code'], home)).code).toBe(0);

    // Local changes are never checked out over.
    fs.writeFileSync(path.join(dest, 'README.md'), 'my edit\n');
    const dirtyPlan = await runCli([...args, 'plan', 'torch'], home);
    expect(dirtyPlan.stdout).toContain('its work tree has local changes');
    const dirty = await runCli([...args, 'run', 'torch'], home);
    expect(dirty.code).toBe(1);
    expect(dirty.stderr + dirty.stdout).toContain(
      `${dest} has local changes (README.md): not checking out v2.1.0 over them`,
    );
    expect(fs.readFileSync(path.join(dest, 'README.md'), 'utf8')).toBe('my edit\n');
    expect(await inRepo(dest, 'rev-parse', 'HEAD')).toBe(m.main);
    expect(snapshotTree(home)[gitconfig]).toBe(before[gitconfig]);
  });

  it('checks out branches, full and short commits, and shallow clones', async () => {
    const home = tempHome();
    const src = (n: string): string => path.join(home, 'src', n);
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      ...recipe('refs', [
        { repo: TORCH, ref: 'release/2.1', dest: '~/src/branch' },
        { repo: TORCH, ref: m.main, dest: '~/src/sha' },
        { repo: TORCH, ref: m.v210.slice(0, 7), dest: '~/src/short' },
        { repo: TORCH, ref: 'v2.1.0', dest: '~/src/shallow-tag', depth: 1, submodules: true },
        { repo: TORCH, ref: m.main, dest: '~/src/shallow-sha', depth: 1 },
        { repo: TORCH, ref: 'main', dest: '~/src/shallow-branch', depth: 1 },
        { repo: 'git@github.com:NVIDIA/nccl.git', ref: m.repos.get('NVIDIA/nccl')!.recorded, dest: '~/src/nccl' },
      ]),
    });
    const args = ['--recipes', recipes, '--mirror', profile];
    const run = await runCli([...args, 'run', 'refs'], home);
    expect(run.code, run.stderr + run.stdout).toBe(0);

    expect(await inRepo(src('branch'), 'rev-parse', 'HEAD')).toBe(m.v210);
    expect(await inRepo(src('branch'), 'symbolic-ref', '--short', 'HEAD')).toBe('release/2.1');
    expect(await inRepo(src('sha'), 'rev-parse', 'HEAD')).toBe(m.main);
    for (const [dir, readme] of [
      ['branch', '2.1.0'],
      ['sha', 'main'],
      ['short', '2.1.0'],
      ['shallow-tag', '2.1.0'],
      ['shallow-sha', 'main'],
      ['shallow-branch', 'main'],
    ]) {
      expect(fs.readFileSync(path.join(src(dir!), 'README.md'), 'utf8'), dir).toBe(`PyTorch ${readme}\n`);
      expect(await inRepo(src(dir!), 'status', '--porcelain'), dir).toBe('');
    }
    expect(await inRepo(src('short'), 'rev-parse', 'HEAD')).toBe(m.v210);
    for (const [dir, head] of [
      ['shallow-tag', m.v210],
      ['shallow-sha', m.main],
      ['shallow-branch', m.main],
    ] as const) {
      expect(await inRepo(src(dir), 'rev-parse', 'HEAD'), dir).toBe(head);
      expect(await inRepo(src(dir), 'rev-parse', '--is-shallow-repository'), dir).toBe('true');
      expect(await inRepo(src(dir), 'rev-list', '--count', 'HEAD'), dir).toBe('1');
      expect(await inRepo(src(dir), 'config', 'remote.origin.url'), dir).toBe(TORCH);
    }
    expect((await submoduleFlags(src('shallow-tag'))).size).toBe(45);
    expect(await inRepo(src('nccl'), 'rev-parse', 'HEAD')).toBe(m.repos.get('NVIDIA/nccl')!.recorded);
    expect(await inRepo(src('nccl'), 'config', 'remote.origin.url')).toBe('git@github.com:NVIDIA/nccl.git');

    const plan = await runCli([...args, 'plan', 'refs', '--exit-code'], home);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toContain('Nothing to do: 7 satisfied.');

    // A submodule moved by hand is noticed; a shallow clone of a tag moves to a branch it never fetched.
    const cpuinfo = path.join(src('shallow-tag'), 'third_party/cpuinfo');
    await inRepo(cpuinfo, 'checkout', '--quiet', m.repos.get('pytorch/cpuinfo')!.tip);
    const moved = await runCli([...args, 'plan', 'refs', '--exit-code'], home);
    expect(moved.code).toBe(3);
    expect(moved.stdout).toContain('1 submodule not at the recorded commit (third_party/cpuinfo)');
    writeRecipes(
      recipes,
      recipe('refs-moved', [
        { repo: TORCH, ref: 'main', dest: '~/src/shallow-tag', depth: 1, submodules: true },
        { repo: TORCH, ref: m.main, dest: '~/src/short' },
      ]),
    );
    const run2 = await runCli([...args, 'run', 'refs-moved'], home);
    expect(run2.code, run2.stderr + run2.stdout).toBe(0);
    expect(await inRepo(src('shallow-tag'), 'rev-parse', 'HEAD')).toBe(m.main);
    expect(await inRepo(src('shallow-tag'), 'config', 'branch.main.merge')).toBe('refs/heads/main'); // `git pull` works there
    expect(await inRepo(cpuinfo, 'rev-parse', 'HEAD')).toBe(m.repos.get('pytorch/cpuinfo')!.recorded);
    expect(await inRepo(path.join(src('shallow-tag'), 'third_party/nccl/nccl'), 'rev-parse', 'HEAD')).toBe(
      m.repos.get('NVIDIA/nccl')!.tip,
    );
    expect(await inRepo(src('short'), 'rev-parse', 'HEAD')).toBe(m.main);
    expect((await runCli([...args, 'plan', 'refs-moved', '--exit-code'], home)).code).toBe(0);
  });

  it('never touches a dest that holds something else', async () => {
    const home = tempHome();
    const other = path.join(home, 'other');
    fs.mkdirSync(path.join(other, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(other, 'notes.txt'), 'keep me\n');
    fs.writeFileSync(path.join(home, 'afile'), 'a file\n');
    await git(root, ['clone', '--quiet', m.repos.get('google/googletest')!.bare, path.join(home, 'gtest')]);
    await git(root, [
      '-C',
      path.join(home, 'gtest'),
      'remote',
      'set-url',
      'origin',
      'https://github.com/google/googletest.git',
    ]);
    fs.mkdirSync(path.join(home, 'empty'));
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      ...recipe('into-folder', [{ repo: TORCH, ref: 'v2.1.0', dest: '~/other' }]),
      ...recipe('into-file', [{ repo: TORCH, ref: 'v2.1.0', dest: '~/afile' }]),
      ...recipe('into-clone', [{ repo: TORCH, ref: 'v2.1.0', dest: '~/gtest' }]),
      ...recipe('into-empty', [{ repo: TORCH, ref: 'v2.1.0', dest: '~/empty' }]),
    });
    const args = ['--recipes', recipes, '--mirror', profile];
    const before = snapshotTree(home);
    const cases = [
      ['into-folder', '~/other', 'a folder with files, not a git repository'],
      ['into-file', '~/afile', 'it is a file'],
      ['into-clone', '~/gtest', 'a clone of https://github.com/google/googletest.git'],
    ] as const;
    const results = await Promise.all(cases.map(([name]) => runCli([...args, 'run', name], home)));
    for (const [i, [name, dest, detail]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, name).toBe(1);
      expect(r.stderr + r.stdout, name).toContain(
        `${dest.replace('~', home)} exists and is not a clone of ${TORCH} (${detail}): move it away or change dest`,
      );
    }
    const after = snapshotTree(home);
    for (const p of Object.keys(before).filter((k) => !k.includes('/.local/'))) expect(after[p], p).toBe(before[p]);

    // An empty folder is fine to clone into.
    const empty = await runCli([...args, 'run', 'into-empty'], home);
    expect(empty.code, empty.stderr).toBe(0);
    expect(await inRepo(path.join(home, 'empty'), 'rev-parse', 'HEAD')).toBe(m.v210);
  });
});
