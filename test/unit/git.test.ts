import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/catalog/load.js';
import { gitKind, gitOptions, type GitConfig } from '../../src/steps/git.js';
import {
  badRef,
  looksLikeCommit,
  needsFileTransport,
  parseSubmoduleStatus,
  pickRef,
  remoteRefKind,
  repoBasename,
  sameRepo,
  submoduleProblems,
} from '../../src/steps/git/parse.js';
import type { ResolvedStep, StepEnv, Templater } from '../../src/steps/types.js';
import { literalTemplater } from '../helpers/templater.js';

const A = 'c6243f11388ef7a2b81dbcd958f41150acde5246';
const B = 'd8fad71d58468f4995221ff27a964443f73a6310';
const T = 'de37f3b5b7e5f2c281bb1da4ffecfdb898cbb2f6';

describe('repoBasename', () => {
  it.each([
    ['https://github.com/pytorch/pytorch.git', 'pytorch'],
    ['https://github.com/pytorch/pytorch', 'pytorch'],
    ['https://github.com/pytorch/pytorch/', 'pytorch'],
    ['git@github.com:NVIDIA/nccl.git', 'nccl'],
    ['git@host:repo.git', 'repo'],
    ['file:///srv/mirror/github.com/google/googletest.git', 'googletest'],
    ['/srv/git/faiss.git/', 'faiss'],
  ])('%s → %s', (url, name) => expect(repoBasename(url)).toBe(name));
});

describe('sameRepo', () => {
  it('ignores a trailing .git and slashes, nothing else', () => {
    expect(sameRepo('https://github.com/a/b.git', 'https://github.com/a/b')).toBe(true);
    expect(sameRepo('https://github.com/a/b/', 'https://github.com/a/b.git')).toBe(true);
    expect(sameRepo('https://github.com/a/b.git', 'git@github.com:a/b.git')).toBe(false);
    expect(sameRepo('https://github.com/a/b.git', 'https://github.com/a/bc.git')).toBe(false);
  });
});

describe('refs', () => {
  it('tells commits from names', () => {
    expect(looksLikeCommit(A)).toBe(true);
    expect(looksLikeCommit('c6243f1')).toBe(true);
    expect(looksLikeCommit('c6243f')).toBe(false);
    expect(looksLikeCommit('v2.1.0')).toBe(false);
    expect(looksLikeCommit('main')).toBe(false);
  });

  it('refuses refs that could read as options or are not ref names', () => {
    expect(badRef('v2.1.0')).toBeUndefined();
    expect(badRef('release/2.1')).toBeUndefined();
    expect(badRef('--upload-pack=evil')).toMatch(/starts with "-"/);
    expect(badRef('a b')).toMatch(/not a valid/);
    expect(badRef('a..b')).toMatch(/not a valid/);
    expect(badRef('HEAD@{1}')).toMatch(/not a valid/);
  });

  it.each(['v1\x7f', 'a\x01b', 'x.lock', 'a/x.lock/b', '.hidden', 'a/.b', '/a', 'a/', 'a.', 'a//b', '@'])(
    'refuses %j, which git check-ref-format refuses too',
    (ref) => {
      expect(badRef(ref)).toMatch(/not a valid/);
    },
  );

  it('shows a refused ref with its control characters escaped', () => {
    expect(badRef('a\x1b[31mb')).toBe('ref "a\\u001b[31mb" is not a valid branch, tag or commit name');
  });

  it('picks a remote branch first, then a tag peeled to its commit; exact names only', () => {
    const out = [
      `refs/remotes/origin/main ${A} `,
      `refs/remotes/origin/release/2.1 ${B} `,
      `refs/tags/v2.1.0 ${T} ${A}`,
      `refs/tags/light ${B} `,
      `refs/tags/main ${T} ${B}`,
    ].join('\n');
    expect(pickRef('main', out)).toEqual({ kind: 'branch', commit: A });
    expect(pickRef('release/2.1', out)).toEqual({ kind: 'branch', commit: B });
    expect(pickRef('release', out)).toBeUndefined();
    expect(pickRef('v2.1.0', out)).toEqual({ kind: 'tag', commit: A });
    expect(pickRef('light', out)).toEqual({ kind: 'tag', commit: B });
    expect(pickRef('v2', out)).toBeUndefined();
    expect(pickRef('main', '')).toBeUndefined();
  });

  it('reads what a ref is on the remote from ls-remote', () => {
    const out = `${A}\trefs/heads/main\n${T}\trefs/tags/v2.1.0\n${B}\trefs/heads/release/main\n`;
    expect(remoteRefKind('main', out)).toBe('branch');
    expect(remoteRefKind('v2.1.0', out)).toBe('tag');
    expect(remoteRefKind('v2.1', out)).toBeUndefined();
    expect(remoteRefKind('x', '')).toBeUndefined();
  });
});

describe('git submodule status', () => {
  // Captured from git 2.39 (one line of each state), nested paths and describe suffixes included.
  const captured = [
    ` ${A} android/libs/fbjni (v0.1.0)`,
    `-${B} third_party/nccl/nccl`,
    `+${A} third_party/onnx (v1.14.0-12-gc6243f1)`,
    ` ${B} third_party/onnx/third_party/pybind11 (heads/main)`,
    `U0000000000000000000000000000000000000000 third_party/fmt`,
    ` ${A} third_party/with space (remotes/origin/HEAD)`,
    '',
  ].join('\n');

  it('parses each state and path', () => {
    expect(parseSubmoduleStatus(captured)).toEqual([
      { state: 'ok', commit: A, path: 'android/libs/fbjni' },
      { state: 'uninitialized', commit: B, path: 'third_party/nccl/nccl' },
      { state: 'moved', commit: A, path: 'third_party/onnx' },
      { state: 'ok', commit: B, path: 'third_party/onnx/third_party/pybind11' },
      { state: 'conflict', commit: '0000000000000000000000000000000000000000', path: 'third_party/fmt' },
      { state: 'ok', commit: A, path: 'third_party/with space' },
    ]);
  });

  it('says what is wrong, or nothing when every submodule is at its commit', () => {
    expect(submoduleProblems(parseSubmoduleStatus(captured))).toBe(
      '1 submodule not checked out (third_party/nccl/nccl); 1 submodule not at the recorded commit (third_party/onnx); 1 submodule with merge conflicts (third_party/fmt)',
    );
    expect(submoduleProblems(parseSubmoduleStatus(` ${A} a\n ${B} b (x)\n`))).toBeUndefined();
    expect(submoduleProblems([])).toBeUndefined();
    const many = parseSubmoduleStatus(['a', 'b', 'c', 'd', 'e'].map((p) => `-${A} ${p}`).join('\n'));
    expect(submoduleProblems(many)).toBe('5 submodules not checked out (a, b, c and 2 more)');
  });
});

describe('git options', () => {
  it('passes every rewrite per command, and allows file:// only for local mirrors', () => {
    const local = {
      name: 'local',
      git: { rewrite: { 'https://github.com/': 'file:///m/github.com/', 'git@github.com:': 'file:///m/github.com/' } },
    };
    expect(gitOptions(local, 'https://github.com/pytorch/pytorch.git')).toEqual([
      '-c',
      'advice.detachedHead=false',
      '-c',
      'url.file:///m/github.com/.insteadOf=https://github.com/',
      '-c',
      'url.file:///m/github.com/.insteadOf=git@github.com:',
      '-c',
      'protocol.file.allow=always',
    ]);
    const remote = { name: 'tuna', git: { rewrite: { 'https://github.com/': 'https://gitclone.com/github.com/' } } };
    expect(gitOptions(remote, 'https://github.com/a/b.git')).not.toContain('protocol.file.allow=always');
    expect(gitOptions({ name: 'none' }, '/srv/git/b.git')).toContain('protocol.file.allow=always');
    expect(needsFileTransport(['https://x/', 'git@x:'])).toBe(false);
  });
});

const templater: Templater = {
  ...literalTemplater,
  str: (s) => s.replace('{{ dirs.src }}', '/state/src'),
  path: (s) => s.replace('{{ dirs.src }}', '/state/src').replace(/^~\//, '/home/me/'),
};

const step = (config: GitConfig): ResolvedStep<GitConfig> => ({
  id: 'r#1',
  recipe: 'r',
  index: 0,
  name: '',
  kind: 'git',
  impl: gitKind,
  config,
  common: { creates: [], env: {}, retries: 0, root: false },
  whenFailed: null,
  loc: { file: 'r.yaml', line: 1, col: 1 },
});

describe('git step resolve, lint and describe', () => {
  it('defaults dest to dirs.src/<repo name>', () => {
    expect(gitKind.resolve({ repo: 'https://github.com/pytorch/pytorch.git', ref: 'v2.1.0' }, templater)).toEqual({
      repo: 'https://github.com/pytorch/pytorch.git',
      ref: 'v2.1.0',
      dest: '/state/src/pytorch',
      submodules: false,
      depth: undefined,
    });
    expect(
      gitKind.resolve(
        { repo: 'git@github.com:a/b.git', ref: 'main', dest: '~/b', depth: 1, submodules: true },
        templater,
      ).dest,
    ).toBe('/home/me/b');
  });

  it('refuses a short sha with depth, and option-like refs', () => {
    expect(gitKind.lint!({ repo: 'https://h/x.git', ref: 'c6243f1', depth: 1 })).toEqual([
      { path: ['ref'], message: expect.stringMatching(/full 40-character sha/) },
    ]);
    expect(gitKind.lint!({ repo: 'https://h/x.git', ref: A, depth: 1 })).toEqual([]);
    expect(gitKind.lint!({ repo: 'https://h/x.git', ref: 'c6243f1' })).toEqual([]);
    expect(gitKind.lint!({ repo: 'https://h/x.git', ref: '-x' })).toHaveLength(1);
    expect(() => gitKind.resolve({ repo: 'https://h/x.git', ref: '-x' }, templater)).toThrow(/starts with "-"/);
    // A repo git would read as an option or a remote helper (ext:: runs a command, fd:: waits on a descriptor).
    for (const repo of ['--upload-pack=touch /tmp/x', 'ext::sh -c touch% /tmp/x', 'fd::3', 'x']) {
      expect(gitKind.lint!({ repo, ref: 'v1' }), repo).toEqual([
        {
          path: ['repo'],
          message: expect.stringMatching(/^repo .* (starts with "-"|names a git remote helper|is not an http)/),
        },
      ]);
      expect(() => gitKind.resolve({ repo, ref: 'v1' }, templater), repo).toThrow(/^repo /);
    }
  });

  it('shows the URL after rewriting and says submodules go through the same rewrites', () => {
    const env = {
      profile: { name: 'm', git: { rewrite: { 'https://github.com/': 'http://127.0.0.1:9/gh/' } } },
    } as unknown as StepEnv;
    const a = gitKind.describe(
      step({
        repo: 'https://github.com/pytorch/pytorch.git',
        ref: 'v2.1.0',
        dest: '/s/pytorch',
        submodules: true,
        depth: 1,
      }),
      env,
      {},
    );
    expect(a.summary).toBe(
      'clone https://github.com/pytorch/pytorch.git at v2.1.0 into /s/pytorch, depth 1, with submodules (recursive)',
    );
    expect(a.urls).toEqual([
      'http://127.0.0.1:9/gh/pytorch/pytorch.git',
      'submodules through the same rewrites (https://github.com/ → http://127.0.0.1:9/gh/)',
    ]);
    expect(a.warnings).toEqual([
      'unencrypted git transport: http://127.0.0.1:9/gh/pytorch/pytorch.git',
      'unencrypted git transport: http://127.0.0.1:9/gh/',
    ]);
    const plain = gitKind.describe(
      step({ repo: 'https://github.com/a/b.git', ref: 'main', dest: '/s/b', submodules: false }),
      { profile: { name: 'default' } } as unknown as StepEnv,
      {},
    );
    expect(plain.urls).toEqual(['https://github.com/a/b.git']);
    expect(plain.warnings).toBeUndefined();
  });

  it('has examples that validate as recipe steps', () => {
    const yaml = `name: ex\nsteps:\n${gitKind.examples.map((e) => e.replace(/^/gm, '  ')).join('\n')}\n`;
    const { recipe, problems } = parseRecipe('ex.yaml', Buffer.from(yaml));
    expect(problems).toEqual([]);
    expect(recipe!.steps.map((s) => s.kind)).toEqual(gitKind.examples.map(() => 'git'));
  });
});
