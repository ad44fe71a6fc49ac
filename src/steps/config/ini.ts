import { assertWritable } from './keys.js';
import type { ConfigEntry, ConfigFormat, ConfigValue } from './types.js';

/**
 * INI as pip.conf, setup.cfg and friends write it: `[section]`, `key = value` (or `key: value`),
 * continuation lines indented, `#`/`;` comments. A line-level editor: untouched lines stay byte-for-byte.
 */
interface Line {
  text: string;
  section: string;
  key?: string;
  /** For a key line: how many continuation lines follow it. */
  cont: number;
}

const SECTION = /^\s*\[([^\]]+)\]\s*(?:[#;].*)?$/;
const KEY = /^([^\s=:#;[][^=:]*?)\s*[=:]\s?(.*)$/;

function scan(text: string): Line[] {
  const raw = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const lines: Line[] = [];
  let section = '';
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    const s = SECTION.exec(t);
    if (s) {
      section = s[1]!.trim();
      lines.push({ text: t, section, cont: 0 });
      continue;
    }
    const k = /^\S/.test(t) ? KEY.exec(t) : null;
    if (k && !/^[#;]/.test(t)) {
      const line: Line = { text: t, section, key: k[1]!.trim(), cont: 0 };
      while (i + 1 < raw.length && /^[ \t]+\S/.test(raw[i + 1]!) && !/^\s*[#;]/.test(raw[i + 1]!)) {
        line.text += '\n' + raw[++i]!;
        line.cont++;
      }
      lines.push(line);
      continue;
    }
    lines.push({ text: t, section, cont: 0 });
  }
  return lines;
}

function valueOf(line: Line): ConfigValue {
  const [first, ...rest] = line.text.split('\n');
  const head = KEY.exec(first!)![2]!.trim();
  if (!rest.length) return head;
  const items = [head, ...rest.map((r) => r.trim())].filter(Boolean);
  return items;
}

function render(key: string, value: ConfigValue): string {
  if (Array.isArray(value)) return `${key} =${value.map((v) => `\n    ${String(v)}`).join('')}`;
  return `${key} = ${String(value)}`;
}

function split(path: string[]): [string, string] {
  if (path.length < 2) throw new Error(`ini keys are section.key, got "${path.join('.')}"`);
  return [path.slice(0, -1).join('.'), path[path.length - 1]!];
}

/** A CRLF file (made on Windows) is read as LF and written back as CRLF: no `\r` in keys, no mixed endings. */
const lf = (text: string): string => text.replace(/\r\n/g, '\n');

export const ini: ConfigFormat = {
  get(text, path) {
    const [section, key] = split(path);
    const line = scan(lf(text)).find((l) => l.section === section && l.key === key);
    return line ? valueOf(line) : undefined;
  },
  set(text, entries: ConfigEntry[]) {
    assertWritable('ini', entries);
    const crlf = text.includes('\r\n');
    const lines = scan(lf(text));
    for (const e of entries) {
      const [section, key] = split(e.path);
      const existing = lines.find((l) => l.section === section && l.key === key);
      if (e.value === null) {
        if (existing) lines.splice(lines.indexOf(existing), 1);
        continue;
      }
      if (existing) {
        existing.text = render(key, e.value);
        continue;
      }
      let at = -1;
      for (let i = 0; i < lines.length; i++)
        if (lines[i]!.section === section && (lines[i]!.key || SECTION.test(lines[i]!.text))) at = i;
      if (at === -1) {
        if (lines.length && lines[lines.length - 1]!.text.trim() !== '') lines.push({ text: '', section: '', cont: 0 });
        lines.push({ text: `[${section}]`, section, cont: 0 });
        at = lines.length - 1;
      }
      lines.splice(at + 1, 0, { text: render(key, e.value), section, key, cont: 0 });
    }
    const out = lines.map((l) => l.text).join('\n') + '\n';
    return crlf ? out.replace(/\n/g, '\r\n') : out;
  },
};
