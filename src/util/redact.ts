/**
 * Secrets never leave the process in clear: every value read through `{{ secrets.NAME }}` is registered
 * here, and everything the tool writes for people or files (stdout, stderr, logs, journal, JSON) passes
 * through `redact`. One registry per process, since a secret must be hidden on every path out.
 */
const values = new Set<string>();

/** The text shown instead of a secret. */
export const MASK = '***';

/** Values shorter than this are not masked (masking "a" would garble all output); the loader warns. */
export const MIN_SECRET_LENGTH = 4;

export function addSecret(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) values.add(value);
}

/** Text with every registered secret replaced by `***`. */
export function redact(text: string): string {
  if (!values.size || !text) return text;
  let out = text;
  for (const v of values) if (out.includes(v)) out = out.split(v).join(MASK);
  return out;
}

/** Any value (JSON-able) with secrets masked in every string inside it. */
export function redactDeep<T>(v: T): T {
  if (!values.size) return v;
  return JSON.parse(redact(JSON.stringify(v))) as T;
}

/** The longest secret, so streaming writers know how much text to hold back before masking. */
export function longestSecret(): number {
  let n = 0;
  for (const v of values) n = Math.max(n, v.length);
  return n;
}
