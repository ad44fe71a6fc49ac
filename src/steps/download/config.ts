import type { RetryPolicy } from './fetch.js';

/** A download step, rendered. */
export interface DownloadConfig {
  /** The URL as the recipe says (the profile's rewrite applies when describing and fetching). */
  url: string;
  /** Lowercase hex; at most one of sha256 / sha512 / checksumUrl; none only when `insecure`. */
  sha256?: string;
  sha512?: string;
  checksumUrl?: string;
  dest?: string;
  extract?: string;
  strip: number;
  mode?: number;
  insecure: boolean;
  /** DEFAULT_RETRY; a test may pass a faster one. */
  retry: RetryPolicy;
  /** Bytes: the download's cap (MAX_DOWNLOAD_BYTES unless the recipe says). */
  maxSize: number;
  /** Bytes an archive may unpack to; undefined: 100 × the download, at least 512 MiB. */
  maxUnpacked?: number;
  maxEntries: number;
}
