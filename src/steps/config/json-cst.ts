/**
 * A JSON reader that keeps where each value lies in the text, so an edit replaces only the spans of the
 * keys it changes: every other byte (big integers, `1.0`, `1e400`, spacing, key order) stays as written.
 * Strict JSON (RFC 8259); a comment or a trailing comma is refused with its line and column.
 */

/** A value and its span [start, end) in the text; objects list their members in order. */
export interface JsonNode {
  kind: 'object' | 'array' | 'scalar';
  start: number;
  end: number;
  members: JsonMember[];
}

/** `"key": value` in an object: where its key starts, and its value. */
export interface JsonMember {
  key: string;
  start: number;
  value: JsonNode;
}

/** The text is not JSON: where (1-based line and column), what, and how to fix it. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
    readonly hint: string,
  ) {
    super(`${line}:${col}: ${message}`);
    this.name = 'JsonSyntaxError';
  }
}

// JSON forbids raw control characters in strings, so the class names them.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/** Parses `text` (one JSON value, whitespace around it) into nodes with spans; throws JsonSyntaxError. */
export function parseJsonCst(text: string): JsonNode {
  let i = 0;
  const fail = (at: number, message: string, hint = 'fix the JSON syntax there'): never => {
    const before = text.slice(0, at).split('\n');
    throw new JsonSyntaxError(message, before.length, before[before.length - 1]!.length + 1, hint);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
    if (text.startsWith('//', i) || text.startsWith('/*', i))
      fail(
        i,
        'a comment: JSON with comments is not supported',
        'remove the comment (setup edits plain JSON only), or set the keys by hand',
      );
  };
  const token = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const what = (): string => (i >= text.length ? 'the end of the file' : JSON.stringify(text[i]));
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      const node: JsonNode = { kind: c === '{' ? 'object' : 'array', start, end: start, members: [] };
      i++;
      ws();
      if (text[i] === close) {
        i++;
        node.end = i;
        return node;
      }
      for (;;) {
        if (node.kind === 'object') {
          ws();
          const keyStart = i;
          const key = token(STRING);
          if (key === undefined) fail(i, `expected a key in double quotes, found ${what()}`);
          ws();
          if (text[i] !== ':') fail(i, `expected ":" after the key, found ${what()}`);
          i++;
          node.members.push({ key: JSON.parse(key!) as string, start: keyStart, value: value() });
        } else value();
        ws();
        if (text[i] === close) {
          i++;
          node.end = i;
          return node;
        }
        if (text[i] !== ',') fail(i, `expected "," or "${close}", found ${what()}`);
        const comma = i++;
        ws();
        if (text[i] === close) fail(comma, `a trailing comma before "${close}"`, 'remove the comma (JSON allows none)');
      }
    }
    if (token(STRING) ?? token(NUMBER) ?? token(LITERAL)) return { kind: 'scalar', start, end: i, members: [] };
    return fail(i, `expected a value, found ${what()}`);
  };
  const root = value();
  ws();
  if (i < text.length) fail(i, `unexpected ${what()} after the JSON value`);
  return root;
}
