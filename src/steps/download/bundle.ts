import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { rewriteUrl } from '../../lang/mirror.js';
import { holdsSecret, MASK, redact } from '../../util/redact.js';
import type { BundleContext, BundleResult } from '../types.js';
import { cachePath, fetchToCache, hashFile } from './cache.js';
import type { DownloadConfig } from './config.js';

/** What the download hook needs of the step. */
export type DownloadBundleStep = Pick<DownloadConfig, 'url' | 'sha256' | 'maxSize' | 'retry'>;

/**
 * The key of the bundle profile's `urls.rewrite` for a URL: the URL itself, or — when it holds a secret —
 * the URL up to its query, so the secret (a token in the query) is never written; the air-gapped run
 * appends the query to a file:// URL, which ignores it. A secret before the query cannot be cut off: an
 * Error says so.
 */
export function rewriteKey(url: string): string {
  if (!holdsSecret(url)) return url;
  const at = redact(url).indexOf(MASK);
  const q = url.indexOf('?');
  if (q >= 0 && q < at) return url.slice(0, q);
  throw new Error(
    `${redact(url)} holds a secret in its path: a bundle's profile would have to write it; pass the secret in the query (?token=…), or bundle that file by hand`,
  );
}

/** The file's name in the bundle: the URL's last path segment, made safe (no separators, no dot names). */
function safeName(url: string): string {
  let base = 'file';
  try {
    base = decodeURIComponent(path.posix.basename(new URL(url).pathname)) || base;
  } catch {
    /* keep the default */
  }
  base = base.replace(/[/\\\0]/g, '_');
  return base === '.' || base === '..' ? 'file' : base;
}

/**
 * The download step's bundle: the file at `files/<sha256>/<name>`, from envkit's download cache when it
 * is there, else fetched through the active profile and verified; the profile maps the URL as the step
 * has it there. A sha256 is needed (the recipe's, or the lock's): nothing unverified goes into a bundle.
 */
export async function bundleDownload(c: DownloadBundleStep, ctx: BundleContext): Promise<BundleResult> {
  const locked = typeof ctx.locked?.sha256 === 'string' ? ctx.locked.sha256 : undefined;
  const sha = c.sha256 ?? locked;
  if (!sha)
    throw new Error(
      `${redact(c.url)} has no sha256 to verify it by: pin sha256 in the recipe, or run the recipe, \`setup lock\` it and bundle with that lock`,
    );
  const rel = `files/${sha}/${safeName(c.url)}`;
  const abs = path.join(ctx.dir, rel);
  const profile: BundleResult['profile'] = { urls: { rewrite: { [rewriteKey(c.url)]: `./${rel}` } } };
  const have = await hashFile(abs).catch(() => undefined);
  if (have === sha)
    return {
      items: [{ path: rel, bytes: (await fs.stat(abs)).size, fetched: false, sha256: sha }],
      missing: [],
      profile,
    };
  if (ctx.checkOnly)
    return {
      items: [],
      missing: [
        have === undefined
          ? `download: ${redact(c.url)} is not in the bundle (${rel})`
          : `download: ${rel} is damaged (sha256 ${have.slice(0, 12)}…, not the ${sha.slice(0, 12)}… it must have)`,
      ],
      profile,
    };
  let source = cachePath(ctx.env.paths.cache, sha);
  if ((await hashFile(source).catch(() => undefined)) !== sha) {
    const url = rewriteUrl(ctx.env.profile, c.url);
    ctx.progress(`download: ${redact(url)}`);
    source = (
      await fetchToCache(ctx.env.paths.cache, url, sha, {
        retry: c.retry,
        signal: ctx.signal,
        maxBytes: c.maxSize,
        log: ctx.progress,
        progress: (n, total) =>
          ctx.progress(`download: ${safeName(url)} ${total ? `${Math.floor((100 * n) / total)}%` : `${n} bytes`}`),
      })
    ).file;
  }
  // Copied beside its place and renamed in: a file in the bundle is whole or absent.
  await fs.mkdir(path.dirname(abs), { recursive: true });
  const temp = `${abs}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await fs.copyFile(source, temp);
    if ((await hashFile(temp)) !== sha) throw new Error(`the copy of ${source} does not have sha256 ${sha}`);
    await fs.rename(temp, abs);
  } finally {
    await fs.rm(temp, { force: true });
  }
  return { items: [{ path: rel, bytes: (await fs.stat(abs)).size, fetched: true, sha256: sha }], missing: [], profile };
}
