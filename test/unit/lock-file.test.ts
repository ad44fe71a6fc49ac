import { describe, expect, it } from 'vitest';
import {
  BadLock,
  formatLock,
  homeAbsolute,
  homeRelative,
  LOCK_FORMAT,
  parseLock,
  type Lock,
} from '../../src/plan/lock-file.js';
import { lockedClone, parseSubmoduleLines } from '../../src/steps/git/lock.js';
import type { Runner } from '../../src/util/process.js';
import { parseVersionQuery } from '../../src/steps/packages/lock.js';
import { pipLockEntry } from '../../src/steps/pip/lock.js';

const lock = (recipes: Lock['recipes']): Lock => ({ format: LOCK_FORMAT, recipes });

describe('the lock file writer', () => {
  const a = lock({
    zeta: [
      { step: 3, kind: 'pip', installed: { venv: '/v', distributions: { zz: '1.10', aa: '2.0', mm: '1e5' } } },
      { step: 1, kind: 'git', name: 'src', installed: { repo: 'https://x/y.git', commit: 'c1', ref: 'v1' } },
    ],
    alpha: [{ step: 2, kind: 'pip', when: { os: 'linux', arch: 'x86_64' }, skipped: 'when: os is linux, not plan9' }],
  });

  it('sorts recipes by name, steps by position and every map by key, and keeps version strings strings', () => {
    const text = formatLock(a);
    expect(text).toMatch(/^# envkit\.lock/);
    expect(text.indexOf('alpha:')).toBeLessThan(text.indexOf('zeta:'));
    expect(text.indexOf('step: 1')).toBeLessThan(text.indexOf('step: 3'));
    expect(text.indexOf('aa:')).toBeLessThan(text.indexOf('mm:'));
    expect(text.indexOf('mm:')).toBeLessThan(text.indexOf('zz:'));
    expect(text.indexOf('commit:')).toBeLessThan(text.indexOf('repo:'));
    expect(text).toContain('zz: "1.10"');
    expect(text).toContain('mm: "1e5"');
    expect(text).toContain('format: 1\n');
    expect(text).toContain('      when:\n        arch: x86_64\n        os: linux\n      skipped:');
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT/); // no dates: the same host locks to the same bytes
  });

  it('writes the same bytes whatever order the input came in, and reads back what it wrote', () => {
    const shuffled = lock({
      alpha: a.recipes.alpha!,
      zeta: [
        a.recipes.zeta![1]!,
        { step: 3, kind: 'pip', installed: { distributions: { mm: '1e5', zz: '1.10', aa: '2.0' }, venv: '/v' } },
      ],
    });
    expect(formatLock(shuffled)).toBe(formatLock(a));
    const back = parseLock(formatLock(a), 'envkit.lock');
    expect(formatLock(back)).toBe(formatLock(a));
    expect(back.recipes.zeta![0]!.installed).toEqual({ commit: 'c1', ref: 'v1', repo: 'https://x/y.git' });
  });

  it('refuses what is not a lock it can read, saying why', () => {
    expect(() => parseLock('format: 2\nrecipes: {}\n', 'x.lock')).toThrow(
      /x\.lock has lock format 2; this setup reads format 1/,
    );
    expect(() => parseLock('format: 1\nrecipes: { a: [ { kind: pip } ] }\n', 'x.lock')).toThrow(BadLock);
    expect(() => parseLock('format: [\n', 'x.lock')).toThrow(/not valid YAML/);
    expect(() => parseLock('- 1\n', 'x.lock')).toThrow(/not a lock file/);
  });
});

describe('what the kinds read for a lock', () => {
  it('pip: distributions sorted by name, the venv or the interpreter', () => {
    const e = pipLockEntry(
      { venv: '/v', exe: '/v/bin/python' },
      { python: '3.11.7', distributions: { b: '1', a: '2' } },
    );
    expect(e).toEqual({ venv: '/v', python: '3.11.7', distributions: { a: '2', b: '1' } });
    expect(Object.keys(e.distributions as object)).toEqual(['a', 'b']);
    expect(pipLockEntry({ exe: '/usr/bin/python3' }, { python: '3.11.2', distributions: {} })).toHaveProperty(
      'interpreter',
      '/usr/bin/python3',
    );
  });

  it('git: submodule lines, tab-separated, with URLs as .gitmodules writes them', () => {
    const sha = 'a'.repeat(40);
    expect(parseSubmoduleLines(`third_party/x\t${sha}\tgit@github.com:o/x.git\nbad line\nsub/y\t${sha}\t\n`)).toEqual([
      { path: 'third_party/x', commit: sha, url: 'git@github.com:o/x.git' },
      { path: 'sub/y', commit: sha, url: '' },
    ]);
  });

  it("git: a clone that is not there is said to be missing (doctor's drift line), git never asked", async () => {
    const runner = {
      run: () => Promise.reject(new Error('git ran')),
    } as unknown as Runner;
    await expect(lockedClone(runner, '/nonexistent/envkit/src/app', true)).rejects.toThrow(
      '/nonexistent/envkit/src/app does not exist',
    );
  });

  it('packages: dpkg-query, rpm and brew output', () => {
    expect(parseVersionQuery('apt', 'curl\t7.88.1-10+deb12u5\tamd64\ngone\t\t\n')).toEqual(
      new Map([['curl', { version: '7.88.1-10+deb12u5', arch: 'amd64' }]]),
    );
    expect(parseVersionQuery('dnf', 'git\t2.43.0-1.fc39\tx86_64\n').get('git')).toEqual({
      version: '2.43.0-1.fc39',
      arch: 'x86_64',
    });
    expect(parseVersionQuery('brew', 'cmake 3.27.9 3.28.1\n').get('cmake')).toEqual({ version: '3.28.1' });
  });
});

describe('paths under HOME in a lock', () => {
  const taken: Lock = {
    format: LOCK_FORMAT,
    recipes: {
      app: [
        {
          step: 1,
          kind: 'git',
          installed: { repo: 'https://x/y.git', dest: '/home/ann/src/y', commit: 'a'.repeat(40) },
        },
        { step: 2, kind: 'pip', installed: { venv: '/home/ann/venvs/y', distributions: { torch: '2.13.0' } } },
        { step: 3, kind: 'download', installed: { dest: '/home/annex/file', url: 'file:///home/ann/x' } },
        { step: 4, kind: 'pip', skipped: 'os is plan9' },
      ],
    },
  };
  it('are written ~/… (not a longer name sharing the prefix, not inside a URL), and read back under another HOME', () => {
    const written = homeRelative(taken, '/home/ann/');
    expect(written.recipes.app!.map((s) => s.installed)).toEqual([
      { repo: 'https://x/y.git', dest: '~/src/y', commit: 'a'.repeat(40) },
      { venv: '~/venvs/y', distributions: { torch: '2.13.0' } },
      { dest: '/home/annex/file', url: 'file:///home/ann/x' },
      undefined,
    ]);
    const bob = homeAbsolute(parseLock(formatLock(written), 'envkit.lock'), '/home/bob');
    expect(bob.recipes.app![0]!.installed!.dest).toBe('/home/bob/src/y');
    expect(bob.recipes.app![1]!.installed!.venv).toBe('/home/bob/venvs/y');
    expect(homeAbsolute(homeRelative(taken, '/home/ann'), '/home/ann')).toEqual(taken);
  });
});

describe('the header of a lock', () => {
  it('says "found installed" of a lock of what is installed, and names --resolve when a step was resolved', () => {
    const installed: Lock = {
      format: LOCK_FORMAT,
      recipes: { a: [{ step: 1, kind: 'pip', installed: { venv: '~/v', distributions: { x: '1' } } }] },
    };
    expect(formatLock(installed)).toMatch(/^# envkit.lock: what `setup lock` found installed/);
    const resolved: Lock = { ...installed, recipes: { a: [{ ...installed.recipes.a![0]!, resolved: true }] } };
    const text = formatLock(resolved);
    expect(text).not.toContain('found installed');
    expect(text).toContain('what a run would install');
    expect(parseLock(text, 'envkit.lock')).toEqual(resolved);
  });
});
