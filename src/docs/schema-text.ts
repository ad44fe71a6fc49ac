/** Plain-language views of JSON Schema nodes, for the generated reference (docs/recipes.md). */

/** A JSON Schema node, as zod's toJSONSchema writes it. */
export type JsonSchema = { [key: string]: unknown };

const TYPE_WORDS: Record<string, string> = { string: 'string', number: 'number', integer: 'integer', boolean: 'true/false', null: 'null', array: 'list', object: 'map' };

/** `list of string`, `map of string → string`, `string or list of string`, `"ini" | "yaml"`… */
export function typeText(s: JsonSchema): string {
  if (s.$ref) return 'any YAML value';
  if (Array.isArray(s.anyOf)) return [...new Set((s.anyOf as JsonSchema[]).map(typeText))].join(' or ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.type)) return (s.type as string[]).map((t) => TYPE_WORDS[t] ?? t).join(' or ');
  if (s.type === 'array') return s.items ? `list of ${wrap(typeText(s.items as JsonSchema))}` : 'list';
  if (s.type === 'object') {
    if (s.properties) return 'map (keys below)';
    if (s.additionalProperties && typeof s.additionalProperties === 'object') return `map of name → ${wrap(typeText(s.additionalProperties as JsonSchema))}`;
    return 'map';
  }
  return typeof s.type === 'string' ? (TYPE_WORDS[s.type] ?? s.type) : 'any value';
}

const wrap = (t: string): string => (t.includes(' or ') ? `(${t})` : t);

/** One key of a map: its name, type, whether it must be there, what it means, and an example. */
export interface KeyRow {
  key: string;
  type: string;
  required: boolean;
  description: string;
  example?: unknown;
  default?: unknown;
}

/** The keys of an object schema, in declaration order. */
export function keyRows(s: JsonSchema): KeyRow[] {
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).map(([key, p]) => ({
    key,
    type: typeText(p),
    required: required.has(key),
    description: typeof p.description === 'string' ? p.description : '',
    example: Array.isArray(p.examples) ? p.examples[0] : undefined,
    default: p.default,
  }));
}

/** The map form of a schema that is a map, or a union with one map alternative (`packages: { packages, update }`). */
export function mapForm(s: JsonSchema): JsonSchema | undefined {
  if (s.type === 'object' && s.properties) return s;
  return ((s.anyOf ?? []) as JsonSchema[]).find((a) => a.type === 'object' && a.properties);
}

/** Markdown-safe prose: outside `code spans`, `<` (read as HTML) and `*` (emphasis) are escaped. */
export function md(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;').replace(/\*/g, '\\*')))
    .join('`');
}

/** Text for a markdown table cell: prose escaped (see md), pipes escaped, on one line. */
export function cell(text: string): string {
  return md(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Joins sentences, ending the first with a full stop when it has none. */
export function sentences(...parts: string[]): string {
  return parts.filter(Boolean).map((p, i, all) => (i < all.length - 1 && !/[.!?:]$/.test(p) ? p + '.' : p)).join(' ');
}

/** A value as inline code (JSON is valid YAML flow style). */
export function code(v: unknown): string {
  const t = typeof v === 'string' && !v.includes('\n') ? v : JSON.stringify(v);
  const fence = t.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ' ' : ''}${t}${fence === '``' ? ' ' : ''}${fence}`;
}

/** A markdown table of keys: key, type, required, description (with a default and an example). */
export function keysTable(rows: readonly KeyRow[]): string {
  const lines = ['| key | type | required | description |', '|---|---|---|---|'];
  for (const r of rows) {
    const extra = [r.default !== undefined ? `Default: ${code(r.default)}.` : '', r.example !== undefined ? `Example: ${code(r.example)}` : ''].filter(Boolean).join(' ');
    lines.push(`| ${cell(code(r.key))} | ${cell(r.type)} | ${r.required ? 'yes' : 'no'} | ${cell(sentences(r.description, extra))} |`);
  }
  return lines.join('\n');
}
