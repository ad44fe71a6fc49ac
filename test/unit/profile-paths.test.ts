import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../src/catalog/profile.js';

// A profile that carries its own files (setup bundle's) writes its paths relative to itself, so the folder
// can be moved: the loader makes them absolute against the profile file's folder, each as its use needs.
describe('relative paths in a profile file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'envkit-profile-paths-'));
    await fs.mkdir(path.join(dir, 'bundle+1'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('are relative to the file, not the current folder: file:// URLs for pip and downloads, paths for git, apt, find-links', async () => {
    const file = path.join(dir, 'bundle+1', 'profile.yaml');
    await fs.writeFile(
      file,
      [
        'name: bundle',
        'pip:',
        '  index-url: ./pip/simple/',
        '  extra-index-url: ../other/simple https://example.com/simple',
        '  find-links: ./wheels /opt/wheels',
        '  constraint: ./constraints.txt',
        'git:',
        '  rewrite:',
        '    https://github.com/: ./git/github.com/',
        '    https://example.com/x.git: /srv/x.git',
        'urls:',
        '  rewrite:',
        '    https://example.com/a.tar.gz: ./files/a.tar.gz',
        'apt:',
        '  repository: ./apt',
        '',
      ].join('\n'),
    );
    const { profile, problems } = await loadProfileFile(file);
    expect(problems).toEqual([]);
    const here = path.join(dir, 'bundle+1');
    const url = (p: string): string => `file://${p.split('/').map(encodeURIComponent).join('/')}`;
    expect(profile?.pip).toEqual({
      'index-url': `${url(here)}/pip/simple/`,
      'extra-index-url': `${url(path.join(dir, 'other/simple'))} https://example.com/simple`,
      'find-links': `${here}/wheels /opt/wheels`,
      constraint: `${here}/constraints.txt`,
    });
    expect(profile?.pip?.['index-url']).toContain('bundle%2B1');
    expect(profile?.git?.rewrite).toEqual({
      'https://github.com/': `${here}/git/github.com/`,
      'https://example.com/x.git': '/srv/x.git',
    });
    expect(profile?.urls?.rewrite).toEqual({ 'https://example.com/a.tar.gz': `${url(here)}/files/a.tar.gz` });
    expect(profile?.apt).toEqual({ repository: `${here}/apt` });
  });

  it('in a folder whose path has a space or "=": git gets a file:// URL with them escaped, so the folder can be moved there', async () => {
    for (const name of ['a b', 'k=v']) {
      await fs.mkdir(path.join(dir, name));
      const file = path.join(dir, name, 'profile.yaml');
      await fs.writeFile(file, 'name: spaced\ngit:\n  rewrite:\n    https://github.com/: ./git/\n');
      const { profile, problems } = await loadProfileFile(file);
      expect(problems).toEqual([]);
      const encoded = `file://${path.join(dir, name).split('/').map(encodeURIComponent).join('/')}/git/`;
      expect(profile?.git?.rewrite).toEqual({ 'https://github.com/': encoded });
      expect(encoded).not.toMatch(/[\s=]/);
    }
  });

  it('leave a value that is not relative to the schema to judge', async () => {
    const file = path.join(dir, 'bad.yaml');
    await fs.writeFile(file, 'name: bad\ngit:\n  rewrite:\n    https://github.com/: git/github.com/\n');
    const { problems } = await loadProfileFile(file);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/git rewrite target "git\/github.com\/" is not/);
  });
});
