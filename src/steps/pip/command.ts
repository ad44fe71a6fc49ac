import { rewriteUrl } from '../../recipe/mirror.js';
import type { Profile } from '../../recipe/schema.js';
import type { PythonSpec } from '../python.js';

/** A pip step with templates rendered and paths made absolute. */
export interface PipConfig {
  packages: string[];
  python?: PythonSpec;
  venv?: string;
  indexUrl?: string;
  extraIndexUrls?: string[];
  trustedHosts?: string[];
  upgrade: boolean;
  pre: boolean;
  noDeps: boolean;
  args: string[];
}

const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter(Boolean);

/** The index options of a step: its own keys, else the mirror profile's; URLs after the profile's rewrites. */
export function indexOptions(c: PipConfig, profile: Profile): { indexUrl?: string; extra: string[]; trusted: string[] } {
  const indexUrl = c.indexUrl ? rewriteUrl(profile, c.indexUrl) : profile.pip?.['index-url'];
  const extra = c.extraIndexUrls ? c.extraIndexUrls.map((u) => rewriteUrl(profile, u)) : words(profile.pip?.['extra-index-url']);
  const trusted = c.trustedHosts ?? words(profile.pip?.['trusted-host']);
  return { indexUrl, extra, trusted };
}

/** `<python> -m pip install …`: the whole argv (never a shell string). */
export function installArgv(c: PipConfig, python: string, profile: Profile): string[] {
  const { indexUrl, extra, trusted } = indexOptions(c, profile);
  return [
    python, '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input',
    ...(indexUrl ? ['--index-url', indexUrl] : []),
    ...extra.flatMap((u) => ['--extra-index-url', u]),
    ...trusted.flatMap((h) => ['--trusted-host', h]),
    ...(c.upgrade ? ['--upgrade'] : []),
    ...(c.pre ? ['--pre'] : []),
    ...(c.noDeps ? ['--no-deps'] : []),
    ...c.args,
    ...c.packages,
  ];
}
