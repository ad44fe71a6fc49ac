import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Memo } from '../../util/memo.js';
import { downloadTo, type FetchOptions } from './fetch.js';

/** Where the cache keeps the file with this sha256: `<cache>/sha256/<hash>`, shared by every recipe. */
export function cachePath(cacheDir: string, sha256: string): string {
  return path.join(cacheDir, 'sha256', sha256);
}

/** Partial files older than this (left by a killed run) are removed when the next download starts. */
const STALE_PART_MS = 24 * 3600_000;

/** The sha256 of a file's content, streamed. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file's sha256, memoized for this invocation by path, inode, size and mtime (so a changed file is hashed again). */
export function memoHash(memo: Memo, file: string, st: fs.Stats): Promise<string> {
  return memo.get(`download:sha256:${file}:${st.ino}:${st.size}:${st.mtimeMs}`, () => hashFile(file));
}

/** The downloaded file did not have the sha256 the recipe pins. */
export class ChecksumMismatch extends Error {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`sha256 mismatch for ${url}: expected ${expected}, got ${actual}`);
    this.name = 'ChecksumMismatch';
  }
}

export interface Cached {
  /** The verified file in the cache. */
  file: string;
  sha256: string;
  /** Bytes transferred now: 0 on a cache hit. */
  downloaded: number;
}

/**
 * The file with sha256 `expected`, from the cache or else downloaded into it. A download goes to a temp name
 * in the cache folder and is renamed only once its hash matches; on a mismatch it is deleted and this throws
 * ChecksumMismatch. Without `expected` (an insecure download) it always downloads, and files it under the
 * hash it turns out to have.
 */
export async function fetchToCache(cacheDir: string, url: string, expected: string | undefined, o: FetchOptions): Promise<Cached> {
  if (expected) {
    const hit = cachePath(cacheDir, expected);
    const have = await hashFile(hit).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (have === expected) return { file: hit, sha256: expected, downloaded: 0 };
    if (have !== undefined) {
      o.log(`the cached ${hit} is damaged (sha256 ${have}); downloading it again`);
      await fs.promises.rm(hit, { force: true });
    }
  }
  const dir = path.dirname(cachePath(cacheDir, 'x'));
  await fs.promises.mkdir(dir, { recursive: true });
  await removeStaleParts(dir);
  const part = path.join(dir, `.${expected ?? 'unverified'}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
  try {
    const got = await downloadTo(url, part, o);
    if (expected && got.sha256 !== expected) throw new ChecksumMismatch(url, expected, got.sha256);
    const file = cachePath(cacheDir, got.sha256);
    await fs.promises.rename(part, file);
    return { file, sha256: got.sha256, downloaded: got.bytes };
  } finally {
    await fs.promises.rm(part, { force: true }); // gone already after the rename
  }
}

async function removeStaleParts(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await fs.promises.readdir(dir)) {
    if (!name.endsWith('.part')) continue;
    const p = path.join(dir, name);
    const st = await fs.promises.stat(p).catch(() => null);
    if (st && now - st.mtimeMs > STALE_PART_MS) await fs.promises.rm(p, { force: true });
  }
}
