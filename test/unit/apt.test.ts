import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInstalled, parseDpkgStatus } from '../../src/steps/apt/dpkg-status.js';
import { installArgv, needsUpdate, packagesFor, parseQuery, queryArgv, updateArgv, type PackageEntry } from '../../src/steps/apt/packages.js';

const status = parseDpkgStatus(fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'apt', 'dpkg-status'), 'utf8'));

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
  const entries: PackageEntry[] = ['build-essential', { debian: 'libgl1', 'ubuntu:20.04': 'libgl1-mesa-glx', ubuntu: 'libgl1', dnf: 'mesa-libGL', brew: null }, { default: ['gfortran', 'pkg-config'] }];
  it('picks distro:version, then distro, then package manager, then default', () => {
    expect(packagesFor(entries, { distro: 'debian', distro_version: '12', pkg_manager: 'apt' }).names).toEqual(['build-essential', 'libgl1', 'gfortran', 'pkg-config']);
    expect(packagesFor(entries, { distro: 'ubuntu', distro_version: '20.04', pkg_manager: 'apt' }).names).toContain('libgl1-mesa-glx');
    expect(packagesFor(entries, { distro: 'ubuntu', distro_version: '22.04', pkg_manager: 'apt' }).names).toContain('libgl1');
    expect(packagesFor(entries, { distro: 'rocky', distro_version: '9.3', pkg_manager: 'dnf' }).names).toContain('mesa-libGL');
    expect(packagesFor(entries, { distro: 'macos', distro_version: null, pkg_manager: 'brew' }).names).toEqual(['build-essential', 'gfortran', 'pkg-config']);
  });
  it('says which entries name nothing for this host', () => {
    expect(packagesFor([{ debian: 'x' }], { distro: 'fedora', distro_version: '40', pkg_manager: 'dnf' }).unmatched).toEqual(['{"debian":"x"}']);
  });
});

describe('package manager commands', () => {
  it('builds install, update and query commands for each manager', () => {
    expect(installArgv('apt', ['a', 'b'])).toEqual(['apt-get', 'install', '-y', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', 'a', 'b']);
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
    expect([...parseQuery('dnf', ['git', 'mesa-libGL'], 'git\npackage mesa-libGL is not installed\n')]).toEqual(['git']);
    expect([...parseQuery('brew', ['cmake', 'wget'], 'cmake 3.29.2\n')]).toEqual(['cmake']);
  });
  it('knows when an apt failure calls for `apt-get update`', () => {
    expect(needsUpdate('E: Unable to locate package sl')).toBe(true);
    expect(needsUpdate("E: Package 'gcc-9' has no installation candidate")).toBe(true);
    expect(needsUpdate('E: Could not get lock /var/lib/dpkg/lock-frontend')).toBe(false);
  });
});
