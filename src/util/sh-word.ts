/**
 * One quoting function for scripts setup writes (`setup export sh`): a value becomes one bash word that
 * reads back as exactly that value, except two kinds of places that are filled in where the script runs:
 * a secret's marker (see secretMarker) becomes a reference to the environment variable of that name, and
 * the exporting user's home folder becomes `$HOME`, so one script serves any user and never holds a secret.
 */
import { shellQuote } from './shell.js';

const MARKER_RE = /__envkit_secret_([A-Za-z_][A-Za-z0-9_]*)__/g;
/**
 * Any marker: the secret's value as it is, as a shell word that reads back as that value (`q`), or escaped
 * as the inside of a JSON string (`j`).
 */
const ANY_MARKER_RE = /__envkit_([qj]?)secret_([A-Za-z_][A-Za-z0-9_]*)__/g;

/** What stands in for the secret `name` while recipes are resolved for a script: quoting turns it into `${name}`. */
export function secretMarker(name: string): string {
  return `__envkit_secret_${name}__`;
}

/**
 * What stands, in a file that a shell reads (the env file), for the secret `name` written as one shell word:
 * the script quotes the value where it runs (`_shq`), so a secret holding `'`, `"`, `$` or a space is
 * exactly that value when the file is sourced, never code.
 */
export function quotedSecretMarker(name: string): string {
  return `__envkit_qsecret_${name}__`;
}

/**
 * What stands, inside a JSON string (or a YAML double-quoted one) in a file the script writes, for the
 * secret `name`: the script escapes the value where it runs (`_jsq`) as JSON.stringify does, so a secret
 * holding `"`, `\` or a control character is exactly that value when the file is read.
 */
export function jsonSecretMarker(name: string): string {
  return `__envkit_jsecret_${name}__`;
}

/** `text` with each plain secret marker turned into a JSON-escaped one (jsonSecretMarker). */
export function jsonEscapedSecrets(text: string): string {
  return text.replace(MARKER_RE, (_, name: string) => jsonSecretMarker(name));
}

/** The secrets whose markers (either kind) `text` holds, in order of first appearance. */
export function markedSecrets(text: string): string[] {
  return [...new Set([...text.matchAll(ANY_MARKER_RE)].map((m) => m[2]!))];
}

/** Does `text` hold a secret's marker (either kind)? */
export function holdsSecretMarker(text: string): boolean {
  return markedSecrets(text).length > 0;
}

/** `text` split at the plain secret markers it holds: literal strings, and `{ secret }` for each marker. */
export function splitAtSecretMarkers(text: string): (string | { secret: string })[] {
  const out: (string | { secret: string })[] = [];
  let last = 0;
  for (const m of text.matchAll(MARKER_RE)) {
    out.push(text.slice(last, m.index));
    out.push({ secret: m[1]! });
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

/** Control characters other than a newline: written with bash's `$'…'` quoting, so the script stays plain text. */
// eslint-disable-next-line no-control-regex -- finding control characters is what this is for
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;

/** ANSI-C quoting of a literal: `$'…'` with every control character and quote escaped. */
function ansiQuote(s: string): string {
  // eslint-disable-next-line no-control-regex -- escaping control characters is what this is for
  const body = s.replace(/[\x00-\x1f\x7f\\']/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === "'") return "\\'";
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `$'${body}'`;
}

/** A literal piece of a word: single-quoted (or `$'…'` when it holds control characters). */
function literal(s: string): string {
  return CONTROL.test(s) ? ansiQuote(s) : shellQuote(s);
}

/**
 * `value` as one bash word. A literal is quoted as it is; secret markers become `"${NAME}"` (a quoted
 * marker `"$(_shq "${NAME}")"`, the value as a shell word; a JSON one `"$(_jsq "${NAME}")"`) and `home`
 * (at the start of a path: followed by `/`, the end, or a character a path name does not continue with)
 * becomes `"${HOME}"`, the pieces joined into one word.
 */
export function shWord(value: string, home?: string): string {
  const parts: string[] = [];
  const homeOk = home && home !== '/' && home.length > 1;
  let rest = value;
  const pushLiteral = (s: string): void => {
    let lit = '';
    let at = 0;
    while (homeOk) {
      const i = s.indexOf(home, at);
      if (i === -1) break;
      const after = s[i + home.length];
      const before = i === 0 ? undefined : s[i - 1];
      lit += s.slice(at, i);
      if (
        (after === undefined || !/[A-Za-z0-9._-]/.test(after)) &&
        (before === undefined || !/[A-Za-z0-9._/-]/.test(before))
      ) {
        if (lit) parts.push(literal(lit));
        lit = '';
        parts.push('"${HOME}"');
        at = i + home.length;
      } else {
        lit += s[i];
        at = i + 1;
      }
    }
    lit += s.slice(at);
    if (lit) parts.push(literal(lit));
  };
  let last = 0;
  for (const m of rest.matchAll(ANY_MARKER_RE)) {
    pushLiteral(rest.slice(last, m.index));
    const ref = `"\${${m[2]!}}"`;
    parts.push(m[1] === 'q' ? `"$(_shq ${ref})"` : m[1] === 'j' ? `"$(_jsq ${ref})"` : ref);
    last = m.index + m[0].length;
  }
  rest = rest.slice(last);
  pushLiteral(rest);
  return parts.length ? parts.join('') : "''";
}
