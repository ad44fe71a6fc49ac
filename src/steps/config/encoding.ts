import { isUtf8 } from 'node:buffer';
import type { ConfigEntry, ConfigValue } from './types.js';

/**
 * How a config file's bytes become the text its format edits, and back, so the bytes outside the keys a
 * step sets are written back exactly. UTF-8 is read as it is. An INI file with other bytes (a Latin-1
 * comment) is read one character per byte (latin1), and the step's keys and values are turned into their
 * UTF-8 bytes the same way; JSON and YAML must be UTF-8, and other bytes are refused with their line.
 */
export interface ConfigText {
  text: string;
  /** Read one character per byte: entries go in, and values come out, through `toBytes`/`fromBytes`. */
  latin1: boolean;
}

const toBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const fromBytes = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

/** The text of `buf` to edit as `format`; throws a one-line reason where it cannot be edited safely. */
export function decodeConfig(buf: Buffer, format: string, file: string): ConfigText {
  if (isUtf8(buf)) return { text: buf.toString('utf8'), latin1: false };
  if (format === 'ini') return { text: buf.toString('latin1'), latin1: true };
  let line = 1;
  for (let start = 0; start < buf.length; line++) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl === -1 ? buf.length : nl;
    if (!isUtf8(buf.subarray(start, end))) break;
    start = end + 1;
  }
  throw new Error(
    `${file}:${line}: holds bytes that are not UTF-8, and ${format} files must be UTF-8: setup will not rewrite them (convert the file, e.g. \`iconv -f latin1 -t utf-8\`, then run again)`,
  );
}

/** Text written back as the bytes it was read from. */
export const encodeConfig = (text: string, latin1: boolean): Buffer => Buffer.from(text, latin1 ? 'latin1' : 'utf8');

const mapValue = (v: ConfigValue, f: (s: string) => string): ConfigValue =>
  Array.isArray(v) ? v.map((x) => mapValue(x, f)) : typeof v === 'string' ? f(v) : v;

/** The entries as the text holds them (UTF-8 bytes one per character, for a latin1 text). */
export const entriesIn = (entries: ConfigEntry[], latin1: boolean): ConfigEntry[] =>
  latin1
    ? entries.map((e) => ({ path: e.path.map(toBytes), value: e.value === null ? null : mapValue(e.value, toBytes) }))
    : entries;

/** A value read from the text, as the step compares it. */
export const valueOut = (v: ConfigValue | undefined, latin1: boolean): ConfigValue | undefined =>
  latin1 && v !== undefined ? mapValue(v, fromBytes) : v;

/** A key path as the text holds it. */
export const pathIn = (path: string[], latin1: boolean): string[] => (latin1 ? path.map(toBytes) : path);
