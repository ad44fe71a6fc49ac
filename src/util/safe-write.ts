import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { fileKind, MiB, readUserFile, UnreadableFile } from './user-file.js';
import path from 'node:path';
import { holdsSecret } from './redact.js';
import { explainWriteError, isTempNameFor, tempListIn, writeVerified, type TempEntry } from './verified-write.js';

/**
 * The list of temp files this tool created while writing, beside the backups folder: a write killed
 * half-way (SIGKILL, power loss) leaves its temp file next to the user's file, and the next run removes
 * the listed ones that pass sweepTempFiles' rules — never a file it did not create.
 */
export function tempListFor(backupDir: string): string {
  return tempListIn(path.dirname(backupDir));
}

/** What a sweep did: the temp files it removed, and how many list lines it refused (not envkit's own). */
export interface Sweep {
  removed: string[];
  refused: number;
}

const isAbsNormal = (p: unknown): p is string =>
  typeof p === 'string' && path.isAbsolute(p) && path.normalize(p) === p && !p.endsWith('/');
const inside = (dir: string, p: string): boolean => p.startsWith(dir.endsWith('/') ? dir : dir + '/');
const exists = (p: string): Promise<boolean> =>
  fs.lstat(p).then(
    () => true,
    () => false,
  );

/**
 * Removes temp files a killed write left behind (see tempListFor). The list is data anyone who can write
 * the state folder could forge, so a line is obeyed only when all of these hold: it names a file and its
 * temp as absolute, normalised paths (no `..`); the temp lies in the same folder as the file and its name
 * is exactly the one envkit gives (`.envkit-tmp-<16 hex>-<name>`); the file is one envkit writes (inside
 * the state folder, or with a verified backup or a created-mark); and the temp is a plain file (not a
 * symlink, one link only) owned by this user. Anything else deletes nothing.
 */
export async function sweepTempFiles(backupDir: string): Promise<Sweep> {
  const list = tempListFor(backupDir);
  const text = await fs.readFile(list, 'utf8').catch(() => '');
  const state = path.dirname(list);
  const states = [state, await fs.realpath(state).catch(() => state)];
  const out: Sweep = { removed: [], refused: 0 };
  for (const line of new Set(text.split('\n').filter(Boolean))) {
    let e: Partial<TempEntry>;
    try {
      e = JSON.parse(line) as Partial<TempEntry>;
    } catch {
      out.refused++;
      continue;
    }
    if (
      !e ||
      !isAbsNormal(e.file) ||
      !isAbsNormal(e.target) ||
      !isAbsNormal(e.temp) ||
      path.dirname(e.temp) !== path.dirname(e.target) ||
      !isTempNameFor(path.basename(e.target), path.basename(e.temp))
    ) {
      out.refused++;
      continue;
    }
    // The temp is beside the file named (or beside the file its symlink points at), nowhere else.
    if (e.target !== e.file && e.target !== (await fs.realpath(e.file).catch(() => e.file))) {
      out.refused++;
      continue;
    }
    const ours =
      states.some((s) => inside(s, e.target!) && inside(s, e.file!)) ||
      (await exists(sealPath(backupPathFor(e.file, backupDir)))) ||
      (await exists(createdMarkFor(e.file, backupDir)));
    const st = await fs.lstat(e.temp).catch(() => null);
    if (!st) continue; // the write finished, or an earlier sweep removed it
    if (!ours || !st.isFile() || st.nlink !== 1 || (process.getuid && st.uid !== process.getuid())) {
      out.refused++;
      continue;
    }
    await fs.unlink(e.temp).catch(() => {});
    out.removed.push(e.temp);
  }
  await fs.rm(list, { force: true });
  return out;
}

/** Where the one-time backup of `file` lives under `backupDir` (its absolute path, mirrored). */
export function backupPathFor(file: string, backupDir: string): string {
  return path.join(backupDir, path.resolve(file));
}

/** The seal of a backup: `<sha256> <size>` of the backup as verified; a backup without a matching seal is not trusted. */
const sealPath = (backup: string): string => `${backup}.envkit-sha256`;
/** Marks a file envkit created (so it has no original of the user's to keep). */
const createdMarkFor = (file: string, backupDir: string): string => `${backupPathFor(file, backupDir)}.envkit-created`;
const sealOf = (data: Buffer): string => `${createHash('sha256').update(data).digest('hex')} ${data.length}\n`;

/** Whether the backup at `dest` is whole: its seal exists and matches its bytes. */
async function backupIsSealed(dest: string): Promise<boolean> {
  const [data, seal] = await Promise.all([
    fs.readFile(dest).catch(() => undefined),
    fs.readFile(sealPath(dest), 'utf8').catch(() => undefined),
  ]);
  return data !== undefined && seal !== undefined && seal === sealOf(data);
}

/**
 * Writes a user-visible file safely (writeVerified: whole or untouched, mode and owner kept) after
 * keeping a one-time backup of the user's original. The backup is itself written verified and then
 * sealed with its hash, all before the original is touched; a backup without a matching seal (cut short
 * by an older version, or by a full disk) is set aside as `<backup>.unverified` and made again.
 * Returns the backup path when this call made the backup. Throws WriteFailed (the original untouched).
 */
export async function safeWrite(
  file: string,
  content: string | Buffer,
  opts: { backupDir: string; mode?: number },
): Promise<{ backup?: string }> {
  const tempList = tempListFor(opts.backupDir);
  await fs.mkdir(path.dirname(file), { recursive: true });
  let backup: string | undefined;
  const existing = await fs.stat(file).catch(() => null);
  // A FIFO, device or socket in the file's place is not replaced (nor, as root, /dev/something renamed over).
  if (existing && !existing.isFile())
    throw new UnreadableFile(
      file,
      `${fileKind(existing)}, not a regular file: setup will not replace it`,
      'move it away, or fix the path',
    );
  // A dangling symlink is not replaced by a file (the link may point into a dotfiles checkout not there yet).
  const link = existing ? undefined : await danglingLink(file);
  if (link !== undefined)
    throw new UnreadableFile(
      file,
      `a symlink to ${link}, which does not exist: setup will not replace the link with a file`,
      'create the file the link points to, or remove the link, then run again',
    );
  const dest = backupPathFor(file, opts.backupDir);
  const createdMark = createdMarkFor(file, opts.backupDir);
  if (existing?.isFile() && !(await exists(createdMark)) && !(await backupIsSealed(dest))) {
    const original = await fs.readFile(file);
    const say = { what: `back up ${file} to ${dest}`, unchanged: `${file} is unchanged` };
    try {
      await fs.mkdir(path.dirname(dest), { recursive: true });
      // The first unsealed backup found is set aside (it may be an older version's copy of the true
      // original); one found after that is this code's own attempt cut short, made again over it.
      if ((await exists(dest)) && !(await exists(`${dest}.unverified`))) await fs.rename(dest, `${dest}.unverified`);
      await writeVerified(dest, original, { mode: existing.mode & 0o7777, tempList, ...say });
      // A plain write: a torn seal matches nothing, so it can only make a good backup be made again.
      await fs.writeFile(sealPath(dest), sealOf(original));
    } catch (e) {
      await fs.rm(sealPath(dest), { force: true }); // a seal cut short by the full disk
      throw explainWriteError(e, say.what, dest, say.unchanged);
    }
    backup = dest;
  }
  if (!existing) {
    const say = {
      what: `record that envkit creates ${file} (in ${createdMark})`,
      unchanged: `${file} was not created`,
    };
    try {
      await fs.mkdir(path.dirname(createdMark), { recursive: true });
      await fs.writeFile(createdMark, ''); // empty: nothing to tear
    } catch (e) {
      throw explainWriteError(e, say.what, createdMark, say.unchanged);
    }
  }
  // A new file that holds a secret is private from its first byte; an existing file keeps its mode.
  const mode = opts.mode ?? (existing ? undefined : newFileMode(content));
  await writeVerified(file, content, { mode, tempList });
  return { backup };
}

/** The mode a new file with this content gets: 0600 when it holds a secret, else undefined (0666 less the umask). */
export function newFileMode(content: string | Buffer): number | undefined {
  return holdsSecret(typeof content === 'string' ? content : content.toString('utf8')) ? 0o600 : undefined;
}

/** The link's text when `file` is a symlink whose target does not exist; undefined otherwise. */
export async function danglingLink(file: string): Promise<string | undefined> {
  const link = await fs.readlink(file).catch(() => undefined);
  if (link === undefined) return undefined;
  return (await fs.stat(file).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
  ))
    ? undefined
    : link;
}

/** The largest file setup reads to edit or compare (a config, an rc file, a `file` target). */
export const TARGET_LIMITS = {
  maxBytes: 64 * MiB,
  what: 'files that setup edits',
  hint: 'setup will not load a file this big to edit it',
} as const;

/**
 * Reads a text file, or undefined when it does not exist. Only a regular file of at most TARGET_LIMITS:
 * a FIFO or device in its place is refused (UnreadableFile), never read.
 */
export async function readIfExists(file: string): Promise<string | undefined> {
  return (await readBytesIfExists(file))?.toString('utf8');
}

/** readIfExists, as the file's bytes (for editors that must write back bytes they do not decode). */
export async function readBytesIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readUserFile(file, TARGET_LIMITS);
  } catch (e) {
    if (e instanceof UnreadableFile && e.code === 'ENOENT') return undefined;
    throw e;
  }
}
