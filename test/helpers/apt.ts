import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Whether dpkg has `name` installed (status `ii`). */
export const aptInstalled = (name: string): boolean =>
  spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}', name], { encoding: 'utf8' }).stdout.startsWith('ii');

/** Removes a package a test installed (waiting for the dpkg lock another test may hold). */
export const purgeApt = (name: string): void =>
  void spawnSync('apt-get', ['purge', '-y', '-o', 'DPkg::Lock::Timeout=300', name], { stdio: 'ignore' });

/**
 * Why a test may not install and then purge `name` here (not root, not Debian, the package there already, apt
 * cannot fetch it), or undefined. Each test uses its own package, so two never race for one.
 */
export function aptWhyNot(name: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!fs.existsSync('/usr/bin/apt-get')) return 'not a Debian host';
  if (aptInstalled(name)) return `${name} is installed already: the test would remove it`;
  const uri = spawnSync('apt-get', ['--print-uris', 'download', name], { encoding: 'utf8' }).stdout;
  return uri.includes('.deb') ? undefined : `apt knows no ${name}`;
}

/**
 * Installs `name` for a test when the host lacks it and can (root, Debian, apt can fetch it): true when it
 * is installed now by this call. The caller removes it afterwards (purgeApt).
 */
export function aptInstallForTest(name: string): boolean {
  if (aptWhyNot(name) !== undefined) return false;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', name], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0 && aptInstalled(name);
}
