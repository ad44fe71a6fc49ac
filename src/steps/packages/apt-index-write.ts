import fs from 'node:fs/promises';
import path from 'node:path';
import type { Runner } from '../../util/process.js';
import { writeVerified } from '../../util/verified-write.js';
import { hashFile } from '../download/cache.js';
import { repositoryFiles, type DebEntry } from './apt-index.js';

/**
 * The Release file's date: fixed, so the same .deb files give the same index bytes (apt checks a Release
 * date only against Valid-Until, which a bundle's repository does not set).
 */
const RELEASE_DATE = new Date(0);

/**
 * Writes the flat repository index of every .deb in `dir` (Packages, Packages.gz, Release), each file
 * whole or not at all, and only where its bytes change. Control fields come from `dpkg-deb -f`; a file
 * dpkg-deb cannot read is left out.
 */
export async function writeAptIndex(dir: string, runner: Runner): Promise<void> {
  // Another step's hook may add a .deb while this one writes: write again until the listing holds still.
  for (let pass = 0; pass < 5; pass++) {
    const debs = await listDebs(dir);
    await writeIndexOf(dir, debs, runner);
    if ((await listDebs(dir)).join('\n') === debs.join('\n')) return;
  }
}

const listDebs = async (dir: string): Promise<string[]> =>
  (await fs.readdir(dir)).filter((f) => f.endsWith('.deb')).sort();

async function writeIndexOf(dir: string, debs: readonly string[], runner: Runner): Promise<void> {
  const entries: DebEntry[] = [];
  for (const file of debs) {
    const full = path.join(dir, file);
    const r = await runner.run({ argv: ['dpkg-deb', '-f', full], env: { LC_ALL: 'C' }, timeoutMs: 60_000 });
    if (r.spawnError) throw new Error(`dpkg-deb: ${r.spawnError}`);
    // Not a .deb (damaged): left out of the index; the step it belongs to finds its checksum wrong and fetches it.
    if (r.exitCode !== 0) continue;
    entries.push({ control: r.stdout, file, size: (await fs.stat(full)).size, sha256: await hashFile(full) });
  }
  for (const [name, bytes] of repositoryFiles(entries, RELEASE_DATE)) {
    const file = path.join(dir, name);
    const old = await fs.readFile(file).catch(() => undefined);
    if (!old?.equals(bytes)) await writeVerified(file, bytes, { what: `write the apt index ${file}` });
  }
}
