import { redact } from './redact.js';
/**
 * Text for a terminal: whatever a recipe, a profile or a step's output holds, no byte of it may drive
 * the terminal (ESC sequences that recolour, move the cursor, retitle the window or hide text; BEL; CR
 * and backspace that overwrite what was printed; bidi overrides that reorder it). Every line setup
 * prints passes through `sanitize` at the one place it is written (cli/output.ts, cli/error-output.ts), so no
 * renderer can forget it. Only the tool's own colour codes (SGR, when colour is on) are kept.
 */

/** C0 controls but \n and \t, DEL, C1 controls, and the Unicode bidi embedding/override/isolate marks. */
// eslint-disable-next-line no-control-regex -- matching control characters is what this is for
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/** The same, with the colour sequences chalk writes (`ESC [ … m`) matched first, to be kept. */
// eslint-disable-next-line no-control-regex -- matching control characters is what this is for
const CONTROL_KEEP_SGR = /(\x1b\[[0-9;]*m)|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** `\x1b` (or, for JSON text, `\u001b`, which JSON reads back as the same character). */
function escape(ch: string, json: boolean): string {
  const code = ch.charCodeAt(0);
  return json || code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}

/**
 * `text` with every control character shown escaped (`\x1b`); `keepColour` keeps SGR colour sequences
 * (the tool's own, when colour is on); `json` escapes as `\u001b`, valid inside a JSON string.
 */
export function sanitize(
  text: string,
  { keepColour = false, json = false }: { keepColour?: boolean; json?: boolean } = {},
): string {
  if (keepColour) return text.replace(CONTROL_KEEP_SGR, (m, sgr: string | undefined) => sgr ?? escape(m, json));
  return text.replace(CONTROL, (m) => escape(m, json));
}

/** Longest output line shown in a failure report or progress line; the log keeps every byte. */
export const MAX_SHOWN_LINE = 500;

/** A line cut to `max` characters with what was left out counted: `…… (N more bytes)`. */
export function clipLine(line: string, max = MAX_SHOWN_LINE): string {
  if (line.length <= max) return line;
  return `${line.slice(0, max)}… (${Buffer.byteLength(line.slice(max))} more bytes)`;
}

/** Longest value a one-line summary shows whole: a plan line stays readable with a 5,000-character value. */
export const SHOWN_VALUE_CHARS = 48;

/**
 * A value as a step's summary shows it: secrets masked first (a cut secret would no longer be found and
 * masked), then its first line only, cut to `max` characters (`setup show` prints it whole).
 */
export function clipValue(v: string, max = SHOWN_VALUE_CHARS): string {
  const masked = redact(v);
  const nl = masked.indexOf('\n');
  const first = nl === -1 ? masked : masked.slice(0, nl);
  if (nl === -1 && first.length <= max) return masked;
  return clipLine(first, max) + (nl === -1 ? '' : ` (+${masked.split('\n').length - 1} more lines)`);
}
