import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { pipeline, Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Parser, Unpack, type ReadEntry } from 'tar';
import { formatSize } from '../../util/size.js';
import {
  ArchiveGuard,
  ArchiveRefused,
  ArchiveTooBig,
  type ArchiveEntry,
  type ArchiveLimits,
  type EntryType,
} from './guard.js';

/** How a tarball is compressed. */
export type Compression = 'gzip' | 'xz' | 'bzip2' | 'none';

/** The program that decompresses each kind, and the package that has it (for the "missing" message). */
const PROGRAMS: Partial<Record<Compression, { cmd: string; pkg: string }>> = {
  xz: { cmd: 'xz', pkg: 'xz-utils (dnf: xz, brew: xz)' },
  bzip2: { cmd: 'bzip2', pkg: 'bzip2' },
};

/** A tarball's plain tar bytes, and when the decompressor (if a program) has finished. */
interface TarSource {
  stream: Readable;
  done: Promise<void>;
  stop(): void;
}

/** gzip through node's zlib; xz and bzip2 through their programs (`xz -dc`), which must be installed. */
function openTar(file: string, compression: Compression, signal?: AbortSignal): TarSource {
  const prog = PROGRAMS[compression];
  if (!prog) {
    const read = fs.createReadStream(file);
    const stream = compression === 'gzip' ? pipeline(read, zlib.createGunzip(), () => {}) : read;
    return { stream, done: Promise.resolve(), stop: () => (read.destroy(), stream.destroy()) };
  }
  const child = spawn(prog.cmd, ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  let stopped = false;
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new Error(`it needs the \`${prog.cmd}\` program, which is not installed: install ${prog.pkg}`)
          : e,
      ),
    );
    child.on('close', (code, sig) => {
      if (code === 0 || stopped) resolve();
      else reject(new Error(`\`${prog.cmd} -dc\` failed (${code ?? sig}): ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
  return {
    stream: child.stdout,
    done,
    stop: () => {
      stopped = true;
      if (child.exitCode === null) child.kill();
    },
  };
}

function entryType(t: string): EntryType {
  if (t === 'File' || t === 'OldFile' || t === 'ContiguousFile') return 'file';
  if (t === 'Directory' || t === 'GNUDumpDir') return 'dir';
  if (t === 'SymbolicLink') return 'symlink';
  if (t === 'Link') return 'hardlink';
  return 'other';
}

const toEntry = (e: ReadEntry): ArchiveEntry => ({
  name: e.path,
  type: entryType(e.type),
  linkpath: e.linkpath,
  size: e.size,
});

/**
 * Streams the tarball through a parser (node-tar's Parser or Unpack) and waits for both ends. The tar
 * bytes may not pass what the entries parsed so far account for: their content as their headers say,
 * plus headers and padding (4 KiB an entry, long names and pax headers included), plus 1 MiB for the end
 * blocks and what is in flight between here and the parser. So a gzip bomb that is no tarball (zeros,
 * which node-tar reads at about 1 MB/s as empty headers) is cut off after a MiB, not read for ever.
 */
async function drive(
  file: string,
  compression: Compression,
  parser: Parser,
  guard: ArchiveGuard,
  signal?: AbortSignal,
): Promise<void> {
  const src = openTar(file, compression, signal);
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      const cap = guard.size + 4096 * (guard.count + 1) + (1 << 20);
      if (seen > cap)
        done(
          new ArchiveTooBig(
            `its data goes on past what its ${guard.count} entries hold (${formatSize(seen)} read): a bomb, or no tarball`,
          ),
        );
      else done(null, chunk);
    },
  });
  const finished = new Promise<void>((resolve, reject) => {
    parser.on('close', () => resolve());
    parser.on('error', reject);
    src.stream.on('error', reject);
    counter.on('error', reject);
  });
  src.stream.pipe(counter).pipe(parser as unknown as NodeJS.WritableStream);
  // Settled at once so it never goes unhandled: undefined when the decompressor did fine, else its error.
  const decompressor = src.done.then(
    () => undefined,
    (e: unknown) => e,
  );
  try {
    try {
      await finished;
    } catch (e) {
      // A refused entry is the answer. Otherwise a failing decompressor (corrupt data, missing program) is
      // the cause of the parser's complaint: let it finish what it has (a few seconds at most) and report it.
      if (e instanceof ArchiveRefused) throw e;
      src.stream.unpipe();
      src.stream.resume();
      throw (await Promise.race([decompressor, new Promise((r) => setTimeout(r, 3000).unref())])) ?? e;
    }
    const failed = await decompressor;
    if (failed) throw failed;
  } finally {
    src.stop();
  }
}

/** Reads the whole tarball without writing anything; throws ArchiveRefused (or a parse error) when it may not be unpacked. */
export async function checkTar(
  file: string,
  compression: Compression,
  strip: number,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<void> {
  const guard = new ArchiveGuard(strip, limits);
  const parser: Parser = new Parser({
    strict: true,
    filter: (_p, e) => {
      try {
        guard.admit(toEntry(e as ReadEntry));
      } catch (err) {
        parser.abort(err as Error);
      }
      return false; // nothing to read: names and types are in the headers
    },
  });
  await drive(file, compression, parser, guard, signal);
  guard.finish();
}

/**
 * Unpacks a tarball (already passed by `checkTar`) into the empty folder `dir` with node-tar, which keeps
 * its own protections (no `..`, nothing through symlinks) as a second layer. Any warning fails it.
 */
export async function extractTar(
  file: string,
  compression: Compression,
  strip: number,
  dir: string,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<void> {
  const guard = new ArchiveGuard(strip, limits);
  const problems: string[] = [];
  const unpack: Unpack = new Unpack({
    cwd: dir,
    preserveOwner: false,
    filter: (_p, e) => {
      const entry = e as ReadEntry;
      let placed: ReturnType<ArchiveGuard['admit']>;
      try {
        placed = guard.admit(toEntry(entry));
      } catch (err) {
        unpack.abort(err as Error);
        return false;
      }
      if (!placed) return false;
      // node-tar writes what the guard approved: the stripped path (strip is done here, not by node-tar).
      entry.path = placed.path;
      if (placed.linkpath !== undefined) entry.linkpath = placed.linkpath;
      // Permissions only: no setuid, setgid or sticky bit from a download (as root they would be kept).
      if (typeof entry.mode === 'number') entry.mode &= 0o777;
      return true;
    },
    onwarn: (code, message) => {
      if (code !== 'TAR_ENTRY_INFO') problems.push(message);
    },
  });
  await drive(file, compression, unpack, guard, signal);
  if (problems.length)
    throw new Error(
      `unpacking failed: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    );
}
