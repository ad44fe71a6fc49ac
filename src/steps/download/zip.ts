import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ArchiveGuard, ArchiveRefused, type ArchiveLimits, type EntryType } from './guard.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
/** A symlink's target is its content; longer than this is not a real target. */
const MAX_LINK = 4096;

interface ZipItem {
  entry: Entry;
  name: string;
  type: EntryType;
  /** Unix permission bits when the zip was made on Unix, else 0; never setuid, setgid or sticky. */
  mode: number;
  linkpath?: string;
  size: number;
}

/** Reads a (small) entry whole: symlink targets. */
async function readSmall(zip: ZipFile, entry: Entry): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Walks the zip's entries in order, each with its decoded name, type and (for symlinks) target. */
async function walk(file: string, visit: (zip: ZipFile, item: ZipItem) => Promise<void>): Promise<void> {
  // decodeStrings: false so that our guard, not yauzl, judges every name (with one clear message).
  const zip = await yauzl.openPromise(file, { lazyEntries: true, decodeStrings: false, autoClose: false });
  try {
    for await (const entry of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      const unix = entry.versionMadeBy >> 8 === 3 ? (entry.externalFileAttributes >>> 16) & 0xffff : 0;
      const type: EntryType =
        (unix & S_IFMT) === S_IFLNK ? 'symlink' : name.endsWith('/') || (unix & S_IFMT) === S_IFDIR ? 'dir' : 'file';
      if (type !== 'dir' && entry.isEncrypted())
        throw new Error(`"${name}" is encrypted: setup cannot unpack encrypted zip files`);
      if (type !== 'dir' && !entry.canDecodeFileData())
        throw new Error(`"${name}" uses compression method ${entry.compressionMethod}, which setup cannot unpack`);
      const item: ZipItem = {
        entry,
        name,
        type,
        mode: unix & 0o777,
        size: type === 'dir' ? 0 : entry.uncompressedSize,
      };
      if (type === 'symlink') {
        if (entry.uncompressedSize > MAX_LINK)
          throw new ArchiveRefused(`symlink "${name}" has a ${entry.uncompressedSize}-byte target`);
        item.linkpath = await readSmall(zip, entry);
      }
      await visit(zip, item);
    }
  } finally {
    zip.close();
  }
}

/** Reads the zip's directory (and symlink targets) without writing anything; throws ArchiveRefused when it may not be unpacked. */
export async function checkZip(file: string, strip: number, limits: ArchiveLimits): Promise<void> {
  const guard = new ArchiveGuard(strip, limits);
  await walk(file, async (_zip, item) => void guard.admit(item));
  guard.finish();
}

/** Unpacks a zip (already passed by `checkZip`) into the empty folder `dir`; the guard runs again on every entry. */
export async function extractZip(
  file: string,
  strip: number,
  dir: string,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<void> {
  const guard = new ArchiveGuard(strip, limits);
  await walk(file, async (zip, item) => {
    signal?.throwIfAborted();
    const placed = guard.admit(item);
    if (!placed) return;
    const target = path.join(dir, placed.path);
    if (item.type === 'dir') {
      await fs.promises.mkdir(target, { recursive: true, mode: (item.mode || 0o755) | 0o700 });
      return;
    }
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    // A later entry of the same name replaces the earlier one; `wx` then never follows what is there.
    const there = await fs.promises.lstat(target).catch(() => null);
    if (there?.isDirectory()) throw new Error(`"${item.name}" is both a folder and a file in the archive`);
    if (there) await fs.promises.unlink(target);
    if (item.type === 'symlink') await fs.promises.symlink(item.linkpath!, target);
    else
      await pipeline(
        await zip.openReadStreamPromise(item.entry),
        fs.createWriteStream(target, { flags: 'wx', mode: (item.mode || 0o644) | 0o600 }),
        { signal },
      );
  });
  guard.finish();
}
