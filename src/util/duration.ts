/**
 * The longest duration a recipe may give (7 days). Node's timers hold at most 2^31-1 ms (24.8 days) and
 * fire after 1 ms beyond that, so a larger value would mean "at once", not "never".
 */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: a number of seconds (`90`), or units in order (`1h30m`, `10m`, `45s`, `500ms`).
 * Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && Math.round(v * 1000) > 0 ? Math.round(v * 1000) : undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return parseDuration(Number(s));
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  // Under half a millisecond rounds to 0, which a runner reads as "no timeout": not a duration.
  return end === s.length && end > 0 && Math.round(total) > 0 ? Math.round(total) : undefined;
}

/** `1.2s`, `3m05s`: a short human duration. */
export function formatDuration(ms: number): string {
  // Thresholds sit where rounding would carry (999.6ms, 59.96s, 1m59.6s): never `1000ms`, `60.0s` or `1m60s`.
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
}
