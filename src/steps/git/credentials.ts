import type { Profile } from '../../lang/schema.js';
import { addSecret } from '../../util/redact.js';

/**
 * Credentials in git URLs (`https://user:TOKEN@host/…`, from a recipe or a mirror profile) never reach
 * argv nor the clone's `.git/config`: every URL the step hands git is stripped of its userinfo, and the
 * credential travels in the environment as `http.<url>.extraHeader` (GIT_CONFIG_COUNT/KEY_n/VALUE_n, git
 * 2.31+), scoped to that URL — so git sends it to that host and path only, and submodules' git processes
 * inherit it. The password (and the header built from it) is registered as a secret, so it is masked in
 * every output.
 */

/** A URL without its userinfo, and the `user:password` it held (as written, percent-encoded). */
export interface SplitUrl {
  url: string;
  userinfo?: string;
}

const USERINFO = /^(https?:\/\/)([^@/?#]*)@/i;

/** Splits the userinfo off an http(s) URL; other URLs (ssh's `git@host:`, paths) are returned as they are. */
export function splitUserinfo(url: string): SplitUrl {
  const m = USERINFO.exec(url);
  if (!m) return { url };
  return { url: m[1]! + url.slice(m[0].length), userinfo: m[2]! };
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** `Authorization: Basic …` for a URL's userinfo, as git would send it (user and password percent-decoded). */
export function basicHeader(userinfo: string): string {
  const at = userinfo.indexOf(':');
  const user = decode(at === -1 ? userinfo : userinfo.slice(0, at));
  const password = at === -1 ? '' : decode(userinfo.slice(at + 1));
  return `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Registers a userinfo's secret parts (the password, or a lone token used as user name, and the header). */
function registerSecrets(userinfo: string): void {
  const at = userinfo.indexOf(':');
  const secret = at === -1 ? userinfo : userinfo.slice(at + 1);
  addSecret(secret);
  addSecret(decode(secret));
  addSecret(basicHeader(userinfo).slice('Authorization: Basic '.length));
}

/** A URL as it may be shown or recorded: without userinfo (its secret parts registered for masking). */
export function publicUrl(url: string): string {
  const s = splitUserinfo(url);
  if (s.userinfo) registerSecrets(s.userinfo);
  return s.url;
}

/** The profile's git rewrites with every target stripped of its userinfo (what `insteadOf` and plans show). */
export function publicRewrites(profile: Profile): Record<string, string> {
  return Object.fromEntries(Object.entries(profile.git?.rewrite ?? {}).map(([from, to]) => [from, publicUrl(to)]));
}

/**
 * A repository's credential is for its host (`https://host:port/`), as git's own credential helpers match
 * by default: its submodules with relative URLs live there too. A mirror's is for the mirror's prefix.
 */
const hostOf = (url: string): string => {
  try {
    return `${new URL(url).origin}/`;
  } catch {
    return url;
  }
};

/**
 * The environment that gives git the credentials of `repo` and of the profile's rewrite targets, each as
 * an extraHeader scoped to its stripped URL (the repo: its host); empty when none has userinfo.
 */
export function credentialEnv(profile: Profile, repo: string): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [u, scope] of [
    [repo, hostOf],
    ...Object.values(profile.git?.rewrite ?? {}).map((to) => [to, (x: string) => x] as const),
  ] as const) {
    const s = splitUserinfo(u);
    if (!s.userinfo) continue;
    registerSecrets(s.userinfo);
    entries.push([`http.${scope(s.url)}.extraHeader`, basicHeader(s.userinfo)]);
  }
  const env: Record<string, string> = {};
  if (!entries.length) return env;
  env.GIT_CONFIG_COUNT = String(entries.length);
  entries.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}
