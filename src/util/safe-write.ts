import { appendFileSync, mkdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import { fileKind, MiB, readUserFile, UnreadableFile } from './user-file.js';
import path from 'node:path';

/**
 * The list of temp files this tool created while writing, beside the backups folder: a write killed
 * half-way (SIGKILL, power loss) leaves its temp file next to the user's file, and the next run removes
 * exactly the ones listed here — never a file it did not create.
 */
export function tempListFor(backupDir: string): string {
  return path.join(path.dirname(backupDir), 'temp-files');
}

/** Removes temp files a killed write left behind (see tempListFor); returns the ones removed. */
export async function sweepTempFiles(backupDir: string): Promise<string[]> {
  const list = tempListFor(backupDir);
  const text = await fs.readFile(list, 'utf8').catch(() => '');
  const removed: string[] = [];
  for (const p of new Set(text.split('\n').filter(Boolean))) {
    if (await fs.lstat(p).catch(() => null)) {
      await fs.rm(p, { force: true });
      removed.push(p);
    }
  }
  await fs.rm(list, { force: true });
  return removed;
}

/** Where the one-time backup of `file` lives under `backupDir` (its absolute path, mirrored). */
export function backupPathFor(file: string, backupDir: string): string {
  return path.join(backupDir, path.resolve(file));
}

/**
 * Writes a user-visible file safely: atomically (temp file in the same folder, fsync, rename), keeping
 * its mode and owner unless `mode` is given, and keeping a one-time backup of the user's original.
 * Returns the backup path when this call made the backup.
 */
export async function safeWrite(file: string, content: string, opts: { backupDir: string; mode?: number }): Promise<{ backup?: string }> {
  // Loaded when something is written: plans and checks, which only read, never pay for it.
  const { default: writeFileAtomic } = await import('write-file-atomic');
  const list = tempListFor(opts.backupDir);
  const tmpfileCreated = (tmp: string): void => {
    mkdirSync(path.dirname(list), { recursive: true });
    appendFileSync(list, tmp + '\n');
  };
  await fs.mkdir(path.dirname(file), { recursive: true });
  let backup: string | undefined;
  const existing = await fs.stat(file).catch(() => null);
  // A FIFO, device or socket in the file's place is not replaced (nor, as root, /dev/something renamed over).
  if (existing && !existing.isFile()) throw new UnreadableFile(file, `${fileKind(existing)}, not a regular file: setup will not replace it`, 'move it away, or fix the path');
  const dest = backupPathFor(file, opts.backupDir);
  const createdMark = `${dest}.envkit-created`;
  if (existing?.isFile()) {
    // A file envkit created has no original of the user's to keep.
    if (!(await fs.stat(dest).catch(() => null)) && !(await fs.stat(createdMark).catch(() => null))) {
      await fs.mkdir(path.dirname(dest), { recursive: true });
      // Atomically too: a copy cut short by a kill would be taken for the backup, and never made again.
      await writeFileAtomic(dest, await fs.readFile(file), { mode: existing.mode & 0o7777, fsync: true, tmpfileCreated });
      backup = dest;
    }
  }
  if (!existing) {
    await fs.mkdir(path.dirname(createdMark), { recursive: true });
    await fs.writeFile(createdMark, '');
  }
  await writeFileAtomic(file, content, { mode: opts.mode, fsync: true, tmpfileCreated });
  if (opts.mode !== undefined) await fs.chmod(file, opts.mode); // not subject to umask, unlike the create mode
  return { backup };
}

/** The largest file setup reads to edit or compare (a config, an rc file, a `file` target). */
export const TARGET_LIMITS = { maxBytes: 64 * MiB, what: 'files that setup edits', hint: 'setup will not load a file this big to edit it' } as const;

/**
 * Reads a text file, or undefined when it does not exist. Only a regular file of at most TARGET_LIMITS:
 * a FIFO or device in its place is refused (UnreadableFile), never read.
 */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return (await readUserFile(file, TARGET_LIMITS)).toString('utf8');
  } catch (e) {
    if (e instanceof UnreadableFile && e.code === 'ENOENT') return undefined;
    throw e;
  }
}
