import { parseJsonCst, type JsonNode } from './json-cst.js';
import { assertWritable } from './keys.js';
import type { ConfigEntry, ConfigFormat, ConfigValue } from './types.js';

function root(text: string): JsonNode {
  const node = parseJsonCst(text.trim() === '' ? '{}' : text);
  if (node.kind !== 'object') throw new Error('cannot edit: the file is not a JSON object');
  return node;
}

/** The whitespace that starts the line holding `at`. */
function indentAt(text: string, at: number): string {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** `value` as JSON, its inner lines indented under `indent` with `unit` per level. */
const render = (value: unknown, indent: string, unit: string): string =>
  JSON.stringify(value, null, unit).replace(/\n/g, `\n${indent}`);

/** `["a", "b"], v` → `{ "a": { "b": v } }`'s inner value for the path left after an existing object. */
const nest = (rest: string[], value: ConfigValue): unknown => rest.reduceRight<unknown>((v, k) => ({ [k]: v }), value);

/** One entry set (or removed) in `text`, changing only the spans it must. */
function setOne(text: string, e: ConfigEntry, unit: string): string {
  let node = root(text);
  const splice = (from: number, to: number, s: string): string => text.slice(0, from) + s + text.slice(to);
  for (let d = 0; d < e.path.length; d++) {
    const key = e.path[d]!;
    const members = node.members.filter((m) => m.key === key);
    const m = members[members.length - 1]; // JSON.parse keeps the last of duplicate keys
    const last = d === e.path.length - 1;
    if (!m) {
      if (e.value === null) return text;
      const indent = indentAt(text, node.start);
      const inner = indent + unit;
      const member = (at: string, u = unit): string =>
        `${JSON.stringify(key)}: ${render(nest(e.path.slice(d + 1), e.value!), at, u)}`;
      if (!node.members.length) return splice(node.start, node.end, `{\n${inner}${member(inner)}\n${indent}}`);
      const lastMember = node.members[node.members.length - 1]!;
      const multiline = text.slice(node.start, node.members[0]!.start).includes('\n');
      const at = multiline ? indentAt(text, lastMember.start) : indent;
      return splice(
        lastMember.value.end,
        lastMember.value.end,
        multiline ? `,\n${at}${member(at)}` : `, ${member(at, '')}`,
      );
    }
    if (last || m.value.kind !== 'object') {
      if (e.value === null) {
        if (!last) return text;
        const k = node.members.indexOf(m);
        if (k > 0) return splice(node.members[k - 1]!.value.end, m.value.end, '');
        if (node.members.length > 1) return splice(m.start, node.members[1]!.start, '');
        return splice(node.start, node.end, '{}');
      }
      return splice(
        m.value.start,
        m.value.end,
        render(nest(e.path.slice(d + 1), e.value), indentAt(text, m.start), unit),
      );
    }
    node = m.value;
  }
  return text;
}

/**
 * JSON, edited in place: only the values of the keys set change (and members added or removed); every
 * other byte stays, so numbers JavaScript cannot hold (`12345678901234567890`, `1e400`) and `1.0` survive.
 */
export const json: ConfigFormat = {
  get(text, path) {
    root(text); // located errors first; JSON.parse then reads what is known to be JSON
    let v: unknown = text.trim() === '' ? {} : JSON.parse(text);
    for (const p of path)
      v =
        v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, p)
          ? (v as Record<string, unknown>)[p]
          : undefined;
    return v === undefined || (v !== null && typeof v === 'object' && !Array.isArray(v))
      ? undefined
      : (v as ConfigValue);
  },
  set(text, entries: ConfigEntry[]) {
    assertWritable('json', entries);
    const unit = /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
    let out = text.trim() === '' ? '{}\n' : text;
    root(out);
    for (const e of entries) out = setOne(out, e, unit);
    return out;
  },
};
