import fs from 'node:fs';
import { errnoText } from './system-error.js';

/** Size caps of the files setup reads, by what they are. A recipe may be big; nothing here is a data file. */
export const MiB = 1 << 20;

/** A file that setup refuses to read: not a regular file, or too big. `reason` is for people. */
export class UnreadableFile extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly hint?: string,
    /** The errno of a failed open or read, when that is the cause (ENOENT, EACCES…). */
    readonly code?: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'UnreadableFile';
  }
}

export interface ReadLimits {
  /** Bytes; a bigger file is refused before any of it is read. */
  maxBytes: number;
  /** "recipes and profiles", "secrets files"…: what the cap is for, in the message. */
  what: string;
  /** How to fix a file that is too big. */
  hint?: string;
}

// O_NONBLOCK: opening a FIFO for reading then returns at once (blocking, it waits for a writer for ever);
// O_NOCTTY: a terminal named by mistake does not become ours.
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** What a non-regular file is, for messages: "a FIFO (named pipe)", "a folder"…; undefined for a regular file. */
export function fileKind(st: fs.Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

function openFailed(file: string, e: NodeJS.ErrnoException): UnreadableFile {
  // A Unix socket cannot be open()ed: ENXIO is how Linux says so.
  if (e.code === 'ENXIO')
    return new UnreadableFile(
      file,
      'a socket (or a device with nothing behind it), not a regular file',
      'setup reads only regular files: name the file itself',
      e.code,
    );
  return new UnreadableFile(file, `cannot read: ${e.code ? errnoText(e.code) : e.message}`, undefined, e.code);
}

/** The buffer to read a checked file into: one byte more than the cap, to see a file that grew past it. */
function admit(file: string, st: fs.Stats, l: ReadLimits): Buffer {
  const kind = fileKind(st);
  if (kind)
    throw new UnreadableFile(
      file,
      `${kind}, not a regular file`,
      'setup reads only regular files: name the file itself',
    );
  if (st.size > l.maxBytes) throw tooBig(file, st.size, l);
  return Buffer.allocUnsafe(Math.min(st.size, l.maxBytes) + 1);
}

function tooBig(file: string, size: number, l: ReadLimits): UnreadableFile {
  const cap = l.maxBytes % MiB ? `${l.maxBytes} bytes` : `${l.maxBytes / MiB} MiB`;
  return new UnreadableFile(
    file,
    `file is ${(size / MiB).toFixed(1)} MiB; ${l.what} are limited to ${cap}`,
    l.hint,
    'EFBIG',
  );
}

/**
 * Reads a file a user named (a recipe, profile, config.yaml, secrets, an rc file, a step's target), safely:
 * opened without blocking and checked with fstat to be a regular file (a FIFO, a device such as /dev/zero,
 * a socket or a folder is refused, never read), and refused when bigger than the cap before any of it is
 * read (and when it grows past the cap while being read). Throws UnreadableFile.
 */
export function readUserFileSync(file: string, l: ReadLimits): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, FLAGS);
  } catch (e) {
    throw openFailed(file, e as NodeJS.ErrnoException);
  }
  try {
    const buf = admit(file, fs.fstatSync(fd), l);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (n > l.maxBytes) throw tooBig(file, fs.fstatSync(fd).size, l);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof UnreadableFile) throw e;
    throw openFailed(file, e as NodeJS.ErrnoException);
  } finally {
    fs.closeSync(fd);
  }
}

/** readUserFileSync without blocking the event loop on the read itself. */
export async function readUserFile(file: string, l: ReadLimits): Promise<Buffer> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, FLAGS);
  } catch (e) {
    throw openFailed(file, e as NodeJS.ErrnoException);
  }
  try {
    const buf = admit(file, await fh.stat(), l);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got)
      got = (await fh.read(buf, n, buf.length - n, null)).bytesRead;
    if (n > l.maxBytes) throw tooBig(file, (await fh.stat()).size, l);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof UnreadableFile) throw e;
    throw openFailed(file, e as NodeJS.ErrnoException);
  } finally {
    await fh.close();
  }
}

/** The problem to show for a refused file: located at its start, as every input problem is. */
export function unreadableProblem(
  e: UnreadableFile,
  hint?: string,
): { severity: 'error'; loc: { file: string; line: number; col: number }; message: string; hint?: string } {
  return { severity: 'error', loc: { file: e.file, line: 1, col: 1 }, message: e.reason, hint: e.hint ?? hint };
}
