/** A value a `config` step sets: a scalar, or a list (conda channels, pip extra indexes). */
export type ConfigValue = string | number | boolean | ConfigValue[];

/** One key to set: its path (section/key names) and the wanted value. */
export interface ConfigEntry {
  path: string[];
  /** null: remove the key. */
  value: ConfigValue | null;
}

/** A config file format: read the current value at a path, and write a whole set of entries in. */
export interface ConfigFormat {
  /** The current value at `path` (as the format reads it), or undefined. */
  get(text: string, path: string[]): ConfigValue | undefined;
  /** The text with every entry set; everything else (keys, sections, comments) kept. */
  set(text: string, entries: ConfigEntry[]): string;
}

/** Compares a wanted value with what a file holds, loosely on types (`1` = "1", `true` = "true"). */
export function sameValue(have: ConfigValue | undefined, want: ConfigValue | null): boolean {
  if (want === null) return have === undefined;
  if (have === undefined) return false;
  if (Array.isArray(want))
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => sameValue(have[i], w));
  if (Array.isArray(have)) return false;
  return String(have) === String(want);
}
