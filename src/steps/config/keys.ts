import { poisonMessage, poisonSegment } from '../../util/keys.js';
import type { ConfigValue } from './types.js';

/**
 * What a `config` step may write, per format, so no key or value can change the file's structure: a
 * value with a newline would start a new `[section]` in an INI file, a key with `=` or `]` would be read
 * back as another key or section. JSON and YAML are written by their libraries, which escape everything;
 * gitconfig by git, which quotes values and refuses bad keys itself. Every format refuses key path
 * segments that reach a prototype. Used at load (literal keys and values), when templates are rendered,
 * and by the writers themselves, so no path round them exists.
 */

/** Why a key path cannot be written in `format`, or undefined when it can. */
export function keyProblem(format: string | undefined, path: readonly string[]): string | undefined {
  const key = path.join('.');
  const seg = poisonSegment(key);
  if (seg !== undefined) return poisonMessage(key, seg);
  if (format !== 'gitconfig' && path.some((p) => p === ''))
    return `key ${JSON.stringify(key)} has an empty part (two dots, or a dot at an end)`;
  if (format !== 'ini') return /[\n\r]/.test(key) ? `key ${JSON.stringify(key)} holds a line break` : undefined;
  if (path.length < 2) return `ini keys are section.key, got ${JSON.stringify(key)}`;
  const section = path.slice(0, -1).join('.');
  const name = path[path.length - 1]!;
  if (/[\]\n\r]/.test(section) || section.trim() !== section)
    return `ini section ${JSON.stringify(section)} cannot hold "]", a line break or surrounding spaces`;
  if (/[=:\n\r]/.test(name) || /^[\s#;[]/.test(name) || name.trim() !== name)
    return `ini key ${JSON.stringify(name)} cannot hold "=", ":" or a line break, nor start with "[", "#", ";" or a space`;
  return undefined;
}

/** Why a value cannot be written under a key in `format` as it is, or undefined when it can. */
export function valueProblem(format: string | undefined, key: string, value: ConfigValue | null): string | undefined {
  if (format !== 'ini' || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const bad = items.find((v) => /[\n\r]/.test(String(v)));
  if (bad !== undefined)
    return `the value of ${key} holds a line break, which would write new lines (even sections) into the INI file`;
  // A list is written one item per indented line: an item reading as a section, a comment or nothing would not read back as an item.
  const odd = Array.isArray(value)
    ? value.find((v) => /^\s*[[#;]/.test(String(v)) || String(v).trim() === '')
    : undefined;
  return odd === undefined
    ? undefined
    : `the list item ${JSON.stringify(String(odd))} of ${key} would read back as a section, a comment or nothing, not as an item`;
}

/** Throws when any entry cannot be written in `format` as it is: the writers' own guard. */
export function assertWritable(
  format: string,
  entries: readonly { path: readonly string[]; value: ConfigValue | null }[],
): void {
  for (const e of entries) {
    const why = keyProblem(format, e.path) ?? valueProblem(format, e.path.join('.'), e.value);
    if (why) throw new Error(`cannot write ${format}: ${why}`);
  }
}
