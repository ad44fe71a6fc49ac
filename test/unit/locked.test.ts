import { describe, expect, it } from 'vitest';
import type { ResolvedRecipe } from '../../src/catalog/resolve.js';
import { diffLockEntries, formatDifference, type LockDifference } from '../../src/plan/lock-diff.js';
import type { Lock } from '../../src/plan/lock-file.js';
import { applyLock } from '../../src/plan/locked.js';
import { inputsOf } from '../../src/steps/inputs.js';
import { lockedDownload } from '../../src/steps/download/locked.js';
import { lockedGit } from '../../src/steps/git/locked.js';
import { lockedPackages, parsePolicyVersions, pinnedNames, type PackagePin } from '../../src/steps/packages/locked.js';
import { lockedPip } from '../../src/steps/pip/locked.js';
import type { PipConfig } from '../../src/steps/pip/command.js';
import { resolveText } from '../helpers/resolve.js';
import type { LockEntry } from '../../src/steps/types.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const SHA = '1'.repeat(64);
const SHA2 = '2'.repeat(64);

describe('diffLockEntries: what differs between a lock entry and what is installed', () => {
  const cases: {
    name: string;
    kind: string;
    locked: LockEntry;
    installed: LockEntry;
    want: LockDifference[];
    lines: string[];
  }[] = [
    {
      name: 'pip: same',
      kind: 'pip',
      locked: { venv: '/v', python: '3.11.2', distributions: { torch: '2.13.0' } },
      installed: { venv: '/v', python: '3.11.2', distributions: { torch: '2.13.0' } },
      want: [],
      lines: [],
    },
    {
      name: 'pip: a version changed, one added, one removed, the interpreter changed',
      kind: 'pip',
      locked: { venv: '/v', python: '3.11.2', distributions: { numpy: '1.26.4', torch: '2.13.0' } },
      installed: { venv: '/v', python: '3.11.9', distributions: { rich: '13.0', torch: '2.14.1' } },
      want: [
        { item: 'python', locked: '3.11.2', installed: '3.11.9' },
        { item: 'numpy', locked: '1.26.4' },
        { item: 'rich', installed: '13.0' },
        { item: 'torch', locked: '2.13.0', installed: '2.14.1' },
      ],
      lines: [
        'python: locked 3.11.2, installed 3.11.9',
        'numpy: locked 1.26.4, not installed',
        'rich: not locked, installed 13.0',
        'torch: locked 2.13.0, installed 2.14.1',
      ],
    },
    {
      name: 'pip: versions with hashes (a map) compare by version',
      kind: 'pip',
      locked: { python: '3.11.2', distributions: { torch: { version: '2.13.0', hashes: ['sha256:x'] } } },
      installed: { python: '3.11.2', distributions: { torch: '2.13.0' } },
      want: [],
      lines: [],
    },
    {
      name: 'git: the clone and a submodule moved, a submodule gone',
      kind: 'git',
      locked: {
        repo: 'r',
        ref: 'v1',
        dest: '/h/src/app',
        commit: A,
        submodules: { 'third_party/lib': { commit: B, url: 'u' }, 'third_party/x': { commit: A, url: 'u' } },
      },
      installed: {
        repo: 'r',
        ref: 'v1',
        dest: '/h/src/app',
        commit: C,
        submodules: { 'third_party/lib': { commit: C, url: 'u' } },
      },
      want: [
        { item: 'git /h/src/app', locked: A, installed: C },
        { item: 'git third_party/lib', locked: B, installed: C },
        { item: 'git third_party/x', locked: A },
      ],
      lines: [
        'git /h/src/app: locked aaaaaaa, checked out ccccccc',
        'git third_party/lib: locked bbbbbbb, checked out ccccccc',
        'git third_party/x: locked aaaaaaa, not checked out',
      ],
    },
    {
      name: 'packages: another version',
      kind: 'packages',
      locked: { manager: 'apt', packages: { libfoo: { version: '1.2-3', arch: 'amd64' } } },
      installed: { manager: 'apt', packages: { libfoo: { version: '1.2-4', arch: 'amd64' } } },
      want: [{ item: 'libfoo', locked: '1.2-3', installed: '1.2-4' }],
      lines: ['libfoo: locked 1.2-3, installed 1.2-4'],
    },
    {
      name: 'download: another file',
      kind: 'download',
      locked: { url: 'u', sha256: SHA, size: 3, dest: '/h/f' },
      installed: { url: 'u', sha256: SHA2, size: 3, dest: '/h/f' },
      want: [{ item: '/h/f', locked: SHA, installed: SHA2 }],
      lines: ['/h/f: locked sha256 111111111111, has sha256 222222222222'],
    },
    {
      name: 'a kind this file does not know: each value',
      kind: 'other',
      locked: { a: { b: '1' }, c: 'x' },
      installed: { a: { b: '2' }, c: 'x' },
      want: [{ item: 'a.b', locked: '1', installed: '2' }],
      lines: ['a.b: locked 1, installed 2'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const d = diffLockEntries(c.kind, c.locked, c.installed);
      expect(d).toEqual(c.want);
      expect(d.map((x) => formatDifference(c.kind, x))).toEqual(c.lines);
    });
});

describe("the kinds' locked hooks: a config rewritten from its lock entry, or why not", () => {
  const pip: PipConfig = {
    packages: ['torch>=2'],
    venv: '/h/v',
    upgrade: true,
    pre: false,
    noDeps: false,
    args: [],
    imports: ['torch'],
    pinVars: ['v'],
  };
  it('pip: every locked distribution pinned, sorted; the rest of the step kept', () => {
    const r = lockedPip(pip, {
      venv: '/h/v',
      python: '3.11',
      distributions: { torch: '2.13.0', numpy: { version: '1.26.4' } },
    });
    expect(r).toEqual({
      config: { ...pip, packages: ['numpy==1.26.4', 'torch==2.13.0'], upgrade: false, pinVars: [undefined, undefined] },
    });
    expect(lockedPip(pip, { venv: '/h/w', distributions: {} })).toEqual({
      problem: 'locked for the venv /h/w, but the recipe installs into /h/v',
    });
    expect(lockedPip(pip, { venv: '/h/v', distributions: { torch: {} } })).toEqual({
      problem: 'its lock entry gives torch no version',
    });
  });
  it('pip: a lock of the same venv under another home fits; the venv’s own pip and setuptools stay unpinned unless named', () => {
    const entry = {
      venv: '/home/alice/venvs/app',
      distributions: { pip: '23.2.1', setuptools: '65.5.0', six: '1.17.0' },
    };
    expect(lockedPip({ ...pip, packages: ['six'], venv: '/root/venvs/app' }, entry, '/root')).toEqual({
      config: { ...pip, venv: '/root/venvs/app', packages: ['six==1.17.0'], upgrade: false, pinVars: [undefined] },
    });
    expect(lockedPip({ ...pip, packages: ['six'], venv: '/root/venvs/other' }, entry, '/root')).toEqual({
      problem: 'locked for the venv /home/alice/venvs/app, but the recipe installs into /root/venvs/other',
    });
    // A package the recipe added since the lock was taken: the lock cannot satisfy the step.
    expect(lockedPip({ ...pip, packages: ['six', 'certifi>=2024'], venv: '/home/alice/venvs/app' }, entry)).toEqual({
      problem: 'the recipe asks for certifi>=2024, which the lock does not have (added since it was locked)',
    });
    expect(lockedPip({ ...pip, packages: ['six', 'pip>=23'], venv: '/home/alice/venvs/app' }, entry)).toMatchObject({
      config: { packages: ['pip==23.2.1', 'six==1.17.0'] },
    });
  });
  it('git: the locked commit as the ref, the submodules at theirs; another repo or ref refused', () => {
    const git = { repo: 'https://x/app.git', ref: 'v1', dest: '/h/src/app', submodules: true };
    expect(
      lockedGit(git, {
        repo: git.repo,
        ref: 'v1',
        dest: '/elsewhere',
        commit: A,
        submodules: { lib: { commit: B, url: 'u' } },
      }),
    ).toEqual({ config: { ...git, ref: A, submoduleCommits: { lib: B } } });
    expect(
      lockedGit(
        { ...git, submodules: false },
        { repo: git.repo, ref: 'v1', commit: A, submodules: { lib: { commit: B } } },
      ),
    ).toEqual({
      config: { ...git, submodules: false, ref: A },
    });
    expect(lockedGit(git, { repo: git.repo, ref: 'v2', commit: A })).toEqual({
      problem: 'locked at ref v2, but the recipe asks for v1',
    });
    expect(lockedGit(git, { repo: 'https://x/other.git', ref: 'v1', commit: A })).toMatchObject({
      problem: expect.stringContaining('locked from https://x/other.git'),
    });
    // A lock cut short (or edited) where the entry lost its fields: said so, not "locked from undefined".
    expect(lockedGit(git, { commit: A })).toEqual({ problem: 'its lock entry names no repository' });
    expect(lockedGit(git, { repo: git.repo, commit: A })).toEqual({ problem: 'its lock entry names no ref' });
  });
  it('download: fetched only with the sha256 the recipe pins; held to the lock when the recipe verifies otherwise', () => {
    const d = { url: 'https://x/f', sha256: SHA, insecure: false };
    expect(lockedDownload(d, { url: d.url, sha256: SHA })).toEqual({
      config: { ...d, sha512: undefined, checksumUrl: undefined },
    });
    expect(lockedDownload(d, { url: d.url, sha256: SHA2 })).toEqual({
      problem: 'sha256 mismatch: the recipe says 111111111111…, the lock 222222222222…',
    });
    expect(
      lockedDownload({ url: d.url, checksumUrl: 'https://x/f.sha', insecure: false }, { url: d.url, sha256: SHA2 }),
    ).toEqual({
      config: { url: d.url, sha256: SHA2, sha512: undefined, checksumUrl: undefined, insecure: false },
    });
    expect(lockedDownload(d, { url: 'https://x/g', sha256: SHA })).toMatchObject({
      problem: expect.stringContaining('locked from https://x/g'),
    });
    expect(lockedDownload(d, { sha256: SHA })).toEqual({ problem: 'its lock entry names no URL' });
  });
  it('packages: apt names pinned to their versions (the real package of a virtual name); other managers as written', () => {
    const p: { packages: string[]; update: boolean; pins?: Record<string, PackagePin> } = {
      packages: ['coreutils', 'awk'],
      update: false,
    };
    const r = lockedPackages(p, {
      manager: 'apt',
      packages: { awk: { version: '1:5.2.1-2', package: 'gawk' }, coreutils: { version: '9.1-1', arch: 'amd64' } },
    });
    expect(r).toEqual({
      config: { ...p, pins: { awk: { version: '1:5.2.1-2', package: 'gawk' }, coreutils: { version: '9.1-1' } } },
    });
    expect(pinnedNames(['coreutils', 'awk', 'git'], (r as { config: typeof p }).config.pins!)).toEqual([
      'coreutils=9.1-1',
      'gawk=1:5.2.1-2',
      'git',
    ]);
    expect(lockedPackages(p, { manager: 'brew', packages: { cmake: { version: '3.29' } } })).toEqual({ config: p });
  });
  it('reads the version table of apt-cache policy', () => {
    const out =
      'coreutils:\n  Installed: 9.1-1\n  Candidate: 9.1-1\n  Version table:\n *** 9.1-1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        100 /var/lib/dpkg/status\n     8.32-4+b1 500\n        500 http://deb.debian.org/debian bullseye/main amd64 Packages\n';
    expect(parsePolicyVersions(out)).toEqual(['9.1-1', '8.32-4+b1']);
    expect(parsePolicyVersions('N: Unable to locate package nope\n')).toEqual([]);
  });
});

describe('applyLock: the steps rewritten from the lock, or every problem at once', () => {
  const text = `name: app
description: x
steps:
  - name: sources
    git: { repo: "https://x/app.git", ref: v1, dest: /h/src/app }
  - pip: { venv: /h/v, packages: [torch] }
    when: { os: linux }
  - run: make
    creates: /h/out
`;
  const resolve = (facts: Record<string, string>): ResolvedRecipe => resolveText('/virtual/app.yaml', text, facts);
  const lock = (steps: Lock['recipes'][string]): Lock => ({ format: 1, recipes: { app: steps } });
  const gitStep = {
    step: 1,
    kind: 'git',
    installed: { repo: 'https://x/app.git', ref: 'v1', dest: '/h/src/app', commit: A },
  };
  const pipStep = {
    step: 2,
    kind: 'pip',
    installed: { venv: '/h/v', python: '3.11', distributions: { torch: '2.13.0' } },
  };

  it('pins each step; what the steps are built from (inputs) stays the recipe’s', () => {
    const r = resolve({ os: 'linux' });
    const out = applyLock([r], { lock: lock([gitStep, pipStep]), file: 'envkit.lock' });
    expect(out.problems).toEqual([]);
    const [git, pip, run] = out.recipes[0]!.steps;
    expect((git!.config as { ref: string }).ref).toBe(A);
    expect((pip!.config as PipConfig).packages).toEqual(['torch==2.13.0']);
    expect(run).toBe(r.steps[2]);
    expect(inputsOf(git!)).toEqual(inputsOf(r.steps[0]!));
    expect(inputsOf(run!)['#1 git.ref']).toBe('v1');
    expect([...out.entries.keys()]).toEqual(['app#1', 'app#2']);
    expect((r.steps[0]!.config as { ref: string }).ref).toBe('v1'); // the recipe given is unchanged
  });

  it('says every step the lock cannot satisfy, located at the step, with the fix', () => {
    const here = resolve({ os: 'linux' });
    const elsewhere = resolve({ os: 'darwin' });
    const msgs = (r: ResolvedRecipe, l: Lock) =>
      applyLock([r], { lock: l, file: 'envkit.lock' }).problems.map((p) => `${p.loc?.line}: ${p.message}`);
    expect(msgs(here, lock([gitStep]))).toEqual(['6: app#2 pip: no entry in envkit.lock']);
    expect(msgs(here, { format: 1, recipes: {} })).toEqual(['1: recipe app is not in envkit.lock']);
    expect(msgs(here, lock([{ ...gitStep, kind: 'download' }, pipStep]))).toEqual([
      '4: app#1 git: envkit.lock has a download step at this position: the recipe changed since it was locked',
    ]);
    expect(msgs(here, lock([gitStep, { step: 2, kind: 'pip', skipped: 'os is darwin' }]))).toEqual([
      '6: app#2 pip: locked as skipped (os is darwin), but its when: holds here',
    ]);
    expect(msgs(elsewhere, lock([gitStep, pipStep]))).toEqual([
      expect.stringMatching(/^6: app#2 pip: locked as installed, but its when: does not hold here/),
    ]);
    expect(msgs(elsewhere, lock([gitStep, { step: 2, kind: 'pip', skipped: 'os is darwin' }]))).toEqual([]);
    const p = applyLock([here], { lock: lock([gitStep]), file: 'envkit.lock' }).problems[0]!;
    expect(p.hint).toContain('setup lock app');
  });
});
