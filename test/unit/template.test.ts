import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mapStrings, renderTemplate, scanTemplate, walkStrings } from '../../src/recipe/template.js';
import { argvToString, shellQuote } from '../../src/util/shell.js';

describe('scanTemplate', () => {
  it('finds every reference with its offsets', () => {
    const s = 'a {{ x }} b {{host.distro}} {{  dirs.src  }}/{{ my-var_2 }}';
    const { refs, errors } = scanTemplate(s);
    expect(errors).toEqual([]);
    expect(refs.map((r) => r.name)).toEqual(['x', 'host.distro', 'dirs.src', 'my-var_2']);
    for (const r of refs) {
      expect(s.slice(r.start, r.start + 2)).toBe('{{');
      expect(s.slice(r.end - 2, r.end)).toBe('}}');
    }
    expect(refs[0]).toEqual({ name: 'x', start: 2, end: 9 });
  });

  it('finds nothing in plain text, including a lone }}', () => {
    expect(scanTemplate('plain } text }} {x}')).toEqual({ refs: [], errors: [] });
  });

  it('reports an unclosed template', () => {
    const { refs, errors } = scanTemplate('echo {{ name');
    expect(refs).toEqual([]);
    expect(errors).toEqual([{ offset: 5, message: expect.stringMatching(/^unclosed template/), hint: expect.any(String) }]);
  });

  it('reports an unclosed template before a later good one, and keeps the good one', () => {
    const { refs, errors } = scanTemplate('{{ a {{ b }}');
    expect(errors.map((e) => e.offset)).toEqual([0]);
    expect(refs.map((r) => r.name)).toEqual(['b']);
  });

  it('reports an empty template', () => {
    expect(scanTemplate('x {{ }} y').errors).toEqual([{ offset: 2, message: 'empty template `{{ }}`', hint: expect.any(String) }]);
    expect(scanTemplate('{{}}').errors[0]!.message).toBe('empty template `{{ }}`');
  });

  it.each(['a + b', 'x | upper', 'f(x)', 'a.', '.a', '1abc', 'a b', "'lit'", 'a..b', '{ a'])('rejects the expression {{ %s }}', (expr) => {
    const { refs, errors } = scanTemplate(`{{ ${expr} }}`);
    expect(refs).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/bad template expression|empty template/);
    expect(errors[0]!.hint).toMatch(/no expressions/);
  });

  it('collects every problem in a string', () => {
    expect(scanTemplate('{{ }} {{ a+b }} {{ ok }} {{ open').errors.map((e) => e.offset)).toEqual([0, 6, 25]);
  });
});

describe('renderTemplate', () => {
  const vars: Record<string, string> = { name: 'faiss', v: "it's $HOME; rm -rf /", empty: '', braces: '{{ name }}' };
  const lookup = (n: string): string => {
    if (!(n in vars)) throw new Error(`no ${n}`);
    return vars[n]!;
  };

  it('substitutes values as they are', () => {
    expect(renderTemplate('lib{{ name }}.a and {{name}}', lookup)).toBe('libfaiss.a and faiss');
    expect(renderTemplate('x{{ empty }}y', lookup)).toBe('xy');
  });

  it('returns a string without templates unchanged, without calling lookup', () => {
    expect(renderTemplate('no templates }} here', () => { throw new Error('called'); })).toBe('no templates }} here');
  });

  it('does not render a value twice', () => {
    expect(renderTemplate('{{ braces }}', lookup)).toBe('{{ name }}');
  });

  it('shell-quotes every value with quote=true, and leaves the rest of the command alone', () => {
    expect(renderTemplate('echo {{ v }} > "$OUT" # {{ name }}', lookup, true)).toBe(`echo 'it'\\''s $HOME; rm -rf /' > "$OUT" # faiss`);
    expect(renderTemplate('echo {{ empty }}', lookup, true)).toBe("echo ''");
  });
});

describe('walkStrings / mapStrings', () => {
  const value = { a: 'x', b: [1, 'y', { c: 'z', d: true }], e: null };

  it('walks every string with its path', () => {
    const seen: { path: (string | number)[]; value: string }[] = [];
    walkStrings(value, (v, p) => seen.push({ path: [...p], value: v }), ['steps', 0]);
    expect(seen).toEqual([
      { path: ['steps', 0, 'a'], value: 'x' },
      { path: ['steps', 0, 'b', 1], value: 'y' },
      { path: ['steps', 0, 'b', 2, 'c'], value: 'z' },
    ]);
  });

  it('keeps a `__proto__` key as data, never as the prototype', () => {
    const mapped = mapStrings(JSON.parse('{"__proto__": {"polluted": "x"}}') as object, (s) => s.toUpperCase());
    expect(Object.getPrototypeOf(mapped)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(mapped, '__proto__')?.value).toEqual({ polluted: 'X' });
  });

  it('maps every string and keeps the shape and the other values', () => {
    expect(mapStrings(value, (s, p) => `${s}@${p.join('.')}`)).toEqual({ a: 'x@a', b: [1, 'y@b.1', { c: 'z@b.2.c', d: true }], e: null });
  });
});

describe('shellQuote', () => {
  it.each([
    ['', "''"],
    ['plain', 'plain'],
    ['/usr/local/lib/libopenblas.a', '/usr/local/lib/libopenblas.a'],
    ['a=b,c:d@e%f+g', 'a=b,c:d@e%f+g'],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
    ['~', "'~'"],
    ['*', "'*'"],
    ['a\nb', "'a\nb'"],
    ["'", "''\\'''"],
    ['中文', "'中文'"],
  ])('%j → %s', (input, want) => {
    expect(shellQuote(input)).toBe(want);
  });

  it('argvToString quotes each argument', () => {
    expect(argvToString(['git', 'commit', '-m', "it's done"])).toBe("git commit -m 'it'\\''s done'");
  });
});

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  ...'$`;\'"\\\n \t*?()|&<>!#~{}[]=%^-+,.:/@',
  ...'abcXYZ019',
  '$(', '${', '$((', "'\\''", '\\\n', '!!', '~root', '\r',
  'é', 'ß', '中', '文', '🙂', '👍🏽', '\u00a0', '\u200b', 'Ω',
];

function randomString(rand: () => number): string {
  const len = Math.floor(rand() * 24);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)]!;
  return s;
}

describe('quoted templates survive a real bash (property)', () => {
  it('`printf %s {{ v }}` prints v exactly, for 2,000 random strings rich in shell metacharacters', () => {
    const rand = prng(0x5eed);
    const inputs = Array.from({ length: 2000 }, () => randomString(rand));
    inputs.push('', "'", "''", '\\', '\n', '-n', '--', '%s', '%%', '-v');
    for (let i = 0; i < inputs.length; i += 100) {
      const batch = inputs.slice(i, i + 100);
      // One bash per batch: each command prints its value then a NUL, so values may hold anything but NUL.
      const script = batch.map((v) => `${renderTemplate('printf %s {{ v }}', () => v, true)}; printf '\\0'`).join('\n');
      const out = execFileSync('bash', ['-e', '-o', 'pipefail', '-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, LC_ALL: 'C.UTF-8', HOME: '/nonexistent' } });
      const got = out.split('\0');
      expect(got.pop()).toBe('');
      expect(got).toHaveLength(batch.length);
      for (let j = 0; j < batch.length; j++) expect(got[j], `input ${JSON.stringify(batch[j])}`).toBe(batch[j]);
    }
  });
});
