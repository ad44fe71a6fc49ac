import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** A .deb in a flat repository: its control fields (`dpkg-deb -f` output), file name, size and sha256. */
export interface DebEntry {
  control: string;
  file: string;
  size: number;
  sha256: string;
}

/**
 * The `Packages` index of a flat apt repository (`deb [trusted=yes] file:/dir ./`): each .deb's control
 * fields, then `Filename: ./<file>`, `Size`, `SHA256`; sorted by file name, so the same folder gives the
 * same bytes.
 */
export function packagesIndex(entries: readonly DebEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((e) =>
      [
        e.control.replace(/\n+$/, ''),
        // The archive's own file names (debFileName): letters, digits and `.+~_-`, nothing to quote.
        `Filename: ./${e.file}`,
        `Size: ${e.size}`,
        `SHA256: ${e.sha256}`,
      ].join('\n'),
    )
    .map((p) => `${p}\n`)
    .join('\n');
}

/** The index files of a flat repository and their bytes: `Packages`, `Packages.gz`, and a `Release` listing both. */
export function repositoryFiles(entries: readonly DebEntry[], date: Date): Map<string, Buffer> {
  const packages = Buffer.from(packagesIndex(entries), 'utf8');
  // mtime 0 in the gzip header: the same index gives the same bytes.
  const gz = gzipSync(packages, { level: 9 });
  gz.writeUInt32LE(0, 4);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const release = [
    'Origin: envkit',
    'Label: envkit bundle',
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    'SHA256:',
    ` ${sha(packages)} ${packages.length} Packages`,
    ` ${sha(gz)} ${gz.length} Packages.gz`,
    '',
  ].join('\n');
  return new Map([
    ['Packages', packages],
    ['Packages.gz', gz],
    ['Release', Buffer.from(release, 'utf8')],
  ]);
}

/** The file name a .deb gets in the bundle: the archive's own (`fortune-mod_1.99.1-7.3_amd64.deb`, no epoch). */
export function debFileName(archiveFilename: string): string {
  return archiveFilename.split('/').pop()!;
}
