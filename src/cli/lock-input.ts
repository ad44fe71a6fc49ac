import { UsageError } from '../util/errors.js';
import { MiB, readUserFile, UnreadableFile } from '../util/user-file.js';
import { BadLock, parseLock, type Lock } from '../plan/lock-file.js';

/** A lock lists every distribution of every venv: far bigger than a recipe, still nothing like a data file. */
const MAX_LOCK_BYTES = 16 * MiB;

/** The lock file's text and what it says, or undefined when there is none yet. */
export async function readLock(file: string): Promise<{ text: string; lock: Lock } | undefined> {
  let text: string;
  try {
    text = (await readUserFile(file, { maxBytes: MAX_LOCK_BYTES, what: 'lock files' })).toString('utf8');
  } catch (e) {
    if (e instanceof UnreadableFile && e.code === 'ENOENT') return undefined;
    if (e instanceof UnreadableFile) throw new UsageError(e.message, e.hint);
    throw e;
  }
  try {
    return { text, lock: parseLock(text, file) };
  } catch (e) {
    if (e instanceof BadLock)
      throw new UsageError(e.message, 'move it away, or point --lock at another file, and lock again');
    throw e;
  }
}
