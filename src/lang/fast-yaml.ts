import {
  COLLECTION_STYLE,
  constructFromEvents,
  CORE_SCHEMA,
  defineMappingTag,
  EVENT_ID,
  mergeTag,
  parseEvents,
  SCALAR_STYLE,
  type Event,
} from 'js-yaml';

/**
 * The fast path for reading YAML. `yaml` (with its CST and line counter) is the authority: it locates
 * every problem and explains it. But it reads a small file in ~0.2–0.45 ms, which is most of a plan of
 * a thousand recipes. js-yaml reads the same file about four times faster, without positions.
 *
 * So a file is read by js-yaml first, and the result is used only when the file keeps to the plain
 * subset where the two parsers agree — the differential test in test/unit/fast-yaml.test.ts holds them
 * to it on every YAML file in the repository, thousands of mutations of them and generated documents.
 * The subset: one document that is a map; no directives, tags, tabs, carriage returns or `...` markers;
 * maps whose keys are text (`<<` merges allowed); anchors followed by a space; no alias inside an
 * anchored collection (so aliases cannot multiply into an alias bomb, and `yaml`'s alias limit never
 * applies); block collections that start their line; no number past what a double holds. Anything else
 * returns undefined, and `yaml` reads the file as before.
 */
export function fastYaml(text: string): { data: unknown } | undefined {
  // `yaml` has its own rules (and messages) for tabs; a lone carriage return ends a line for one parser
  // and not the other; a `...` document end marker is where they count documents differently. Leave
  // those files (and, for simplicity, any with a carriage return) to `yaml`.
  if (/[\t\r]|^\.\.\.(?:[ \n]|$)/m.test(text)) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  let documents = 0;
  // Open collections, each marked true when it or one around it is anchored.
  const anchored: boolean[] = [];
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1 || e.directives.length || e.explicitEnd) return undefined;
        anchored.push(false);
        break;
      case EVENT_ID.ALIAS:
        if (anchored[anchored.length - 1]) return undefined;
        break;
      case EVENT_ID.POP:
        anchored.pop();
        break;
      case EVENT_ID.SCALAR:
        if (taggedOrBadAnchor(text, e)) return undefined;
        // Numbers past what a double holds exactly (or at all) are where the two parsers' numbers part.
        if (
          e.style === SCALAR_STYLE.PLAIN &&
          e.valueEnd - e.valueStart > 1 &&
          oddNumber(text, e.valueStart, e.valueEnd)
        )
          return undefined;
        break;
      default:
        if (taggedOrBadAnchor(text, e)) return undefined;
        // A block collection starts a line, or follows `- ` on it: `key: &a inner: value` is an error to
        // `yaml` and not to js-yaml.
        if (
          e.style === COLLECTION_STYLE.BLOCK &&
          !LINE_START.test(text.slice(text.lastIndexOf('\n', e.start - 1) + 1, e.start))
        )
          return undefined;
        anchored.push(e.anchorStart !== -1 || anchored[anchored.length - 1]!);
    }
  }
  if (documents !== 1) return undefined;
  let data: unknown;
  try {
    data = constructFromEvents(events, { source: text, schema })[0];
  } catch {
    return undefined;
  }
  // Recipes, profiles and config files are maps; anything else is wrong, and `yaml` says how.
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? { data } : undefined;
}

/** Space, line feed: what must follow an anchor. */
const SEPARATOR = new Set([0x20, 0x0a]);

/** A tag, or an anchor not followed by white space (`&a{k: v}` is an error to `yaml`, not to js-yaml). */
function taggedOrBadAnchor(text: string, e: { tagStart: number; anchorStart: number; anchorEnd: number }): boolean {
  return e.tagStart !== -1 || (e.anchorStart !== -1 && !SEPARATOR.has(text.charCodeAt(e.anchorEnd)));
}

/** A plain scalar that may read as a number with an exponent or more than 15 digits (overflow, rounding). */
function oddNumber(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  const numeric =
    (first >= 0x30 && first <= 0x39) ||
    ((first === 0x2b || first === 0x2d || first === 0x2e) && /[0-9.]/.test(text[start + 1]!));
  if (!numeric) return false;
  const value = text.slice(start, end);
  return (value.length > 15 || /[eE]/.test(value)) && NUMBER_LIKE.test(value);
}

/** Anything a YAML core schema might read as a number (and a little more: this only decides the path). */
const NUMBER_LIKE = /^[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^0[xo][0-9a-fA-F_]+$/;

/** What may stand before a block collection on its first line: indentation and sequence dashes. */
const LINE_START = /^ *(?:- +)*$/;

/**
 * Maps whose keys are text, stored in plain objects. A key that is a number, boolean, null or collection
 * (which `yaml` and js-yaml turn into object keys differently), a quoted "<<" or `__proto__` makes the
 * file take the slow path.
 */
const textKeyMap = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
  create: () => ({}),
  identify: () => false,
  addPair: (map, key, value) => {
    if (typeof key !== 'string' || key === '<<' || key === '__proto__') return 'not a plain text key';
    map[key] = value;
    return '';
  },
  has: (map, key) => typeof key === 'string' && Object.hasOwn(map, key),
  keys: (map) => Object.keys(map),
  get: (map, key) => map[key as string],
});

const schema = CORE_SCHEMA.withTags(mergeTag, textKeyMap);
