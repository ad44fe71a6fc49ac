import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FactValue } from '../facts/registry.js';
import { parseOsRelease } from '../facts/parsers.js';
import { userShell } from '../util/login-shell.js';
import { packageVersion, type Paths } from '../util/paths.js';
import { isFish, rcFilesSourcing, shellRcFiles } from './env-sourced.js';
import type { DoctorItem } from './verify.js';

/** What a bug report needs to know about envkit and where it keeps things (`setup doctor`'s header). */
export interface DoctorHeader {
  envkit: string;
  node: string;
  os: string;
  arch: string;
  kernel: string;
  /** From /etc/os-release: PRETTY_NAME, else the `distro` facts; null where there is none. */
  distro: string | null;
  /** The user's shell: $SHELL, else the login shell; null when neither is known. */
  shell: string | null;
  config: { file: string; exists: boolean };
  state: string;
  cache: string;
  /** The active mirror profile's name. */
  profile: string;
  envFile: {
    file: string;
    exists: boolean;
    /** The rc files of the user's shell that were looked at, and those of them that source the env file. */
    rcFiles: string[];
    sourcedBy: string[];
  };
}

/** os-release's PRETTY_NAME ("Debian GNU/Linux 12 (bookworm)"), else the `distro` facts; null on neither. */
async function distroName(facts: Record<string, FactValue>): Promise<string | null> {
  for (const f of ['/etc/os-release', '/usr/lib/os-release']) {
    const pretty = parseOsRelease((await readFile(f, 'utf8').catch(() => '')) || '').PRETTY_NAME;
    if (pretty) return pretty;
  }
  if (typeof facts.distro !== 'string' || !facts.distro) return null;
  const version = facts.distro_version ? ` ${String(facts.distro_version)}` : '';
  const codename = facts.distro_codename ? ` (${String(facts.distro_codename)})` : '';
  return `${facts.distro}${version}${codename}`;
}

/** Gathers the header; reads only. */
export async function doctorHeader(
  paths: Paths,
  facts: Record<string, FactValue>,
  profile: string,
  env: NodeJS.ProcessEnv,
): Promise<DoctorHeader> {
  const shell = userShell(env);
  const rcFiles = shellRcFiles(shell, paths.home);
  return {
    envkit: packageVersion(),
    node: process.version,
    os: process.platform,
    arch: process.arch,
    kernel: os.release(),
    distro: await distroName(facts),
    shell,
    config: { file: paths.configFile, exists: fs.existsSync(paths.configFile) },
    state: paths.state,
    cache: paths.cache,
    profile,
    envFile: {
      file: paths.envFile,
      exists: fs.existsSync(paths.envFile),
      rcFiles,
      sourcedBy: await rcFilesSourcing(rcFiles, paths.envFile, paths.home, env),
    },
  };
}

/** The `env-file` check: an env file the user's shell does not load is a warning with the line to add. */
export function envFileItem(h: DoctorHeader, home: string): DoctorItem {
  const e = h.envFile;
  const tilde = (p: string): string => (p.startsWith(home + '/') ? `~/${p.slice(home.length + 1)}` : p);
  const label = tilde(e.file);
  if (!e.exists) return { label, status: 'ok', message: 'not written yet: no env step has run' };
  if (e.sourcedBy.length) return { label, status: 'ok', message: `loaded by ${e.sourcedBy.map(tilde).join(', ')}` };
  const rc = tilde(e.rcFiles[0] ?? path.join(home, '.profile'));
  const line = e.file.startsWith(home + '/') ? `. "$HOME/${e.file.slice(home.length + 1)}"` : `. "${e.file}"`;
  // fish reads neither ~/.profile nor POSIX sh: say so, and name fish's own file, never a fix that cannot work.
  if (isFish(h.shell))
    return {
      label,
      status: 'warn',
      message: `not loaded by fish: fish cannot read ${path.basename(e.file)} (POSIX sh) itself, and none of ${e.rcFiles.map(tilde).join(', ')} loads it through bass or fenv, so new shells miss what env steps set`,
      fix: `add this line to ${rc} (needs the bass plugin; envkit writes no fish env file): bass source ${line.slice(2)}`,
    };
  return {
    label,
    status: 'warn',
    message: `not loaded by ${h.shell ? path.basename(h.shell) : 'the shell'}: none of ${e.rcFiles.map(tilde).join(', ')} sources it, so new shells miss what env steps set`,
    fix: `add this line to ${rc}: ${line}`,
  };
}
