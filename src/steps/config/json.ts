import { assertWritable } from './keys.js';
import type { ConfigEntry, ConfigFormat, ConfigValue } from './types.js';

function parse(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const v = JSON.parse(text) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('cannot edit: the file is not a JSON object');
  return v as Record<string, unknown>;
}

/** JSON: parsed and written back with the file's own indentation (JSON holds no comments to keep). */
export const json: ConfigFormat = {
  get(text, path) {
    let v: unknown = parse(text);
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
    const root = parse(text);
    for (const e of entries) {
      let obj = root;
      for (const p of e.path.slice(0, -1)) {
        const next = Object.hasOwn(obj, p) ? obj[p] : undefined;
        if (e.value === null && (!next || typeof next !== 'object')) break;
        if (!next || typeof next !== 'object' || Array.isArray(next)) obj[p] = {};
        obj = obj[p] as Record<string, unknown>;
      }
      if (e.value === null) delete obj[e.path[e.path.length - 1]!];
      else obj[e.path[e.path.length - 1]!] = e.value;
    }
    const indent = /^\{\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
    return JSON.stringify(root, null, indent) + '\n';
  },
};
