import semver from 'semver';

/** Strips leading zeros from numeric parts so `22.04` and `>=20.04` read as semver. */
function unpad(s: string): string {
  return s.replace(/(^|[^\d])0+(\d)/g, '$1$2');
}

/** A loose version (`3.11`, `12`, `22.04`, `1.7.4rc1`) as a semver version, or null. */
export function toSemver(v: string): semver.SemVer | null {
  return semver.coerce(unpad(v), { loose: true });
}

/** True when the text is written as a range rather than a plain value (`>=3.8`, `^1`, `1.x`, `1 - 2`). */
export function looksLikeRange(s: string): boolean {
  return /^\s*(>=|<=|>|<|=|~|\^)/.test(s) || /\|\||\s-\s|\.[xX*](\.|$)/.test(s);
}

/** Normalizes a range so loose versions in it (`>=20.04`) parse; null if it is not a valid range. */
export function normalizeRange(range: string): string | null {
  const r = semver.validRange(unpad(range), { loose: true });
  return r === null ? null : r;
}

/** Does `version` satisfy `range`? Both loose (see toSemver); false when either does not parse. */
export function satisfies(version: string, range: string): boolean {
  const v = toSemver(version);
  const r = normalizeRange(range);
  return v !== null && r !== null && semver.satisfies(v, r, { loose: true });
}
