import path from 'node:path';
import { isProfileFile } from '../catalog/profile.js';
import type { BundleCheck } from '../doctor/bundle.js';
import { MANIFEST_FILE, parseManifest } from '../plan/bundle-manifest.js';
import { LOCK_FILE } from '../plan/lock-file.js';
import { UsageError } from '../util/errors.js';
import { MiB, readUserFile, UnreadableFile } from '../util/user-file.js';
import { readLock } from '../plan/read-lock.js';

/**
 * The bundle doctor checks: when `--mirror` names a profile file with a `bundle.json` beside it (what
 * `setup bundle` writes), that folder, its manifest, and the lock (`lock`, else ./envkit.lock when there
 * is one); undefined for any other profile.
 */
export async function bundleBeside(
  mirror: string | undefined,
  lock: string | undefined,
): Promise<BundleCheck | undefined> {
  if (!mirror || !isProfileFile(mirror)) return undefined;
  const dir = path.dirname(path.resolve(mirror));
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = (await readUserFile(file, { maxBytes: 64 * MiB, what: 'bundle manifests' })).toString('utf8');
  } catch (e) {
    if (e instanceof UnreadableFile && e.code === 'ENOENT') {
      // A profile setup bundle wrote whose manifest is gone: the bundle cannot be checked, which is not "complete".
      const head = await readUserFile(path.resolve(mirror), { maxBytes: MiB, what: 'mirror profiles' }).then(
        (b) => b.toString('utf8', 0, 64),
        () => '',
      );
      if (head.startsWith('# Written by setup bundle'))
        throw new UsageError(
          `${file} is missing: ${mirror} is a bundle's profile, and without its manifest the bundle cannot be checked`,
          'bundle again into that folder where there is network (setup bundle <recipe…> -o DIR): what is there is kept',
        );
      return undefined;
    }
    if (e instanceof UnreadableFile) throw new UsageError(e.message, e.hint);
    throw e;
  }
  const manifest = parseManifest(text, file);
  if (manifest instanceof Error)
    throw new UsageError(manifest.message, 'bundle again with this setup (setup bundle <recipe…> -o DIR)');
  const locked = await readLock(path.resolve(lock ?? LOCK_FILE));
  return { dir, manifest, ...(locked ? { lock: locked.lock } : {}) };
}
