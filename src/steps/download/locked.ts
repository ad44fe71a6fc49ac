import { redact } from '../../util/redact.js';
import type { LockedConfig, LockEntry } from '../types.js';

/** What of a download step's config its lock checks and pins. */
export interface DownloadLockable {
  url: string;
  sha256?: string;
  sha512?: string;
  checksumUrl?: string;
  insecure: boolean;
}

/**
 * A download at its lock: fetched only when the lock's sha256 is the recipe's, and verified by it (a recipe
 * that verifies by sha512 or a checksum URL, or not at all, is held to the sha256 locked). Refuses a lock of
 * another URL (compared with secrets masked, as the lock writes it) or another sha256.
 */
export function lockedDownload<C extends DownloadLockable>(c: C, entry: LockEntry): LockedConfig<C> {
  if (typeof entry.url !== 'string') return { problem: 'its lock entry names no URL' };
  if (entry.url !== c.url && entry.url !== redact(c.url))
    return { problem: `locked from ${String(entry.url)}, but the recipe downloads ${redact(c.url)}` };
  const sha = entry.sha256;
  if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) return { problem: 'its lock entry has no sha256' };
  if (c.sha256 && c.sha256 !== sha)
    return { problem: `sha256 mismatch: the recipe says ${c.sha256.slice(0, 12)}…, the lock ${sha.slice(0, 12)}…` };
  return { config: { ...c, sha256: sha, sha512: undefined, checksumUrl: undefined, insecure: false } };
}
