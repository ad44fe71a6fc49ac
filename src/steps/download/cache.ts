import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Memo } from '../../util/memo.js';
import { writeVerified } from '../../util/verified-write.js';
import { downloadTo, type FetchOptions } from './fetch.js';

/** Where the cache keeps the file with this sha256: `<cache>/sha256/<hash>`, shared by every recipe. */
export function cachePath(cacheDir: string, sha256: string): string {
  return path.join(cacheDir, 'sha256', sha256);
}

/** Partial files older than this (left by a killed run) are removed when the next download starts. */
const STALE_PART_MS = 24 * 3600_000;

/** The digest of a file's content (sha256 by default), streamed. */
export async function hashFile(file: string, algorithm: 'sha256' | 'sha512' = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file's sha256, memoized for this invocation by path, inode, size and mtime (so a changed file is hashed again). */
export function memoHash(
  memo: Memo,
  file: string,
  st: fs.Stats,
  algorithm: 'sha256' | 'sha512' = 'sha256',
): Promise<string> {
  return memo.get(`download:${algorithm}:${file}:${st.ino}:${st.size}:${st.mtimeMs}`, () => hashFile(file, algorithm));
}

/** The downloaded file did not have the sha256 the recipe pins. */
export class ChecksumMismatch extends Error {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
    readonly algorithm = 'sha256',
  ) {
    super(`${algorithm} mismatch for ${url}: expected ${expected}, got ${actual}`);
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
export async function fetchToCache(
  cacheDir: string,
  url: string,
  expected: string | undefined,
  o: FetchOptions,
): Promise<Cached> {
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

/**
 * The file whose SHA-512 is `sha512` (Elastic and others publish SHA-512 only): the cache stays keyed by
 * sha256, with `<cache>/sha512/<hex>` naming the sha256 of the file verified under it. A download that
 * does not match is deleted, whole, and throws ChecksumMismatch.
 */
export async function fetchToCacheSha512(
  cacheDir: string,
  url: string,
  sha512: string,
  o: FetchOptions,
): Promise<Cached> {
  const index = path.join(cacheDir, 'sha512', sha512);
  const known = await fs.promises.readFile(index, 'utf8').catch(() => undefined);
  if (known) {
    const hit = cachePath(cacheDir, known.trim());
    if ((await hashFile(hit, 'sha512').catch(() => undefined)) === sha512)
      return { file: hit, sha256: known.trim(), downloaded: 0 };
  }
  const got = await fetchToCache(cacheDir, url, undefined, o);
  const have = await hashFile(got.file, 'sha512');
  if (have !== sha512) {
    await fs.promises.rm(got.file, { force: true });
    throw new ChecksumMismatch(url, sha512, have, 'sha512');
  }
  await fs.promises.mkdir(path.dirname(index), { recursive: true });
  await writeVerified(index, got.sha256 + '\n'); // whole or absent: a torn index would name no file
  return got;
}

/** A digest read from a published checksum file. */
export interface ChecksumPin {
  algorithm: 'sha256' | 'sha512';
  digest: string;
}

const GNU_LINE = /^([0-9a-fA-F]{128}|[0-9a-fA-F]{64})(?:\s+\*?(.+?))?\s*$/;
const BSD_LINE = /^SHA(256|512) ?\((.+)\) ?= ?([0-9a-fA-F]{128}|[0-9a-fA-F]{64})\s*$/;

/**
 * The digest a published checksum file gives for `name` (the downloaded file's base name). A file of
 * several lines — sha256sum's `<hex>  <name>` or BSD's `SHA256 (name) = <hex>` — must have exactly one
 * digest for that name; a file holding one bare digest (no name) is that file's. Returns a reason
 * instead when no line names the file, or lines for it disagree.
 */
export function parseChecksumFile(text: string, name: string): ChecksumPin | { problem: string } {
  const entries: { digest: string; name?: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const gnu = GNU_LINE.exec(line);
    const bsd = gnu ? null : BSD_LINE.exec(line);
    if (gnu) entries.push({ digest: gnu[1]!.toLowerCase(), name: gnu[2] });
    else if (bsd && (bsd[1] === '256' ? 64 : 128) === bsd[3]!.length)
      entries.push({ digest: bsd[3]!.toLowerCase(), name: bsd[2] });
  }
  if (!entries.length) return { problem: 'holds no SHA-256 or SHA-512 digest' };
  const pin = (digest: string): ChecksumPin => ({ algorithm: digest.length === 128 ? 'sha512' : 'sha256', digest });
  if (entries.length === 1 && entries[0]!.name === undefined) return pin(entries[0]!.digest);
  const base = (n: string): string => n.replace(/^\.\//, '').split('/').pop()!;
  const mine = entries.filter((e) => e.name !== undefined && base(e.name) === name);
  const digests = [...new Set(mine.map((e) => e.digest))];
  if (digests.length === 1) return pin(digests[0]!);
  if (!digests.length)
    return { problem: `has ${entries.length} digest${entries.length === 1 ? '' : 's'} but none for ${name}` };
  return { problem: `gives ${digests.length} different digests for ${name}` };
}
