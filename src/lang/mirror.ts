import type { Profile } from './schema.js';

/** Applies a profile's longest matching prefix rewrite to a URL; unchanged when none matches. */
export function rewriteWith(rules: Record<string, string> | undefined, url: string): string {
  let best = '';
  for (const from of Object.keys(rules ?? {})) if (url.startsWith(from) && from.length > best.length) best = from;
  return best ? rules![best] + url.slice(best.length) : url;
}

/** A download URL after the profile's `urls.rewrite`. */
export function rewriteUrl(profile: Profile, url: string): string {
  return rewriteWith(profile.urls?.rewrite, url);
}

/**
 * `git -c url.<to>.insteadOf=<from>` arguments for every rewrite (the profile's, stripped of credentials): applied to one git
 * command (the clone and every submodule), never to the user's global config.
 */
export function gitRewriteArgs(rules: Record<string, string>): string[] {
  return Object.entries(rules).flatMap(([from, to]) => ['-c', `url.${to}.insteadOf=${from}`]);
}

/**
 * Every host a profile points at (for doctor's reachability check), as `scheme://host`; a `file://` pip index
 * (`index-url`, each of the space-separated `extra-index-url`) as its whole URL: that folder must exist.
 */
export function profileHosts(profile: Profile): string[] {
  const pip = [profile.pip?.['index-url'], ...(profile.pip?.['extra-index-url'] ?? '').split(/\s+/)];
  const urls = [
    ...pip,
    ...(profile.conda?.default_channels ?? []),
    ...Object.values(profile.conda?.custom_channels ?? {}),
    ...(profile.go?.proxy ?? '').split(/[,|]/),
    ...Object.values(profile.git?.rewrite ?? {}),
    ...Object.values(profile.urls?.rewrite ?? {}),
  ];
  const hosts = new Set<string>();
  for (const u of urls) {
    if (!u) continue;
    try {
      const parsed = new URL(u);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') hosts.add(`${parsed.protocol}//${parsed.host}`);
      else if (parsed.protocol === 'file:' && pip.includes(u)) hosts.add(parsed.href);
    } catch {
      /* `direct`, `off`, file paths */
    }
  }
  return [...hosts];
}
