import { valueDiffers } from '../util/redact.js';
import { shellQuote } from '../util/shell.js';
import { secretMarker } from '../util/sh-word.js';
import { canonicalEnvValue, envWord, joinPieces, parseDoubleQuoted, type EnvPiece } from './env-value.js';

/** The managed env file's contents as data: exports, and folders prepended to PATH-like variables. */
export interface EnvFile {
  set: Map<string, string>;
  /** variable → folders, in the order they were added (later ones end up first). */
  prepend: Map<string, string[]>;
}

const HEADER = `# envkit: the managed environment, written by \`setup\` and sourced from your shell rc files.
# Change it through recipes (\`env\` steps): edits here are replaced.
`;

/** Single-quoted shell word → its value (how paths, and values without references, are written). */
function unquote(word: string): string | undefined {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  const m = /^'((?:[^']|'\\'')*)'$/.exec(word);
  return m ? m[1]!.replace(/'\\''/g, "'") : undefined;
}

/**
 * An env value's word as the env file writes it → the value (`$NAME` for a reference, `$$` for a literal `$`).
 * The word may be pieces side by side: single-quoted, double-quoted (with references), bare, and the quoted
 * secret markers of a script (`setup export sh`), read back as the secret's plain marker.
 */
function unquoteValue(word: string): string | undefined {
  const pieces: EnvPiece[] = [];
  const text = (t: string): void => {
    const last = pieces[pieces.length - 1];
    if (last && 'text' in last) last.text += t;
    else pieces.push({ text: t });
  };
  const token =
    /__envkit_qsecret_([A-Za-z_][A-Za-z0-9_]*)__|'([^']*)'|\\'|("(?:[^"\\]|\\[\s\S])*")|((?:(?!__envkit_qsecret_)[A-Za-z0-9_@%+=:,./-])+)/y;
  for (let i = 0; i < word.length; i = token.lastIndex) {
    token.lastIndex = i;
    const m = token.exec(word);
    if (!m) return undefined;
    if (m[1] !== undefined) text(secretMarker(m[1]));
    else if (m[2] !== undefined) text(m[2]);
    else if (m[3] !== undefined) {
      const dq = parseDoubleQuoted(m[3]);
      if (!dq) return undefined;
      for (const p of dq)
        if ('ref' in p) pieces.push(p);
        else text(p.text);
    } else if (m[4] !== undefined) text(m[4]);
    else text("'");
  }
  return joinPieces(pieces);
}

const EXPORT_RE = /^export ([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;
const PREPEND_RE =
  /^case ":\$\{([A-Za-z_][A-Za-z0-9_]*):-\}:" in \*:([\s\S]+):\*\) ;; \*\) export \1=([\s\S]+)"\$\{\1:\+:\$\1\}" ;; esac$/;

/** Does this shell text end inside a quoted word? (A quoted value may hold newlines.) */
function endsInQuote(s: string): boolean {
  let open: "'" | '"' | undefined;
  for (let i = 0; i < s.length; i++) {
    if (open === "'") open = s[i] === "'" ? undefined : open;
    else if (s[i] === '\\') i++;
    else if (open === '"') open = s[i] === '"' ? undefined : open;
    else if (s[i] === "'" || s[i] === '"') open = s[i] as "'" | '"';
  }
  return open !== undefined;
}

/** The file's logical lines: an export or prepend line continues while its quoted value is open. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (const line of text.split('\n')) {
    if (cur !== undefined) cur += '\n' + line;
    else if (line.startsWith('export ') || line.startsWith('case ')) cur = line;
    else {
      out.push(line);
      continue;
    }
    if (!endsInQuote(cur)) {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** Reads the env file this module writes; unknown lines are ignored (and dropped on the next write). */
export function parseEnvFile(text: string | undefined): EnvFile {
  const env: EnvFile = { set: new Map(), prepend: new Map() };
  for (const line of logicalLines(text ?? '')) {
    let m = PREPEND_RE.exec(line);
    if (m) {
      const dir = unquote(m[2]!);
      if (dir !== undefined) env.prepend.set(m[1]!, [...(env.prepend.get(m[1]!) ?? []), dir]);
      continue;
    }
    m = EXPORT_RE.exec(line);
    if (m) {
      const v = unquoteValue(m[2]!);
      if (v !== undefined) env.set.set(m[1]!, v);
    }
  }
  return env;
}

/** Writes the env file: exports first, then one idempotent prepend per folder. */
export function serializeEnvFile(env: EnvFile): string {
  let out = HEADER;
  for (const [k, v] of env.set) out += `export ${k}=${envWord(v)}\n`;
  for (const [k, dirs] of env.prepend) {
    for (const d of dirs) {
      const q = shellQuote(d);
      out += `case ":\${${k}:-}:" in *:${q}:*) ;; *) export ${k}=${q}"\${${k}:+:$${k}}" ;; esac\n`;
    }
  }
  return out;
}

/** What is missing from `env` for `want` to hold, as short phrases; empty when it holds. */
export function envFileMissing(env: EnvFile, want: EnvFile): string[] {
  const missing: string[] = [];
  for (const [k, v] of want.set) {
    const have = env.set.get(k);
    if (have === undefined || canonicalEnvValue(have) !== canonicalEnvValue(v))
      missing.push(have === undefined ? `${k} is not set` : valueDiffers(k, have, v));
  }
  for (const [k, dirs] of want.prepend) {
    for (const d of dirs) if (!env.prepend.get(k)?.includes(d)) missing.push(`${d} is not on ${k}`);
  }
  return missing;
}

/** `env` with `want` merged in: values replaced, folders added once. */
export function mergeEnvFile(env: EnvFile, want: EnvFile): EnvFile {
  const set = new Map(env.set);
  for (const [k, v] of want.set) set.set(k, v);
  const prepend = new Map([...env.prepend].map(([k, d]) => [k, [...d]]));
  for (const [k, dirs] of want.prepend) {
    const list = prepend.get(k) ?? [];
    for (const d of dirs) if (!list.includes(d)) list.push(d);
    prepend.set(k, list);
  }
  return { set, prepend };
}

export const RC_BEGIN = '# >>> envkit >>>';
export const RC_END = '# <<< envkit <<<';

/** The marked block that sources the env file from a shell rc file. */
export function rcBlock(envFile: string): string {
  const q = shellQuote(envFile);
  return `${RC_BEGIN}\n# Added by envkit's \`setup\`: loads the environment its recipes manage.\nif [ -f ${q} ]; then . ${q}; fi\n${RC_END}\n`;
}

/** An rc file's text with the block present exactly once (replaced in place, or appended). */
export function withRcBlock(text: string | undefined, envFile: string): string {
  const block = rcBlock(envFile);
  const t = text ?? '';
  const e = t.indexOf(RC_END, t.indexOf(RC_BEGIN));
  // The begin marker nearest the end one: an orphaned begin marker above must not take the user's lines with it.
  const b = e === -1 ? -1 : t.lastIndexOf(RC_BEGIN, e);
  if (b !== -1 && e !== -1) {
    let end = e + RC_END.length;
    if (t[end] === '\n') end++;
    return t.slice(0, b) + block + t.slice(end);
  }
  if (t === '') return block;
  return t + (t.endsWith('\n') ? '\n' : '\n\n') + block;
}
