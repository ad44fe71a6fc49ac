/**
 * Secrets never leave the process in clear: every value read through `{{ secrets.NAME }}` (and every
 * password found in a URL's userinfo) is registered here, and everything the tool writes for people or
 * files (stdout, stderr, logs, journal, JSON) passes through `redact`. One registry per process, since a
 * secret must be hidden on every path out.
 *
 * A secret is registered with every encoding the tool itself produces of it — shell-quoted, JSON-escaped,
 * make's `$$` doubling, URL-encoded — so that text the tool wrote around it (a logged command line, a JSON
 * string, a make variable, a URL) is masked too, not only the raw value.
 */
import { shellQuote } from './shell.js';

const values = new Set<string>();
/** The registered texts, longest first: an encoding that contains the raw value is masked whole. */
let ordered: string[] = [];

/** The text shown instead of a secret. */
export const MASK = '***';

/** Secrets shorter than this are refused before anything runs (masking "a" would garble all output). */
export const MIN_SECRET_LENGTH = 4;

/** A shell-quoted word without its outer quotes: `it'\''s` for `it's`. */
const shellInner = (v: string): string => {
  const q = shellQuote(v);
  return q.startsWith("'") && q.endsWith("'") ? q.slice(1, -1) : q;
};

/**
 * Every form of `value` the tool, or the shell a step runs, commonly writes: raw, shell-quoted, JSON-escaped,
 * make-escaped, URL-encoded, backslash-escaped as bash's `printf %q` does, and as inside double quotes
 * (`declare -p`, `set -x`).
 */
export function secretEncodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const printfQ = value.replace(/[^A-Za-z0-9_./,:=+@%^-]/g, '\\$&');
  const doubleQuoted = value.replace(/[\\"$`]/g, '\\$&');
  const forms = [
    value,
    shellInner(value),
    json,
    value.replace(/\$/g, '$$$$'),
    encodeURIComponent(value),
    encodeURI(value),
    shellInner(json),
    printfQ,
    doubleQuoted,
  ];
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Registers a secret (with its encodings); values shorter than MIN_SECRET_LENGTH are refused upstream. */
export function addSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  let added = false;
  for (const f of secretEncodings(value)) {
    if (!values.has(f)) {
      values.add(f);
      added = true;
    }
  }
  if (added) ordered = [...values].sort((a, b) => b.length - a.length);
  // Output is shown line by line (a step's latest line, a failure's last lines): each line of a
  // multi-line secret is masked on its own too. Loading refuses a secret with a line too short for it.
  if (/[\r\n]/.test(value)) for (const line of secretLines(value)) addSecret(line);
}

/** Empties the registry (tests that need one secret at a time; the tool itself never forgets a secret). */
export function forgetSecrets(): void {
  values.clear();
  ordered = [];
}

/** The non-empty lines of a secret (what line-by-line output may show of it). */
export function secretLines(value: string): string[] {
  return value.split(/\r\n|\r|\n/).filter(Boolean);
}

/** Text with every registered secret (in any of its encodings) replaced by `***`. */
export function redact(text: string): string {
  if (!values.size || !text) return text;
  let out = text;
  for (const v of ordered) if (out.includes(v)) out = out.split(v).join(MASK);
  return out;
}

/**
 * `redact`, and every value of `also` masked too (in the encodings `secretEncodings` lists): values known
 * to be secret in one place only, such as the old value a secret replaces in a file (never registered:
 * it would be masked where it is no secret).
 */
export function redactAlso(text: string, also: readonly string[]): string {
  const extra = [...new Set(also.flatMap(secretEncodings))].sort((a, b) => b.length - a.length);
  let out = redact(text);
  for (const v of extra) if (out.includes(v)) out = out.split(v).join(MASK);
  return out;
}

/** Does `text` hold a registered secret? (Files that do are written private, 0600.) */
export function holdsSecret(text: string): boolean {
  return values.size > 0 && redact(text) !== text;
}

/**
 * Any value (JSON-able) with secrets masked in every string inside it, keys included. Walked, not masked
 * as JSON text: a mask laid over JSON text could cut an escape sequence in half.
 */
export function redactDeep<T>(v: T): T {
  if (!values.size) return v;
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return redact(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const src = typeof (x as { toJSON?: unknown }).toJSON === 'function' ? (x as { toJSON(): unknown }).toJSON() : x;
      if (src !== x) return walk(src);
      return Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, val]) => [redact(k), walk(val)]));
    }
    return x;
  };
  return walk(v) as T;
}

/** The longest secret, so streaming writers know how much text to hold back before masking. */
export function longestSecret(): number {
  return ordered[0]?.length ?? 0;
}

/** Does any argument hold a registered secret? Such a process is never started: argv is public (`ps`). */
export function argvHoldsSecret(argv: readonly string[]): boolean {
  return values.size > 0 && argv.some((a) => holdsSecret(a));
}

/**
 * Why a key's value differs, for a check's reason: `KEY is "old", wants "new"`, or — when the wanted value
 * holds a secret — `KEY differs from the secret it wants (values not shown)`: the value a secret replaces is
 * a secret too (a rotated token), and no registry knows it. Every kind that compares a wanted value with a
 * file's (or the shell's: `verify: env`) says it through here; `key` undefined: the phrase without it.
 */
export function valueDiffers(key: string | undefined, have: unknown, want: unknown): string {
  const who = key === undefined ? '' : `${key} `;
  if (wantsSecret(want)) return `${who}differs from the secret it wants (values not shown)`;
  return `${who}is ${JSON.stringify(have)}, wants ${JSON.stringify(want)}`;
}

/** Does a wanted value (a string, number, list…) hold a registered secret? */
const wantsSecret = (want: unknown): boolean =>
  holdsSecret(typeof want === 'string' ? want : (JSON.stringify(want) ?? ''));

/**
 * The old values, as text, that secrets replace: of each `[have, want]` pair (what a file holds, what the step
 * wants there), `have` when `want` holds a secret — for `FileChange.replaced`, masked in diffs.
 */
export function replacedBySecrets(pairs: Iterable<readonly [unknown, unknown]>): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(add);
    else if (v !== undefined && v !== null) out.push(String(v));
  };
  for (const [have, want] of pairs) if (wantsSecret(want)) add(have);
  return out;
}
