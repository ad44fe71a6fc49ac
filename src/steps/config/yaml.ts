import { isMap, isSeq, parseDocument } from 'yaml';
import { assertWritable } from './keys.js';
import type { ConfigEntry, ConfigFormat, ConfigValue } from './types.js';

/** YAML (.condarc): edited through the `yaml` Document API, so comments and key order stay. */
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
    const doc = parseDocument(text);
    if (doc.errors.length)
      throw new Error(`cannot edit: the file is not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
    assertWritable('yaml', entries);
    if (doc.contents === null) doc.contents = doc.createNode({}) as never;
    for (const e of entries) {
      if (e.value === null) doc.deleteIn(e.path);
      else doc.setIn(e.path, doc.createNode(e.value));
    }
    return doc.toString();
  },
};
