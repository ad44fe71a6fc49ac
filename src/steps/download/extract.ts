import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readUserFile, UnreadableFile } from '../../util/user-file.js';
import type { ArchiveLimits } from './guard.js';
import type { Compression } from './tar.js';

/** The file in an extraction folder that says which download (sha256) was unpacked there, and how. */
export const MARKER = '.envkit-extracted';

/** Archive kinds `extract` unpacks. */
export type ArchiveFormat = 'tar.gz' | 'tar.xz' | 'tar.bz2' | 'tar' | 'zip';

const COMPRESSION: Record<Exclude<ArchiveFormat, 'zip'>, Compression> = {
  'tar.gz': 'gzip',
  'tar.xz': 'xz',
  'tar.bz2': 'bzip2',
  tar: 'none',
};

/** The program an archive kind needs to be unpacked (xz and bzip2 run as programs), and the package that has it. */
export const UNPACKER: Partial<Record<ArchiveFormat, { cmd: string; pkg: string }>> = {
  'tar.xz': { cmd: 'xz', pkg: 'xz-utils (dnf: xz, brew: xz)' },
  'tar.bz2': { cmd: 'bzip2', pkg: 'bzip2' },
};

/** The archive kind a file name says by its extension (before there are bytes to look at), if it says one. */
export function formatFromName(name: string): ArchiveFormat | undefined {
  if (/\.(tar\.xz|txz)$/i.test(name)) return 'tar.xz';
  if (/\.(tar\.bz2|tbz2?)$/i.test(name)) return 'tar.bz2';
  if (/\.(tar\.gz|tgz)$/i.test(name)) return 'tar.gz';
  if (/\.zip$/i.test(name)) return 'zip';
  return /\.tar$/i.test(name) ? 'tar' : undefined;
}

/** The archive kind of a file, from its first bytes (URLs often lack an extension), else from `name`'s extension. */
export async function detectFormat(file: string, name: string): Promise<ArchiveFormat | undefined> {
  const fh = await fs.open(file, 'r');
  const head = Buffer.alloc(512);
  try {
    await fh.read(head, 0, 512, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'tar.xz';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'tar.bz2';
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6))
    return 'zip';
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return /\.tar$/i.test(name) ? 'tar' : undefined;
}

/** What a marker says: the sha256 of the archive, the URL it came from, the strip used. */
export interface MarkerData {
  sha256: string;
  url: string;
  strip: number;
}

export function markerText(m: MarkerData): string {
  return `${m.sha256}\nurl: ${m.url}\nstrip: ${m.strip}\n`;
}

/** The marker of `dir`, or undefined when there is none (or it is not one of ours). */
export async function readMarker(dir: string): Promise<MarkerData | undefined> {
  let text: string;
  try {
    text = (await readUserFile(path.join(dir, MARKER), { maxBytes: 64 << 10, what: 'markers' })).toString('utf8');
  } catch (e) {
    // Not one of ours: missing, or something else in its place (a FIFO there is never read).
    if (
      e instanceof UnreadableFile &&
      (e.code === undefined || e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'EFBIG' || e.code === 'ENXIO')
    )
      return undefined;
    throw e;
  }
  const [sha256 = '', ...rest] = text.split('\n');
  const field = (k: string): string | undefined => rest.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2);
  if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  return { sha256, url: field('url') ?? '', strip: Number(field('strip') ?? 0) };
}

/** An error for people: the folder is in the way. */
export class ExtractBlocked extends Error {}

/**
 * Unpacks `archive` into `dir`, all or nothing: the whole archive is checked first (nothing is written when
 * an entry would land outside the folder), then unpacked into a temp folder beside `dir`, marked, and renamed
 * into place. A `dir` that exists must be one this step unpacked before (it has a marker) or be empty:
 * anything else is the user's, and is never replaced.
 */
export async function unpack(
  archive: string,
  dir: string,
  format: ArchiveFormat,
  marker: MarkerData,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<void> {
  const { strip } = marker;
  // The archive libraries are loaded only when something is unpacked: plans never pay for them.
  const [{ checkTar, extractTar }, { checkZip, extractZip }] = await Promise.all([
    import('./tar.js'),
    import('./zip.js'),
  ]);
  if (format === 'zip') await checkZip(archive, strip, limits);
  else await checkTar(archive, COMPRESSION[format], strip, limits, signal);

  const st = await fs.lstat(dir).catch(() => null);
  if (st && !st.isDirectory())
    throw new ExtractBlocked(`${dir} exists and is not a folder: move it away, or choose another \`extract\` folder`);
  if (st && !(await readMarker(dir)) && (await fs.readdir(dir)).length) {
    throw new ExtractBlocked(
      `${dir} already holds files that setup did not unpack: move them away, or choose another \`extract\` folder (it gets replaced whole)`,
    );
  }
  const parent = path.dirname(dir);
  await fs.mkdir(parent, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(parent, `.${path.basename(dir)}.envkit-tmp-`));
  try {
    await fs.chmod(tmp, 0o755); // mkdtemp makes it 0700
    if (format === 'zip') await extractZip(archive, strip, tmp, limits, signal);
    else await extractTar(archive, COMPRESSION[format], strip, tmp, limits, signal);
    await fs.rm(path.join(tmp, MARKER), { recursive: true, force: true }); // an archive's own file of that name
    await fs.writeFile(path.join(tmp, MARKER), markerText(marker), { flag: 'wx' });
    if (st) {
      // Swap: the old tree steps aside, the new one takes its name, the old one goes.
      const old = path.join(parent, `.${path.basename(dir)}.envkit-old-${randomBytes(4).toString('hex')}`);
      await fs.rename(dir, old);
      await fs.rename(tmp, dir);
      await fs.rm(old, { recursive: true, force: true });
    } else await fs.rename(tmp, dir);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
