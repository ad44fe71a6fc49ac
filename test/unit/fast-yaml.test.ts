import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastYaml } from '../../src/lang/fast-yaml.js';
import { parseYamlSource } from '../../src/lang/source.js';

/**
 * The fast path (js-yaml, no positions) may answer only where `yaml` — the parser that locates and
 * explains problems — would have read the same file without a problem and to the same data. This
 * differential test holds it to that on every YAML file in the repository and on thousands of
 * mutations and generated documents; wherever the fast path answers, the slow one must agree exactly.
 */
const root = path.resolve(import.meta.dirname, '../..');

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : yamlFiles(p);
    return /\.ya?ml$/.test(e.name) && fs.statSync(p).size < 200_000 ? [p] : [];
  });
}

const corpus = [...yamlFiles(path.join(root, 'recipes')), ...yamlFiles(path.join(root, 'test', 'fixtures'))].map(
  (f) => ({ file: path.relative(root, f), text: fs.readFileSync(f, 'utf8') }),
);

/** Whether the fast path answered, and if so that the slow path agrees. Returns which path was taken. */
function agree(text: string): 'fast' | 'slow' {
  const fast = parseYamlSource('x.yaml', Buffer.from(text));
  // The slow path computes positions as it reads; the fast path leaves them for later.
  if (!fast.source || fast.source.positioned) return 'slow';
  const slow = parseYamlSource('x.yaml', Buffer.from(text), { fast: false });
  expect(slow.problems, `the slow path finds problems in a file the fast path accepted:\n${text}`).toEqual([]);
  expect(fast.data, `the two paths read different data from:\n${text}`).toStrictEqual(slow.data);
  // Key order too: it orders cmake defines, environment variables and config keys.
  expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
  return 'fast';
}

/** YAML-significant fragments the mutations insert. */
const tokens = [
  ' ',
  '  ',
  '\n',
  '\n  ',
  '\n- ',
  ': ',
  ':',
  '- ',
  '-',
  '#',
  ' #',
  '"',
  "'",
  '\\',
  '[',
  ']',
  '{',
  '}',
  ',',
  '? ',
  '|',
  '|-',
  '>',
  '>+',
  '&a ',
  '*a',
  '!',
  '!!str ',
  '%',
  '@',
  '`',
  '---\n',
  '...\n',
  '<<: ',
  '<<: *a\n',
  '&a ',
  '*b',
  'b: &b {k: v}\n',
  '{{ x }}',
  '~',
  'null',
  'true',
  'False',
  '0x1F',
  '0o17',
  '017',
  '1_000',
  '3.10',
  '.5',
  '1e3',
  '1e342',
  '9007199254740993',
  '0.1000000000000000055511151231257827',
  '-.inf',
  '.NaN',
  '+12',
  '2001-12-14',
  'yes',
  '\t',
  '\r\n',
  '\r',
  '\u0085',
  '\u2028',
  '\u0000',
  '\u001b',
  '\u00a0',
  '\ufeff',
  'é',
  '"\\u00e9"',
  "'it''s'",
  '"\\x41"',
  '"a\\\n b"',
  '12:30',
  '__proto__: ',
  '? a\n: b',
  '[a, b]: c',
  '{a: 1}: c',
  'key: value: x',
];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), what: fc.constantFrom(...tokens) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -2, max: 2 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, ms: Mutation[]): string {
  for (const m of ms) {
    const at = text.length ? m.at % (text.length + 1) : 0;
    if (m.op === 'insert') text = text.slice(0, at) + m.what + text.slice(at);
    else if (m.op === 'delete') text = text.slice(0, at) + text.slice(at + m.n);
    else {
      const start = text.lastIndexOf('\n', at - 1) + 1;
      text =
        m.by > 0
          ? text.slice(0, start) + ' '.repeat(m.by) + text.slice(start)
          : text.slice(0, start) + text.slice(start).replace(new RegExp(`^ {0,${-m.by}}`), '');
    }
  }
  return text;
}

/** Small documents built from the forms where YAML parsers most often part ways. */
const scalar = fc.oneof(
  fc.constantFrom(
    '~',
    'null',
    'Null',
    'NULL',
    '',
    'true',
    'True',
    'TRUE',
    'false',
    'yes',
    'on',
    '0',
    '-0',
    '+0',
    '007',
    '0o17',
    '0o8',
    '0x1f',
    '0xG',
    '1_000',
    '0b101',
    '1.',
    '.5',
    '-.5',
    '1e3',
    '1E+3',
    '1e',
    '.inf',
    '-.Inf',
    '+.INF',
    '.nan',
    '.NaN',
    '2001-12-14',
    '12:30:00',
    '3.10',
    '1.2.3',
    'a b',
    'a  b',
    'a # c',
    'a#b',
    "'q'",
    "'it''s'",
    '"d"',
    '"\\t\\u00e9\\x41\\""',
    '"a\\\n  b"',
    '"multi\n  line"',
    "'multi\n  line'",
    'plain\n  continued',
    '- x',
    '-x',
    '"{{ x }}"',
    '{{ x }}',
    'a: b',
    '[a, b]',
    '{a: 1, b: [2]}',
    '[]',
    '{}',
    '""',
    "''",
    '|\n  lit\n  text\n',
    '|-\n  lit\n',
    '|+\n  lit\n\n',
    '>\n  fold\n  text\n\n  para\n',
    '>-\n  x\n',
    '|2\n   indented\n',
    '>\n\n  leading\n',
    '&a {k: v, j: 1}',
    '&a x',
    '*a',
    '[*a, {m: 1}]',
    '{k: w, <<: *a}',
    '&a [1, *a]',
  ),
  fc.stringMatching(/^[a-z0-9 .:#\-_/"'\\[\]{},]{0,12}$/),
);
const key = fc.oneof(
  fc.constantFrom('name', 'run', 'a', 'b', 'x y', '"q"', "'s'", '1', 'true', '~', 'steps', 'a.b', '-a', '<<', 'k', 'j'),
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/),
);
const value = fc.oneof(
  scalar.map((v) => ` ${v}`),
  fc.array(scalar, { minLength: 1, maxLength: 3 }).map((vs) => vs.map((v) => `\n  - ${v}`).join('')),
  fc
    .uniqueArray(fc.tuple(key, scalar), { minLength: 1, maxLength: 3, selector: ([k]) => k })
    .map((kv) => kv.map(([k, v]) => `\n  ${k}: ${v}`).join('')),
);
const doc = fc
  .uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 6, selector: ([k]) => k })
  .map((pairs) => pairs.map(([k, v]) => `${k}:${v}`).join('\n') + '\n');

describe('fast YAML path', () => {
  it('agrees with the slow path on every YAML file in the repository, and takes it for every bundled recipe', () => {
    expect(corpus.length).toBeGreaterThan(100);
    const slow = corpus.filter(({ text }) => agree(text) === 'slow').map((c) => c.file);
    // A bundled recipe that fell to the slow path would cost every plan that reads it.
    expect(slow.filter((f) => f.startsWith('recipes/'))).toEqual([]);
  });

  it('agrees with the slow path on mutated files', () => {
    let fast = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus.map((c) => c.text)),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (text, ms) => {
          if (agree(mutate(text, ms)) === 'fast') fast++;
        },
      ),
      { numRuns: 4000, seed: 20261129 },
    );
    // The mutations must leave enough files on the fast path for the comparison to mean something.
    expect(fast).toBeGreaterThan(1000);
  });

  it('agrees with the slow path on generated documents', () => {
    let fast = 0;
    fc.assert(
      fc.property(doc, (text) => {
        if (agree(text) === 'fast') fast++;
      }),
      { numRuns: 4000, seed: 11292026 },
    );
    expect(fast).toBeGreaterThan(400);
  });

  it("computes a fast-read file's locations on first read, from the path as it was passed", () => {
    const source = parseYamlSource('r.yaml', Buffer.from('name: r\nsteps:\n  - run: a\n  - run: b\n')).source!;
    expect(source.positioned).toBe(false);
    const path: (string | number)[] = ['steps', 1];
    const loc = source.locOf(path);
    path[1] = 0;
    expect(source.positioned).toBe(false);
    // Spreading and JSON read the line and column like any other location's.
    expect({ ...loc }).toEqual({ file: 'r.yaml', line: 4, col: 5 });
    expect(source.positioned).toBe(true);
    expect(JSON.stringify(source.locOf(['steps', 0]))).toBe('{"file":"r.yaml","line":3,"col":5}');
  });

  it('leaves to the slow path what it cannot prove the same', () => {
    for (const text of [
      'a: 1\n---\nb: 2\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: &a [1, 1]\nb: &b [*a, *a]\n',
      'a: &a {x: 1}\nb: &b {<<: *a}\n',
      '"<<": 1\n',
      'a: &a b: c\n',
      'a: &b{k: v}\nc: *b\n',
      'a: 1e342\n',
      'a: 12345678901234567890\n',
      '- &a b: c\n',
      'a: !!str 1\n',
      'a: !t 1\n',
      'a:\tb\n',
      '1: a\n',
      '~: a\n',
      '[a]: 1\n',
      'a: {{ x }}\n',
      '__proto__: 1\n',
      'a: 1\na: 2\n',
      'a: [\n',
      '',
    ]) {
      expect(fastYaml(text), JSON.stringify(text)).toBeUndefined();
    }
    expect(fastYaml('name: x\nsteps:\n  - run: make && make install\n')).toEqual({
      data: { name: 'x', steps: [{ run: 'make && make install' }] },
    });
  });
});
