const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: a number of seconds (`90`), or units in order (`1h30m`, `10m`, `45s`, `500ms`).
 * Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.round(v * 1000) : undefined;
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
  return end === s.length && end > 0 && total > 0 ? Math.round(total) : undefined;
}

/** `1.2s`, `3m05s`: a short human duration. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}
