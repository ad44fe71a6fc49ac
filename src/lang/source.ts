import {
  Document,
  LineCounter,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Node,
  type ParsedNode,
  type YAMLError,
} from 'yaml';
import type { Loc, Problem } from '../util/errors.js';
import { POISON_HINT, poisonMessage, poisonSegment } from '../util/keys.js';
import { fastYaml } from './fast-yaml.js';

/** Largest recipe or profile file we read; larger ones are refused before parsing. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

/** How recipe and profile files (and config.yaml) are read: regular files of at most MAX_SOURCE_BYTES. */
export const SOURCE_LIMITS = {
  maxBytes: MAX_SOURCE_BYTES,
  what: 'recipes and profiles',
  hint: 'split it, or move data out of it',
} as const;

export type YamlPath = readonly (string | number)[];

/** The options every YAML file is parsed with (by `yaml`, the parser that locates and explains problems). */
const YAML_OPTIONS = { uniqueKeys: true, prettyErrors: false, strict: true, merge: true } as const;

function parseWithPositions(text: string): { docs: Document.Parsed[]; lines: LineCounter } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lines });
  return { docs: Array.isArray(docs) ? docs : [], lines };
}

/**
 * A YAML file that can say where any value in it came from. A file read by the fast path (fast-yaml.ts)
 * is parsed with positions only when a location is first asked for: a plan that finds nothing wrong
 * never pays for them.
 */
export class SourceDoc {
  private parsed?: { doc: Document.Parsed; lines: LineCounter };

  constructor(
    readonly file: string,
    readonly text: string,
    parsed?: { doc: Document.Parsed; lines: LineCounter },
  ) {
    this.parsed = parsed;
  }

  /** Whether positions have been computed (by the slow path, or since by a location asked for). */
  get positioned(): boolean {
    return this.parsed !== undefined;
  }

  /** The document with positions, parsed on first use. */
  get doc(): Document.Parsed {
    return this.positions().doc;
  }

  private positions(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.parsed) {
      const { docs, lines } = parseWithPositions(this.text);
      this.parsed = { doc: docs[0]!, lines };
    }
    return this.parsed;
  }

  /**
   * A location computed when its line or column is first read (they are enumerable getters, so spreading
   * or JSON.stringify of it reads them as usual). Until then the file needs no positions.
   */
  private later(compute: () => Loc): Loc {
    let loc: Loc | undefined;
    const get = (): Loc => {
      if (!loc) {
        this.positions();
        loc = compute();
      }
      return loc;
    };
    return Object.defineProperties({ file: this.file } as Loc, {
      line: { enumerable: true, get: () => get().line },
      col: { enumerable: true, get: () => get().col },
    });
  }

  /** The location of an offset in the text. */
  at(offset: number): Loc {
    const { line, col } = this.positions().lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** The node at `path` (or the closest existing ancestor). With `key`, the map key of the last segment. */
  nodeAt(path: YamlPath, key = false): Node | null {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return node as Node;
        if (key && i === path.length - 1) return pair.key as Node;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return node as Node;
        node = item;
      } else {
        return (node as Node) ?? null;
      }
    }
    return (node as Node) ?? null;
  }

  /** The text written for the value at `path` (`3.10` where YAML reads the number 3.1), or undefined. */
  textOf(path: YamlPath): string | undefined {
    const range = (this.nodeAt(path) as ParsedNode | null)?.range;
    return range ? this.text.slice(range[0], range[1]).trim() : undefined;
  }

  /** Location of the value (or key) at `path`, falling back to its nearest ancestor or the file start. */
  locOf(path: YamlPath, key = false): Loc {
    if (!this.parsed) {
      const at = [...path]; // the caller's array may change before the location is read
      return this.later(() => this.locOf(at, key));
    }
    const node = this.nodeAt(path, key);
    const range = (node as ParsedNode | null)?.range;
    return this.at(range ? range[0] : 0);
  }

  /** Location of `needle` inside the source text of the node at `path`, for errors inside a string. */
  locIn(path: YamlPath, needle: string, nth = 0): Loc {
    if (!this.parsed) {
      const at = [...path];
      return this.later(() => this.locIn(at, needle, nth));
    }
    const node = this.nodeAt(path) as ParsedNode | null;
    if (node?.range) {
      const text = this.text.slice(node.range[0], node.range[1]);
      let idx = text.indexOf(needle);
      for (let k = 0; k < nth && idx !== -1; k++) {
        const next = text.indexOf(needle, idx + 1);
        if (next === -1) break;
        idx = next;
      }
      if (idx >= 0) return this.at(node.range[0] + idx);
      return this.at(node.range[0]);
    }
    return this.locOf(path);
  }
}

export interface ParsedSource {
  source?: SourceDoc;
  data?: unknown;
  problems: Problem[];
}

/**
 * Parses YAML bytes, catching everything a YAML file can get wrong, one problem each. Plain files go
 * through the fast path (positions computed later, if asked for); `fast: false` forces the slow one.
 */
export function parseYamlSource(file: string, bytes: Buffer, { fast = true }: { fast?: boolean } = {}): ParsedSource {
  const problems: Problem[] = [];
  const err = (message: string, hint?: string, line = 1, col = 1): ParsedSource => ({
    problems: [{ severity: 'error', loc: { file, line, col }, message, hint }],
  });
  if (bytes.length > MAX_SOURCE_BYTES) {
    return err(
      `file is ${(bytes.length / 1048576).toFixed(1)} MiB; recipes and profiles are limited to 1 MiB`,
      'split it, or move data out of it',
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const { before, byte } = firstInvalidUtf8(bytes);
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    const what = byte === undefined ? 'file' : `byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    return err(`${what} is not valid UTF-8`, 'save the file as UTF-8', line, col);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const before = text.slice(0, nul);
    return err(
      'NUL byte in the file: no recipe, profile or config value may hold one',
      'remove it: no path, argument or environment variable can carry a NUL',
      before.split('\n').length,
      nul - before.lastIndexOf('\n'),
    );
  }
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    return err(
      text.trim() === '' ? 'file is empty' : 'file holds only comments',
      'a recipe needs at least `name:` and `steps:`',
    );
  }
  const quick = fast ? fastYaml(text) : undefined;
  // The fast path answers only for a file without problems; one with a reserved key or a NUL is read
  // again by the slow path, which locates them.
  if (quick && !hostileData(new SourceDoc(file, text), quick.data).length)
    return { source: new SourceDoc(file, text), data: quick.data, problems };
  const { docs: all, lines } = parseWithPositions(text);
  if (all.length === 0) return err('file holds no YAML document');
  if (all.length > 1) {
    const second = all[1]!;
    const { line, col } = lines.linePos(second.range[0]);
    return err(
      `file holds ${all.length} YAML documents; a recipe file holds one`,
      'remove the `---` separators or split the file',
      line,
      col,
    );
  }
  const doc = all[0]!;
  const source = new SourceDoc(file, text, { doc, lines });
  // One mistake often trips several YAML errors at the same spot: report the first on each line.
  const seenLines = new Set<number>();
  for (const e of doc.errors) {
    // An unclosed quote or bracket is noticed far below; point at where it opens instead.
    const open = unclosedOpener(source, e);
    const { line, col } = lines.linePos(open?.offset ?? e.pos[0]);
    if (seenLines.has(line)) continue;
    seenLines.add(line);
    problems.push({
      severity: 'error',
      loc: { file, line, col },
      message: open?.message ?? yamlMessage(e, source),
      hint: open ? open.hint : yamlHint(e.code),
    });
  }
  if (problems.length) return { source, problems };
  findUnquotedTemplates(source, problems);
  if (problems.length) return { source, problems };
  try {
    const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
    return { source, data, problems: hostileData(source, data) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/alias/i.test(msg))
      return {
        source,
        problems: [
          {
            severity: 'error',
            loc: source.at(firstAlias(source) ?? 0),
            message: 'YAML aliases here expand into too many copies; refused as a possible alias bomb',
            hint: 'use fewer `*alias` references',
          },
        ],
      };
    return { source, problems: [{ severity: 'error', loc: source.at(0), message: `cannot read YAML: ${msg}` }] };
  }
}

/**
 * Keys and values no input may hold, whatever file or field they are in: a key (or dotted key path
 * segment) that would reach a prototype (util/keys.ts), and a NUL (written as the escape "\\0"), which
 * no path, argument or environment variable can carry. One located problem each.
 */
function hostileData(source: SourceDoc, data: unknown): Problem[] {
  const problems: Problem[] = [];
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (typeof v === 'string') {
      if (v.includes('\0'))
        problems.push({
          severity: 'error',
          loc: source.locOf(at),
          message: 'this value holds a NUL character ("\\0")',
          hint: 'remove it: no path, argument or environment variable can carry a NUL',
        });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        const seg = poisonSegment(k);
        if (seg !== undefined)
          problems.push({
            severity: 'error',
            loc: source.locOf([...at, k], true),
            message: poisonMessage(k, seg),
            hint: POISON_HINT,
          });
        else if (k.includes('\0'))
          problems.push({
            severity: 'error',
            loc: source.locOf([...at, k], true),
            message: 'this key holds a NUL character ("\\0")',
            hint: 'remove it',
          });
        else walk((v as Record<string, unknown>)[k], [...at, k]);
      }
    }
  };
  walk(data, []);
  return problems;
}

/** The text before the first byte that is not UTF-8, and that byte (decoded leniently, invalid bytes read as U+FFFD). */
function firstInvalidUtf8(bytes: Buffer): { before: string; byte?: number } {
  const lossy = bytes.toString('utf8');
  for (let i = lossy.indexOf('\uFFFD'); i !== -1; i = lossy.indexOf('\uFFFD', i + 1)) {
    // A U+FFFD the file really holds is the bytes EF BF BD; any other is where decoding failed.
    const at = Buffer.byteLength(lossy.slice(0, i));
    if (!(bytes[at] === 0xef && bytes[at + 1] === 0xbf && bytes[at + 2] === 0xbd))
      return { before: lossy.slice(0, i), byte: bytes[at] };
  }
  return { before: lossy };
}

/** For "missing closing quote / bracket" errors: the quoted string or flow collection left open, innermost first. */
function unclosedOpener(
  source: SourceDoc,
  e: YAMLError,
): { offset: number; message: string; hint?: string } | undefined {
  const closer =
    e.code === 'MISSING_CHAR' && /closing "quote/.test(e.message)
      ? '"'
      : e.code === 'MISSING_CHAR' && /closing 'quote/.test(e.message)
        ? "'"
        : /end with a ([\]}])/.exec(e.message)?.[1];
  if (!closer) return undefined;
  const pos = e.pos[0];
  let best: number | undefined;
  const consider = (node: ParsedNode, wanted: boolean): void => {
    const [start, end] = node.range;
    if (!wanted || start >= pos || end < pos - 1) return;
    if (!source.text.slice(start, end).trimEnd().endsWith(closer) && (best === undefined || start > best)) best = start;
  };
  visit(source.doc, {
    Scalar: (_, n) =>
      consider(
        n as ParsedNode,
        (closer === '"' && n.type === 'QUOTE_DOUBLE') || (closer === "'" && n.type === 'QUOTE_SINGLE'),
      ),
    Seq: (_, n) => consider(n as ParsedNode, closer === ']' && !!n.flow),
    Map: (_, n) => consider(n as ParsedNode, closer === '}' && !!n.flow),
  });
  if (best === undefined) return undefined;
  const opener = source.text[best]!;
  return closer === ']' || closer === '}'
    ? {
        offset: best,
        message: `YAML syntax: this "${opener}" is never closed with "${closer}"`,
        hint: `close it on this line, or indent the lines it continues on`,
      }
    : { offset: best, message: `YAML syntax: this quoted string is never closed with ${closer}` };
}

/** Offset of the first `*alias` in the document, where an alias bomb starts. */
function firstAlias(source: SourceDoc): number | undefined {
  let at: number | undefined;
  visit(source.doc, {
    Alias(_, node) {
      at = (node as ParsedNode).range?.[0];
      return visit.BREAK;
    },
  });
  return at;
}

/** For a duplicate key at `offset`: its text and the line of its first occurrence in the same map. */
function duplicateKey(source: SourceDoc, offset: number): { key: string; firstLine: number } | undefined {
  let found: { key: string; firstLine: number } | undefined;
  visit(source.doc, {
    Map(_, node) {
      const keys = node.items.map((p) => p.key as ParsedNode | null);
      const i = keys.findIndex((k) => k?.range?.[0] === offset);
      if (i < 0) return undefined;
      const text = (k: ParsedNode | null): string | undefined => (isScalar(k) ? String(k.value) : undefined);
      const key = text(keys[i]!);
      const first = keys.find((k) => k !== keys[i] && text(k) === key && k?.range);
      if (key !== undefined && first) found = { key, firstLine: source.at(first.range![0]).line };
      return visit.BREAK;
    },
  });
  return found;
}

function yamlMessage(e: YAMLError, source: SourceDoc): string {
  const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  switch (e.code) {
    case 'DUPLICATE_KEY': {
      const dup = duplicateKey(source, e.pos[0]);
      return dup
        ? `duplicate key "${dup.key}" (first on line ${dup.firstLine})`
        : 'duplicate key: this key appears earlier in the same map';
    }
    case 'TAB_AS_INDENT':
      return 'tab used for indentation';
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'YAML syntax: this value holds ": ", which YAML reads as a nested map';
    default:
      return `YAML syntax: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
  }
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'keep one of them';
    case 'TAB_AS_INDENT':
      return 'YAML indents with spaces only';
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'quote the value; if the next line is a key, indent it like the keys beside it';
    default:
      return undefined;
  }
}

/** `x: {{ y }}` parses as a nested flow map in YAML; catch it with a useful message instead of a type error. */
function findUnquotedTemplates(source: SourceDoc, problems: Problem[]): void {
  visit(source.doc, {
    Map(_, node) {
      if (node.flow && node.items.length === 1) {
        const k = node.items[0]!.key;
        if (isMap(k) && (k as { flow?: boolean }).flow && node.items[0]!.value === null) {
          const range = (node as ParsedNode).range!;
          problems.push({
            severity: 'error',
            loc: source.at(range[0]),
            message: 'unquoted template: YAML reads `{{ … }}` at the start of a value as a map',
            hint: `quote the whole value: "${source.text.slice(range[0], range[1]).trim()}"`,
          });
          return visit.SKIP;
        }
      }
      return undefined;
    },
  });
}
