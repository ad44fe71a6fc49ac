import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';

/** How long a probe waits for a host that does not say when the caller does not (pip's own socket timeout). */
export const PROBE_TIMEOUT_MS = 15_000;

const probes = new Map<string, Promise<string | null>>();

/** The key a probe is memoized under: the origin of an http(s) URL, the path of a file:// one. */
function probeKey(u: URL): string {
  return u.protocol === 'file:' ? u.href : u.origin;
}

/**
 * The proxy the tools (and util/http.ts) go through for this URL, from the environment, with the variable
 * that named it (curl's order: `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY`); undefined: direct.
 */
export function proxyVar(u: URL, env: NodeJS.ProcessEnv): { name: string; url: string } | undefined {
  const scheme = u.protocol.slice(0, -1);
  const name = [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`, 'all_proxy', 'ALL_PROXY'].find(
    (n) => env[n] !== undefined,
  );
  const proxy = name ? env[name] : undefined;
  if (!name || !proxy) return undefined;
  const no = (env['no_proxy'] ?? env['NO_PROXY'] ?? '').split(',').map((h) => h.trim().replace(/^\./, ''));
  return no.some((h) => h === '*' || (h && (u.hostname === h || u.hostname.endsWith(`.${h}`))))
    ? undefined
    : { name, url: proxy };
}

/** The proxy the tools (and util/http.ts) go through for this URL, from the environment; undefined: direct. */
export function proxyFor(u: URL, env: NodeJS.ProcessEnv): string | undefined {
  return proxyVar(u, env)?.url;
}

/** One HEAD request to the origin (any HTTP status is an answer; TLS is not judged here: the tool judges it). */
function head(u: URL, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const get = u.protocol === 'https:' ? https.request : http.request;
    let settled = false;
    const done = (why: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(why);
    };
    const secs = `${Math.round(timeoutMs / 100) / 10} s`;
    const req = get(`${u.origin}/`, { method: 'HEAD', agent: false, timeout: timeoutMs, rejectUnauthorized: false });
    // The socket timeout is for idle time; this bounds connect, TLS and the answer together.
    const timer = setTimeout(() => done(`no answer in ${secs}`), timeoutMs);
    req.once('response', (res) => {
      res.resume();
      done(null);
    });
    req.once('timeout', () => done(`no answer in ${secs}`));
    req.once('error', (e: NodeJS.ErrnoException) =>
      done(
        e.code === 'ECONNREFUSED'
          ? 'connection refused'
          : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? 'host not found'
            : (e.code ?? e.message),
      ),
    );
    req.end();
  });
}

/**
 * Why `url` cannot be used, or null when its host answers (any HTTP status) — asked at most once per host
 * (a file:// URL: per path) in this process, which is one `setup` command: a host that did not answer once
 * fails every later step that needs it at once, instead of each step's tool retrying it for minutes. A
 * file:// URL must exist (unless `files: false`: a download says itself which file is missing). Other
 * schemes (ssh, git, paths) and URLs behind a proxy are not probed (null).
 */
export function unreachable(
  url: string,
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; files?: boolean } = {},
): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve(null);
  }
  if (u.protocol === 'file:' && opts.files !== false) {
    const key = probeKey(u);
    let p = probes.get(key);
    if (!p) {
      p = Promise.resolve(existsSync(fileURLToPath(u)) ? null : 'no such folder');
      probes.set(key, p);
    }
    return p;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.resolve(null);
  if (proxyFor(u, opts.env ?? process.env)) return Promise.resolve(null);
  const key = probeKey(u);
  let p = probes.get(key);
  if (!p) {
    p = head(u, opts.timeoutMs ?? PROBE_TIMEOUT_MS);
    probes.set(key, p);
  }
  return p;
}

/** A URL as a failure line shows it: no credentials, no query. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.protocol === 'file:' ? u.href : `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * The one line a step fails with when a place it needs did not answer: `index https://host/simple did not
 * answer (no answer in 15 s): check the mirror profile (setup doctor), or --mirror NAME`.
 */
export function unreachableLine(what: string, url: string, why: string): string {
  return `${what} ${shownUrl(url)} did not answer (${why}): check the mirror profile (setup doctor), or --mirror NAME`;
}
