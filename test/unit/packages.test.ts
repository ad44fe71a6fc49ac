import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/catalog/load.js';
import { lintRecipe } from '../../src/catalog/lint.js';
import { InputStore } from '../../src/plan/inputs.js';
import { resolveText } from '../helpers/resolve.js';
import { inputsOf } from '../../src/steps/inputs.js';
import { isInstalled, parseDpkgStatus } from '../../src/steps/packages/dpkg-status.js';
import {
  installArgv,
  needsUpdate,
  packagesFor,
  parseQuery,
  queryArgv,
  updateArgv,
  type PackageEntry,
} from '../../src/steps/packages/managers.js';

const status = parseDpkgStatus(
  fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'apt', 'dpkg-status'), 'utf8'),
);

describe('dpkg status (captured)', () => {
  it('counts installed packages, with and without architecture', () => {
    for (const p of ['git', 'coreutils', 'bash', 'libgl1', 'libc6']) expect(isInstalled(status, p), p).toBe(p);
    expect(isInstalled(status, 'libc6:amd64')).toBe('libc6:amd64');
  });
  it('does not count removed (config-files) or half-installed packages, nor unknown ones', () => {
    expect(isInstalled(status, 'removed-but-config')).toBeUndefined();
    expect(isInstalled(status, 'half-installed-pkg')).toBeUndefined();
    expect(isInstalled(status, 'cowsay-not-here')).toBeUndefined();
  });
  it('counts virtual names through Provides, continuation lines included', () => {
    expect(isInstalled(status, 'virtual-thing')).toBe('provider-pkg');
    expect(isInstalled(status, 'other-virtual')).toBe('provider-pkg');
    expect(isInstalled(status, 'continued-virtual')).toBe('provider-pkg');
  });
});

describe('package names per host', () => {
  const entries: PackageEntry[] = [
    'build-essential',
    { debian: 'libgl1', 'ubuntu:20.04': 'libgl1-mesa-glx', ubuntu: 'libgl1', dnf: 'mesa-libGL', brew: null },
    { default: ['gfortran', 'pkg-config'] },
  ];
  it('picks distro:version, then distro, then package manager, then default', () => {
    expect(packagesFor(entries, { distro: 'debian', distro_version: '12', pkg_manager: 'apt' }).names).toEqual([
      'build-essential',
      'libgl1',
      'gfortran',
      'pkg-config',
    ]);
    expect(packagesFor(entries, { distro: 'ubuntu', distro_version: '20.04', pkg_manager: 'apt' }).names).toContain(
      'libgl1-mesa-glx',
    );
    expect(packagesFor(entries, { distro: 'ubuntu', distro_version: '22.04', pkg_manager: 'apt' }).names).toContain(
      'libgl1',
    );
    expect(packagesFor(entries, { distro: 'rocky', distro_version: '9.3', pkg_manager: 'dnf' }).names).toContain(
      'mesa-libGL',
    );
    expect(packagesFor(entries, { distro: 'macos', distro_version: null, pkg_manager: 'brew' }).names).toEqual([
      'build-essential',
      'gfortran',
      'pkg-config',
    ]);
  });
  it('says which entries name nothing for this host', () => {
    expect(
      packagesFor([{ debian: 'x' }], { distro: 'fedora', distro_version: '40', pkg_manager: 'dnf' }).unmatched,
    ).toEqual(['{"debian":"x"}']);
  });
});

describe('package manager commands', () => {
  it('builds install, update and query commands for each manager', () => {
    expect(installArgv('apt', ['a', 'b'])).toEqual([
      'apt-get',
      'install',
      '-y',
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      '-o',
      'DPkg::Lock::Timeout=300',
      'a',
      'b',
    ]);
    expect(installArgv('dnf', ['a'])).toEqual(['dnf', 'install', '-y', 'a']);
    expect(installArgv('yum', ['a'])).toEqual(['yum', 'install', '-y', 'a']);
    expect(installArgv('brew', ['a'])).toEqual(['brew', 'install', 'a']);
    expect(() => installArgv('pacman', ['a'])).toThrow(/no supported package manager/);
    expect(updateArgv('apt')).toEqual(['apt-get', 'update']);
    expect(updateArgv('dnf')).toEqual(['dnf', 'makecache']);
    expect(queryArgv('dnf', ['a', 'b'])).toEqual(['rpm', '-q', '--qf', '%{NAME}\\n', 'a', 'b']);
    expect(queryArgv('brew', ['a'])).toEqual(['brew', 'list', '--versions', 'a']);
    expect(queryArgv('apt', ['a'])).toBeUndefined();
  });
  it('reads rpm -q and brew list output', () => {
    expect([...parseQuery('dnf', ['git', 'mesa-libGL'], 'git\npackage mesa-libGL is not installed\n')]).toEqual([
      'git',
    ]);
    expect([...parseQuery('brew', ['cmake', 'wget'], 'cmake 3.29.2\n')]).toEqual(['cmake']);
  });
  it('knows when an apt failure calls for `apt-get update`', () => {
    expect(needsUpdate('E: Unable to locate package sl')).toBe(true);
    expect(needsUpdate("E: Package 'gcc-9' has no installation candidate")).toBe(true);
    expect(needsUpdate('E: Could not get lock /var/lib/dpkg/lock-frontend')).toBe(false);
  });
});

describe('`apt:`, the earlier name of the packages kind', () => {
  const yaml = (key: string, pkgs = 'libgl1, git'): string =>
    `name: gl\ndescription: x\nsteps:\n  - name: GL\n    ${key}: [${pkgs}]\n  - run: touch /tmp/x\n    creates: /tmp/x\n`;
  const load = (text: string) => {
    const { recipe, problems } = parseRecipe('/virtual/gl.yaml', Buffer.from(text));
    expect(problems).toEqual([]);
    return recipe!;
  };
  const resolve = (text: string) => resolveText('/virtual/gl.yaml', text).steps;

  it('loads to the packages kind: same step ids, config and inputs as `packages:`', () => {
    const old = resolve(yaml('apt'));
    const now = resolve(yaml('packages'));
    expect(old.map((s) => [s.id, s.kind])).toEqual([
      ['gl#1', 'packages'],
      ['gl#2', 'run'],
    ]);
    expect(old.map((s) => s.config)).toEqual(now.map((s) => s.config));
    expect(inputsOf(old[1]!)).toEqual(inputsOf(now[1]!));
    expect(Object.keys(inputsOf(now[1]!))).toContain('#1 packages.packages');
  });

  it('validate notes the earlier name, at the key, as a warning (never an error)', () => {
    const notes = lintRecipe(load(yaml('apt')));
    expect(notes).toEqual([
      {
        severity: 'warning',
        loc: { file: '/virtual/gl.yaml', line: 5, col: 5 },
        message: '`apt:` is the earlier name of `packages:`; it still works and means the same',
        hint: 'write `packages:`, unless the recipe must still load in setup 0.1.0',
      },
    ]);
    expect(lintRecipe(load(yaml('packages')))).toEqual([]);
  });

  it('is one kind with `packages:`: both in one step is two kinds', () => {
    const { problems } = parseRecipe(
      '/virtual/gl.yaml',
      Buffer.from('name: gl\nsteps:\n  - apt: [git]\n    packages: [git]\n'),
    );
    expect(problems.map((p) => p.message)).toEqual(['a step has exactly one kind; this one has apt and packages']);
  });

  it('a step recorded under `apt` by an older setup is not seen as changed; a real change still is', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-inputs-'));
    try {
      const step = resolve(yaml('packages'))[1]!;
      const recorded = (inputs: Record<string, string>): InputStore => {
        const file = path.join(dir, `inputs-${Math.random()}.json`);
        fs.writeFileSync(
          file,
          JSON.stringify({ version: 1, steps: { 'gl#2': { time: '2026-01-01T00:00:00.000Z', inputs } } }),
        );
        return new InputStore(file);
      };
      // What setup 0.1.0 wrote for this step: the earlier step's inputs under `#1 apt.…`.
      const old = Object.fromEntries(
        Object.entries(inputsOf(step)).map(([k, v]) => [k.replace('#1 packages.', '#1 apt.'), v]),
      );
      expect(Object.keys(old)).toContain('#1 apt.packages');
      expect(recorded(old).changes(step)).toEqual([]);
      const changed = resolve(yaml('packages', 'libgl1, git, curl'))[1]!;
      expect(recorded(old).changes(changed)).toEqual([
        'GL: packages.packages: ["libgl1","git"] → ["libgl1","git","curl"]',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
