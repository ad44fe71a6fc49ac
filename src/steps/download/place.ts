import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { explainWriteError } from '../../util/verified-write.js';

/** `dest` is a folder, not the file to write. */
export class DestIsFolder extends Error {}

/**
 * Copies a cached file to `dest` atomically: a temp file beside it (a reflink where the filesystem can),
 * its mode set and data synced, then renamed over `dest`. A copy, not a hard link, so that editing or
 * chmod-ing `dest` never changes the cache.
 */
export async function placeFile(src: string, dest: string, mode?: number): Promise<void> {
  const st = await fs.lstat(dest).catch(() => null);
  if (st?.isDirectory())
    throw new DestIsFolder(
      `${dest} is a folder: \`dest\` names the file to write (use \`extract\` to unpack into a folder)`,
    );
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.envkit-${randomBytes(4).toString('hex')}`);
  try {
    await fs.copyFile(src, tmp, fs.constants.COPYFILE_FICLONE);
    if (mode !== undefined) await fs.chmod(tmp, mode);
    const fh = await fs.open(tmp, 'r');
    try {
      await fh.sync();
      // The whole file, or no rename (the content itself was verified by its checksum in the cache).
      const [want, got] = [(await fs.stat(src)).size, (await fh.stat()).size];
      if (got !== want) throw Object.assign(new Error(`copied ${got} of ${want} bytes`), { code: 'EIO' });
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, dest);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw explainWriteError(e, `place ${dest}`, dest, st ? `${dest} is unchanged` : `${dest} was not created`);
  }
}
