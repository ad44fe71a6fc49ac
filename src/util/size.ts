const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Parses a size: a number of bytes (`1048576`), or a number and a unit (`500 MB`, `8 GiB`, `1.5GiB`; kB, MB,
 * GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024). Returns bytes, or undefined when it is not a size.
 */
export function parseSize(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** `512 bytes`, `1.5 MiB`, `8 GiB`: a size for people, in powers of 1024 (as the limits are written). */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
