import { isMap, isScalar, isSeq, parseDocument, stringify, type Document, type Node, type Pair } from 'yaml';
import { assertWritable } from './keys.js';
import type { ConfigEntry, ConfigFormat, ConfigValue } from './types.js';

/** Parsed with the failsafe schema: every scalar stays the string it is written as (`0755`, `1e400`). */
function load(text: string): Document {
  const doc = parseDocument(text, { schema: 'failsafe' });
  if (doc.errors.length)
    throw new Error(`cannot edit: the file is not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
  return doc;
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;
const lineEnd = (text: string, at: number): number => {
  const nl = text.indexOf('\n', at);
  return nl === -1 ? text.length : nl + 1;
};
/** The end of a node's own text: before the spaces, newlines and comments the parser counts in its range. */
const endOf = (text: string, node: Node): number => {
  let end = node.range![1];
  while (end > node.range![0] && /\s/.test(text[end - 1]!)) end--;
  return end;
};

/** `{ [rest...]: value }` as block YAML (the core schema's quoting), each line after `indent`. */
const block = (rest: string[], value: ConfigValue, indent: string): string =>
  stringify(rest.reduceRight<unknown>((v, k) => ({ [k]: v }), value))
    .replace(/\n$/, '')
    .replace(/\n/g, `\n${indent}`);

/** One entry set in `text` by splicing only its key's lines; undefined where only a whole rewrite can. */
function splice(text: string, e: ConfigEntry): string | undefined {
  const doc = load(text);
  let map: unknown = doc.contents;
  for (let d = 0; d < e.path.length; d++) {
    if (!isMap(map) || map.flow || !map.items.length) return undefined;
    const pairs = map.items as Pair<Node, Node | null>[];
    const pair = pairs.find((p) => isScalar(p.key) && String(p.key.value) === e.path[d]);
    if (!pair) {
      if (e.value === null) return text;
      const lastPair = pairs[pairs.length - 1]!;
      const first = pairs[0]!.key;
      if (!first?.range || !(lastPair.value ?? lastPair.key)?.range) return undefined;
      const indent = ' '.repeat(first.range[0] - lineStart(text, first.range[0]));
      const after = lineEnd(text, endOf(text, (lastPair.value ?? lastPair.key)!));
      const nl = after === text.length && !text.endsWith('\n') ? '\n' : '';
      return `${text.slice(0, after)}${nl}${indent}${block(e.path.slice(d), e.value, indent)}\n${text.slice(after)}`;
    }
    const value = pair.value;
    if (d < e.path.length - 1 && isMap(value)) {
      map = value;
      continue;
    }
    if (d < e.path.length - 1 && e.value === null) return text;
    if (!pair.key.range || (value && !value.range)) return undefined;
    const from = pair.key.range[0];
    const to = value ? endOf(text, value) : pair.key.range[1];
    if (e.value === null) return text.slice(0, lineStart(text, from)) + text.slice(lineEnd(text, to));
    const indent = ' '.repeat(from - lineStart(text, from));
    const keyText = text.slice(from, pair.key.range[1]).trimEnd();
    const body = block(['k', ...e.path.slice(d + 1)], e.value, indent).replace(/^k:/, '');
    return text.slice(0, from) + keyText + ':' + body + text.slice(to);
  }
  return undefined;
}

/**
 * YAML (.condarc): each key set splices only its own lines into the text, so every other byte stays
 * (`0755`, `1.0`, big integers, quoting, comments, key order); an edit the splice cannot place (an empty
 * or flow-style map) goes through the `yaml` Document API, still with every scalar kept as written.
 */
export const yamlFormat: ConfigFormat = {
  get(text, path) {
    const doc = parseDocument(text);
    const node = doc.getIn(path, true);
    if (node === undefined) return undefined;
    if (isSeq(node)) return (node.toJSON() as unknown[]).map((v) => v as ConfigValue);
    if (isMap(node)) return undefined;
    return (node as { toJSON(): unknown }).toJSON() as ConfigValue;
  },
  set(text, entries: ConfigEntry[]) {
    load(text);
    assertWritable('yaml', entries);
    let out = text;
    for (const e of entries) {
      const next = splice(out, e);
      if (next !== undefined) {
        out = next;
        continue;
      }
      const doc = load(out);
      if (doc.contents === null) doc.contents = doc.createNode({}) as never;
      if (e.value === null) doc.deleteIn(e.path);
      else doc.setIn(e.path, parseDocument(stringify(e.value), { schema: 'failsafe' }).contents);
      out = doc.toString();
    }
    return out;
  },
};
