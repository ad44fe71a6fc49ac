import { describe, expect, it } from 'vitest';
import { mirrorPathOf, submoduleUrl } from '../../src/steps/git/bundle.js';
import { distOf } from '../../src/steps/pip/bundle.js';
import { rewriteKey } from '../../src/steps/download/bundle.js';
import {
  bundleProfile,
  makeManifest,
  mergeManifests,
  parseManifest,
  summarize,
} from '../../src/plan/bundle-manifest.js';
import type { BundleRun } from '../../src/plan/bundle.js';
import { addSecret } from '../../src/util/redact.js';

describe('git mirrors in a bundle', () => {
  it('places each URL form under git/<host>/<path>.git, and refuses a path that leaves the folder', () => {
    expect(mirrorPathOf('https://github.com/org/name.git')).toBe('git/github.com/org/name.git');
    expect(mirrorPathOf('https://github.com/org/name')).toBe('git/github.com/org/name.git');
    expect(mirrorPathOf('git@github.com:org/name.git')).toBe('git/github.com/org/name.git');
    expect(mirrorPathOf('ssh://git@host:2222/x/y.git')).toBe('git/host_2222/x/y.git');
    expect(mirrorPathOf('file:///srv/git/a.git')).toBe('git/local/srv/git/a.git');
    expect(mirrorPathOf('/srv/git/a')).toBe('git/local/srv/git/a.git');
    expect(mirrorPathOf('https://host/a/../../b.git')).toBe('git/host/b.git'); // URL parsing folds it
    expect(mirrorPathOf('git@host:../../etc/x.git')).toBeUndefined();
    expect(mirrorPathOf('https://host/')).toBeUndefined();
  });

  it('resolves a relative submodule URL against its superproject', () => {
    expect(submoduleUrl('https://github.com/org/app.git', '../lib.git')).toBe('https://github.com/org/lib.git');
    expect(submoduleUrl('https://github.com/org/app.git', '../../other/lib.git')).toBe(
      'https://github.com/other/lib.git',
    );
    expect(submoduleUrl('git@github.com:org/app.git', '../lib.git')).toBe('git@github.com:org/lib.git');
    expect(submoduleUrl('https://github.com/org/app.git', './sub.git')).toBe('https://github.com/org/app.git/sub.git');
    expect(submoduleUrl('https://x/a.git', 'https://y/b.git')).toBe('https://y/b.git');
  });
});

describe('wheels in a bundle', () => {
  it('reads the project and version from wheel and sdist names', () => {
    expect(distOf('envkit_demo_a-2.0-py3-none-any.whl')).toEqual({ name: 'envkit-demo-a', version: '2.0' });
    expect(distOf('torch-2.2.2-1-cp311-cp311-manylinux1_x86_64.whl')).toEqual({ name: 'torch', version: '2.2.2' });
    expect(distOf('Foo.Bar-1.0rc1.tar.gz')).toEqual({ name: 'foo-bar', version: '1.0rc1' });
    expect(distOf('README')).toBeUndefined();
  });
});

describe('a download URL holding a secret', () => {
  it('is mapped by its prefix before the query, and refused when the secret is in the path', () => {
    addSecret('tok-unit-1234');
    expect(rewriteKey('https://h/x.bin')).toBe('https://h/x.bin');
    expect(rewriteKey('https://h/x.bin?token=tok-unit-1234')).toBe('https://h/x.bin');
    expect(() => rewriteKey('https://h/tok-unit-1234/x.bin')).toThrow(/holds a secret in its path/);
    expect(() => rewriteKey('https://h/tok-unit-1234/x.bin')).not.toThrow(/tok-unit-1234/);
  });
});

describe('the bundle manifest and profile', () => {
  const run: BundleRun = {
    recipes: ['app'],
    skipped: [],
    steps: [
      {
        id: 'app#1',
        recipe: 'app',
        kind: 'git',
        name: 'sources',
        locked: true,
        missing: [],
        items: [
          { path: 'git/h/a.git', bytes: 100, fetched: true, commits: ['c1'] },
          { path: 'git/h/b.git', bytes: 50, fetched: false, commits: ['c2'] },
        ],
        profile: { git: { rewrite: { 'https://h/a.git': './git/h/a.git' } } },
      },
      {
        id: 'app#2',
        recipe: 'app',
        kind: 'pip',
        name: '',
        locked: true,
        missing: [],
        items: [{ path: 'pip/files/a-1-py3-none-any.whl', bytes: 10, fetched: false, sha256: 'ab' }],
        profile: { pip: { 'index-url': './pip/simple/' } },
      },
      {
        id: 'app#3',
        recipe: 'app',
        kind: 'git',
        name: '',
        locked: false,
        missing: [],
        items: [{ path: 'git/h/b.git', bytes: 50, fetched: false, commits: ['c2'] }],
        profile: { git: { rewrite: { 'https://h/b.git': './git/h/b.git' } } },
      },
    ],
  };

  it('sums sizes per kind, a mirror two steps share counted once', () => {
    const s = summarize(run);
    expect(s.kinds).toEqual([
      { kind: 'git', items: 2, bytes: 150, fetchedItems: 1, fetchedBytes: 100 },
      { kind: 'pip', items: 1, bytes: 10, fetchedItems: 0, fetchedBytes: 0 },
    ]);
    expect([s.items, s.bytes, s.fetchedItems, s.fetchedBytes]).toEqual([3, 160, 1, 100]);
  });

  it('merges every step’s fragment into one profile, and writes a manifest it reads back', () => {
    expect(bundleProfile(run)).toMatchObject({
      name: 'bundle',
      git: { rewrite: { 'https://h/a.git': './git/h/a.git', 'https://h/b.git': './git/h/b.git' } },
      pip: { 'index-url': './pip/simple/' },
    });
    const m = makeManifest(run, { lock: '/x/envkit.lock' });
    expect(m.bytes).toBe(160);
    expect(m.steps[0]!.items[0]).toEqual({ path: 'git/h/a.git', bytes: 100, commits: ['c1'] });
    expect(parseManifest(JSON.stringify(m), 'bundle.json')).toEqual(m);
    expect(String(parseManifest('{"format":9,"recipes":[],"steps":[]}', 'b.json'))).toContain('bundle format 9');
    expect(String(parseManifest('nope', 'b.json'))).toContain('is not JSON');
  });

  it('keeps what the folder held for other recipes when another is bundled into it', () => {
    const before = makeManifest(
      { recipes: ['base'], skipped: [], steps: [{ ...run.steps[1]!, id: 'base#1', recipe: 'base' }] },
      {},
    );
    const now = makeManifest(run, {});
    const merged = mergeManifests(before, now);
    expect(merged.recipes).toEqual(['base', 'app']);
    expect(merged.steps.map((s) => s.id)).toEqual(['base#1', 'app#1', 'app#2', 'app#3']);
    expect(merged.bytes).toBe(170);
    // Bundling app again replaces app's steps, keeps base's.
    expect(mergeManifests(merged, now).steps.map((s) => s.id)).toEqual(['base#1', 'app#1', 'app#2', 'app#3']);
    const p = bundleProfile(
      run,
      { name: 'bundle', urls: { rewrite: { 'https://x/f': './files/1/f' } } },
      merged.recipes,
    );
    expect(p.urls?.rewrite).toEqual({ 'https://x/f': './files/1/f' });
    expect(p.description).toContain('base, app');
  });
});
