import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { EnvkitError, ExitCode } from '../util/errors.js';
import { tempListIn, writeVerified } from '../util/verified-write.js';

/** Who holds the run lock, written beside it for the message a waiting run shows. */
export interface LockHolder {
  pid: number;
  command: string;
  started: string;
}

/** How long a lock may go without its holder's heartbeat before it counts as left behind (killed holder). */
const STALE_MS = 5000;
const UPDATE_MS = 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the holder of the lock, if any. */
export function readHolder(lockPath: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(`${lockPath}.json`, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Takes the one-run-at-a-time lock of a state folder (proper-lockfile: an atomic mkdir, refreshed by a
 * heartbeat; a lock whose holder was killed goes stale and is taken over safely). Waits while another
 * run holds it, telling `onWait` who, or fails at once with `wait: false`. Returns the release function.
 */
export async function acquireRunLock(
  lockPath: string,
  opts: { wait: boolean; command: string; onWait?: (holder: LockHolder | undefined) => void; signal?: AbortSignal },
): Promise<() => Promise<void>> {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  if (!fs.existsSync(lockPath)) fs.writeFileSync(lockPath, '');
  let told = false;
  for (;;) {
    try {
      const release = await lockfile.lock(lockPath, {
        stale: STALE_MS,
        update: UPDATE_MS,
        realpath: false,
        onCompromised: () => {
          /* another process took a lock it judged stale: nothing safe to do but finish and say so in the journal */
        },
      });
      const holder: LockHolder = { pid: process.pid, command: opts.command, started: new Date().toISOString() };
      // Whole or absent (a full disk); the lock is let go when it cannot be written.
      await writeVerified(`${lockPath}.json`, JSON.stringify(holder) + '\n', {
        tempList: tempListIn(path.dirname(lockPath)),
      }).catch(async (e: unknown) => {
        await release().catch(() => undefined);
        throw e;
      });
      return async () => {
        fs.rmSync(`${lockPath}.json`, { force: true });
        await release().catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const holder = readHolder(lockPath);
      if (!opts.wait) {
        throw new EnvkitError(
          `another setup run holds the lock${describe(holder)}`,
          ExitCode.failed,
          'wait for it to finish, or run without --no-wait to queue behind it',
        );
      }
      if (!told) {
        opts.onWait?.(holder);
        told = true;
      }
      if (opts.signal?.aborted) throw new EnvkitError('interrupted while waiting for the lock', ExitCode.interrupted);
      await new Promise((ok) => setTimeout(ok, holder && !alive(holder.pid) ? 250 : 500));
    }
  }
}

function describe(h: LockHolder | undefined): string {
  if (!h) return '';
  const gone = alive(h.pid) ? '' : ', whose process is gone (its lock is taken over within seconds)';
  return ` (pid ${h.pid}: \`${h.command}\`, started ${h.started}${gone})`;
}

export { describe as describeHolder };
