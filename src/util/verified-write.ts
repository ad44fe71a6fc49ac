import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  writeSync,
} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Why not write-file-atomic: it writes the temp file with one `fs.write` call and ignores the count that
 * call returns. On a disk that fills up mid-write, write(2) returns a short count without an error, so a
 * truncated temp file was fsynced and renamed over the user's file. Here every count is checked, the size
 * and the bytes are read back, and only then is the temp file renamed.
 */

/** A write that failed: which file, why (in words), and what to do. The original is untouched. */
export class WriteFailed extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'WriteFailed';
  }
}

/** Every temp file envkit writes starts with this, followed by 16 hex digits, `-`, and the target's name. */
export const TEMP_PREFIX = '.envkit-tmp-';
/** Long names are cut so the temp name stays under NAME_MAX (255 bytes). */
const NAME_BYTES = 200;

function cutName(base: string): string {
  let out = '';
  for (const ch of base) {
    if (Buffer.byteLength(out + ch) > NAME_BYTES) break;
    out += ch;
  }
  return out;
}

/** The temp file's name for a target's basename, with its random part. */
export function tempNameFor(base: string, random = randomBytes(8).toString('hex')): string {
  return `${TEMP_PREFIX}${random}-${cutName(base)}`;
}

/** Whether `name` is exactly a name tempNameFor(base) could have given. */
export function isTempNameFor(base: string, name: string): boolean {
  const m = /^\.envkit-tmp-([0-9a-f]{16})-/.exec(name);
  return !!m && name === tempNameFor(base, m[1]);
}

/** The list of temp files in a state folder (see sweepTempFiles). */
export function tempListIn(stateDir: string): string {
  return path.join(stateDir, 'temp-files');
}

/** One line of the temp list: the file being written (as asked, and its real path) and its temp file. */
export interface TempEntry {
  file: string;
  target: string;
  temp: string;
}

/** The mount point holding `p` (the longest mount containing its real path), for messages. */
export function mountOf(p: string): string {
  let real = path.resolve(p);
  for (let d = real; ; d = path.dirname(d)) {
    try {
      real = path.join(realpathSync(d), path.relative(d, real));
      break;
    } catch {
      if (d === path.dirname(d)) break; // nothing of it exists: judge the path as given
    }
  }
  let best = '/';
  try {
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const mp = line.split(' ')[1]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      if (mp && (real === mp || real.startsWith(mp.endsWith('/') ? mp : mp + '/')) && mp.length > best.length)
        best = mp;
    }
  } catch {
    /* no /proc: say / */
  }
  return best;
}

/** Turns an errno error while writing `file` into a WriteFailed that says where and what to do. */
export function explainWriteError(
  e: unknown,
  what: string,
  file: string,
  unchanged: string,
  denied = 'run setup as root, or mark the step `root: true`',
): WriteFailed {
  if (e instanceof WriteFailed) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const mount = mountOf(path.dirname(file));
  const tail = `; ${unchanged}`;
  switch (code) {
    case 'ENOSPC':
      return new WriteFailed(
        `cannot ${what}: no space left on ${mount}${tail}`,
        `free some space on ${mount} (df -h ${mount}) and run again`,
        code,
      );
    case 'EDQUOT':
      return new WriteFailed(
        `cannot ${what}: disk quota exceeded on ${mount}${tail}`,
        `free some space within your quota on ${mount} (quota -s) and run again`,
        code,
      );
    case 'EFBIG':
      return new WriteFailed(
        `cannot ${what}: the file is too large for ${mount}${tail}`,
        `make the content smaller, or write it to another file system`,
        code,
      );
    case 'EIO':
      return new WriteFailed(
        `cannot ${what}: input/output error on ${mount}${tail}`,
        `the disk holding ${mount} may be failing: check dmesg, then run again`,
        code,
      );
    case 'EROFS':
      return new WriteFailed(
        `cannot ${what}: ${mount} is mounted read-only${tail}`,
        `remount ${mount} read-write, or write the file elsewhere`,
        code,
      );
    case 'EACCES':
    case 'EPERM':
      return new WriteFailed(`cannot ${what}: permission denied${tail}`, denied, code);
    default:
      return new WriteFailed(
        `cannot ${what}: ${(e as Error).message ?? String(e)}${tail}`,
        'fix the cause above and run again',
        code,
      );
  }
}

/** Options of writeVerified. */
export interface WriteOptions {
  /** The mode of the result (default: the existing file's, else 0666 less the umask). */
  mode?: number;
  /** Where to list the temp file before creating it, so a killed write's leftover is swept next run. */
  tempList?: string;
  /** Create only: fail with EEXIST when the file exists (it is linked into place, never renamed over). */
  exclusive?: boolean;
  /** For the error: what was being done (default `write <file>`), and what is left as it was. */
  what?: string;
  unchanged?: string;
  /** For the error: what to do when the write is denied (default: a step's hint, root or `root: true`). */
  denied?: string;
}

/**
 * Writes `data` to `file` so that it is either the whole new content or untouched: a temp file created
 * (O_EXCL) in the same folder, every byte count checked, fsynced, its size (fstat) and bytes (read back)
 * compared with `data`, then renamed over the file (a symlink's target is written, the link kept) and
 * the folder fsynced. Mode and owner of an existing file are kept. On any failure the temp file is
 * removed and a WriteFailed says why; the original is byte-identical.
 */
export async function writeVerified(file: string, data: string | Buffer, opts: WriteOptions = {}): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const target = await fs.realpath(file).catch(() => path.resolve(file));
  const dir = path.dirname(target);
  const temp = path.join(dir, tempNameFor(path.basename(target)));
  const existing = opts.exclusive ? null : await fs.stat(target).catch(() => null);
  const mode = opts.mode ?? (existing ? existing.mode & 0o7777 : undefined);
  let fh: fs.FileHandle | undefined;
  let created = false;
  try {
    if (opts.tempList) {
      // Listed before it exists: a kill right after the open still leaves a listed temp file.
      mkdirSync(path.dirname(opts.tempList), { recursive: true });
      const entry: TempEntry = { file: path.resolve(file), target, temp };
      appendFileSync(opts.tempList, JSON.stringify(entry) + '\n');
    }
    fh = await fs.open(temp, 'wx+', mode ?? 0o666); // read-write: the bytes are read back
    created = true;
    for (let off = 0; off < buf.length;) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off, off);
      if (bytesWritten <= 0)
        throw Object.assign(new Error(`short write: ${off} of ${buf.length} bytes`), { code: 'EIO' });
      off += bytesWritten;
    }
    await fh.sync();
    const st = await fh.stat();
    if (st.size !== buf.length)
      throw Object.assign(new Error(`wrote ${st.size} of ${buf.length} bytes`), { code: 'EIO' });
    await readBackEquals(fh, buf);
    if (existing && (existing.uid !== st.uid || existing.gid !== st.gid)) {
      await fh.chown(existing.uid, existing.gid).catch((e: NodeJS.ErrnoException) => {
        if (process.getuid?.() === 0 || (e.code !== 'EPERM' && e.code !== 'EINVAL')) throw e;
      });
    }
    if (mode !== undefined) await fh.chmod(mode); // not subject to the umask, unlike the create mode
    await fh.close();
    fh = undefined;
    if (opts.exclusive) await fs.link(temp, target);
    else await fs.rename(temp, target);
    await syncDir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && opts.exclusive) throw e;
    throw explainWriteError(
      e,
      opts.what ?? `write ${file}`,
      file,
      opts.unchanged ?? (existing ? `${file} is unchanged` : `${file} was not created`),
      opts.denied,
    );
  } finally {
    await fh?.close().catch(() => {});
    if (created) await fs.unlink(temp).catch(() => {}); // gone already after the rename
  }
}

/** Reads the file back and compares it with what was written (a size can match while bytes do not). */
async function readBackEquals(fh: fs.FileHandle, want: Buffer): Promise<void> {
  const chunk = Buffer.alloc(Math.min(want.length, 1 << 20) || 1);
  for (let off = 0; off < want.length;) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, want.length - off), off);
    if (bytesRead <= 0 || !chunk.subarray(0, bytesRead).equals(want.subarray(off, off + bytesRead))) {
      throw Object.assign(new Error(`the bytes read back differ from those written at offset ${off}`), { code: 'EIO' });
    }
    off += bytesRead;
  }
}

/** fsync of a folder, so a rename survives a power loss; file systems that cannot are let be. */
async function syncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r');
  try {
    await d.sync().catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EINVAL' && e.code !== 'ENOTSUP') throw e;
    });
  } finally {
    await d.close();
  }
}

/**
 * Appends `text` to `file` whole or not at all: every count checked, fsynced; on a failure (a full
 * disk) the file is cut back to its length before, so a log of JSON lines never ends in half a line.
 */
export function appendWhole(file: string, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'a');
  const before = fstatSync(fd).size;
  try {
    for (let off = 0; off < buf.length;) {
      const n = writeSync(fd, buf, off, buf.length - off);
      if (n <= 0) throw Object.assign(new Error(`short write: ${off} of ${buf.length} bytes`), { code: 'EIO' });
      off += n;
    }
    fsyncSync(fd);
  } catch (e) {
    try {
      ftruncateSync(fd, before);
    } catch {
      /* nothing more to do: the error below says what happened */
    }
    throw explainWriteError(e, `append to ${file}`, file, `${file} is as it was`);
  } finally {
    closeSync(fd);
  }
}
