import { loadProfileFile, profileFiles } from '../catalog/profile.js';
import type { Profile } from '../lang/schema.js';

/** Mirror hosts the import recognises: a host name → the profile whose pip index or conda channels live there. */
export interface MirrorHosts {
  pip: Map<string, string>;
  conda: Map<string, string>;
}

const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
};

/** The hosts of each profile's pip index and conda channels (the default profile's upstreams included). */
export function mirrorHosts(profiles: readonly Profile[]): MirrorHosts {
  const out: MirrorHosts = { pip: new Map(), conda: new Map() };
  for (const p of profiles) {
    const pip = p.pip?.['index-url'];
    const pipHost = typeof pip === 'string' ? hostOf(pip) : undefined;
    if (pipHost) out.pip.set(pipHost, p.name);
    const channels = [...(p.conda?.default_channels ?? []), ...Object.values(p.conda?.custom_channels ?? {})];
    for (const c of channels) {
      const h = typeof c === 'string' ? hostOf(c) : undefined;
      if (h) out.conda.set(h, p.name);
    }
  }
  return out;
}

/** The profile for a URL's host, by `mirrorHosts`; a `mirrors.` prefix is ignored (tuna: mirrors.tuna… and pypi.tuna…). */
export function profileFor(hosts: Map<string, string>, url: string): string | undefined {
  const h = hostOf(url);
  if (!h) return undefined;
  const domain = (x: string): string => x.split('.').slice(-3).join('.');
  return hosts.get(h) ?? [...hosts].find(([k]) => domain(k) === domain(h))?.[1];
}

/** The mirror hosts of the profiles in these recipe folders (each folder's `profiles/`). */
export async function loadMirrorHosts(recipeDirs: readonly string[]): Promise<MirrorHosts> {
  const profiles: Profile[] = [];
  for (const file of (await profileFiles(recipeDirs)).values()) {
    const { profile } = await loadProfileFile(file);
    if (profile) profiles.push(profile);
  }
  return mirrorHosts(profiles);
}
