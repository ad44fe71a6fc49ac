/**
 * The values of an `env` step's `set`, which may refer to other variables as a shell does: `$NAME` and
 * `${NAME}` are references, filled in by the shell that loads the env file (`PATH: "$HOME/.local/bin:$PATH"`);
 * `$$` is one literal `$`; any other `$` (`$1`, `$(…)`, `$-`, a trailing `$`) cannot name a variable and is
 * literal. Values inserted by a template (`{{ … }}`) are always literal (env.ts escapes their `$`).
 */
import { shellQuote } from '../util/shell.js';
import { quotedSecretMarker, splitAtSecretMarkers } from '../util/sh-word.js';

/** A piece of a value: literal text, or a variable the shell fills in. */
export type EnvPiece = { text: string } | { ref: string };

const REF = /\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/y;

/** A value as pieces (literal text merged, references apart). */
export function envValuePieces(v: string): EnvPiece[] {
  const out: EnvPiece[] = [];
  let lit = '';
  for (let i = 0; i < v.length;) {
    if (v[i] !== '$') {
      lit += v[i++];
      continue;
    }
    if (v[i + 1] === '$') {
      lit += '$';
      i += 2;
      continue;
    }
    REF.lastIndex = i;
    const m = REF.exec(v);
    if (!m) {
      lit += '$';
      i++;
      continue;
    }
    if (lit) out.push({ text: lit });
    lit = '';
    out.push({ ref: (m[1] ?? m[2])! });
    i += m[0].length;
  }
  if (lit) out.push({ text: lit });
  return out;
}

/** What, after a single `$`, would make it read as something other than a literal `$`. */
const NOT_LITERAL_AFTER = /[A-Za-z_$]|\{[A-Za-z_][A-Za-z0-9_]*\}/y;

/** Pieces → the value in its one canonical spelling (`$NAME`, or `${NAME}` before a name character; `$$` only where needed). */
export function joinPieces(pieces: readonly EnvPiece[]): string {
  let out = '';
  pieces.forEach((p, i) => {
    const next = pieces[i + 1];
    if ('ref' in p) {
      const braces = next !== undefined && 'text' in next && /^[A-Za-z0-9_]/.test(next.text);
      out += braces ? `\${${p.ref}}` : `$${p.ref}`;
      return;
    }
    // A reference comes next when anything does (literal pieces are merged): it starts with `$`.
    const rest = p.text + (next ? '$' : '');
    for (let j = 0; j < p.text.length; j++) {
      const c = p.text[j]!;
      NOT_LITERAL_AFTER.lastIndex = j + 1;
      out += c === '$' && NOT_LITERAL_AFTER.test(rest) ? '$$' : c;
    }
  });
  return out;
}

/** The value's canonical spelling: two values mean the same when these are equal. */
export function canonicalEnvValue(v: string): string {
  return joinPieces(envValuePieces(v));
}

/** Escapes a template-inserted value so that every `$` in it stays literal. */
export function literalEnvValue(v: string): string {
  return v.replace(/\$/g, '$$$$');
}

/** The value with its references filled in from `env` (an unset variable is empty, as in the shell). */
export function expandEnvValue(v: string, env: NodeJS.ProcessEnv): string {
  return envValuePieces(v)
    .map((p) => ('ref' in p ? (env[p.ref] ?? '') : p.text))
    .join('');
}

/**
 * The value as a POSIX shell word for the env file: single-quoted when it has no references (exactly as
 * before); otherwise double-quoted with `\`, `"`, `$` and backquote escaped, each reference written
 * `${NAME-}` so that a shell under `set -u` loads the file even when NAME is unset. A secret's marker
 * (`setup export sh`) stands outside the quotes as a quoted marker: the script quotes the value itself.
 */
export function envWord(v: string): string {
  const pieces = envValuePieces(v);
  const refs = pieces.some((p) => 'ref' in p);
  const out: string[] = [];
  let dq = '';
  const flush = (): void => {
    if (dq) out.push(`"${dq}"`);
    dq = '';
  };
  for (const p of pieces) {
    if ('ref' in p) {
      dq += `\${${p.ref}-}`;
      continue;
    }
    for (const part of splitAtSecretMarkers(p.text)) {
      if (typeof part !== 'string') {
        flush();
        out.push(quotedSecretMarker(part.secret));
      } else if (refs) dq += part.replace(/[\\"$`]/g, '\\$&');
      else if (part) out.push(shellQuote(part));
    }
  }
  flush();
  return out.join('') || "''";
}

/** A double-quoted word as envWord writes it → its pieces; undefined for anything else. */
export function parseDoubleQuoted(word: string): EnvPiece[] | undefined {
  if (word.length < 2 || !word.startsWith('"') || !word.endsWith('"')) return undefined;
  const body = word.slice(1, -1);
  const out: EnvPiece[] = [];
  let lit = '';
  const ref = /\$\{([A-Za-z_][A-Za-z0-9_]*)-\}/y;
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined || !'\\"$`'.includes(n)) return undefined;
      lit += n;
      i += 2;
    } else if (c === '$') {
      ref.lastIndex = i;
      const m = ref.exec(body);
      if (!m) return undefined;
      if (lit) out.push({ text: lit });
      lit = '';
      out.push({ ref: m[1]! });
      i += m[0].length;
    } else if (c === '"' || c === '`') return undefined;
    else {
      lit += c;
      i++;
    }
  }
  if (lit) out.push({ text: lit });
  return out;
}

/**
 * The shell forms in `v` a user likely meant the shell to fill in but that stay literal here (`${NAME:-x}`,
 * `$(…)`), each as written; a `$$` before them (a literal `$` on purpose) is not one.
 */
export function literalShellForms(v: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '$') continue;
    if (v[i + 1] === '$') {
      i++;
      continue;
    }
    REF.lastIndex = i;
    if (REF.test(v)) continue;
    const m = /\$\{[^}]*\}?|\$\([^)]*\)?/y;
    m.lastIndex = i;
    const found = m.exec(v);
    if (found) out.push(found[0]);
  }
  return out;
}
