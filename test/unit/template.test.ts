import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  mapStrings,
  renderShell,
  renderTemplate,
  scanTemplate,
  shellTemplates,
  walkStrings,
} from '../../src/lang/template.js';
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
    expect(errors).toEqual([
      { offset: 5, message: expect.stringMatching(/^unclosed template/), hint: expect.any(String) },
    ]);
  });

  it('reports an unclosed template before a later good one, and keeps the good one', () => {
    const { refs, errors } = scanTemplate('{{ a {{ b }}');
    expect(errors.map((e) => e.offset)).toEqual([0]);
    expect(refs.map((r) => r.name)).toEqual(['b']);
  });

  it('reports an empty template', () => {
    expect(scanTemplate('x {{ }} y').errors).toEqual([
      { offset: 2, message: 'empty template `{{ }}`', hint: expect.any(String) },
    ]);
    expect(scanTemplate('{{}}').errors[0]!.message).toBe('empty template `{{ }}`');
  });

  it.each(['a + b', 'x | upper', 'f(x)', 'a.', '.a', '1abc', 'a b', "'lit'", 'a..b', '{ a'])(
    'rejects the expression {{ %s }}',
    (expr) => {
      const { refs, errors } = scanTemplate(`{{ ${expr} }}`);
      expect(refs).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/bad template expression|empty template/);
      expect(errors[0]!.hint).toMatch(/no expressions/);
    },
  );

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
    expect(
      renderTemplate('no templates }} here', () => {
        throw new Error('called');
      }),
    ).toBe('no templates }} here');
  });

  it('does not render a value twice', () => {
    expect(renderTemplate('{{ braces }}', lookup)).toBe('{{ name }}');
  });
});

describe('renderShell: values are environment variables, never script text', () => {
  const vars: Record<string, string> = { name: 'faiss', v: "it's $HOME; rm -rf /", empty: '', 'a-b': '1', a_b: '2' };
  const lookup = (n: string): string => vars[n]!;

  it('refers to each value by a variable, quoted as a word, bare inside double quotes and heredocs', () => {
    const r = renderShell('echo {{ v }} "x {{ name }}" > "$OUT" # {{ name }}\ncat <<EOF\n{{ v }}\nEOF', lookup);
    expect(r.shell).toBe(
      'echo "${envkit_v}" "x ${envkit_name}" > "$OUT" # "${envkit_name}"\ncat <<EOF\n${envkit_v}\nEOF',
    );
    expect(r.vars).toEqual({ envkit_v: vars.v, envkit_name: 'faiss' });
    expect(r.display).toBe(
      `echo 'it'\\''s $HOME; rm -rf /' "x faiss" > "$OUT" # faiss\ncat <<EOF\nit's $HOME; rm -rf /\nEOF`,
    );
  });

  it('gives two names with the same letters two variables', () => {
    expect(renderShell('echo {{ a-b }} {{ a_b }} {{ a-b }}', lookup)).toMatchObject({
      shell: 'echo "${envkit_a_b}" "${envkit_a_b_2}" "${envkit_a_b}"',
      vars: { envkit_a_b: '1', envkit_a_b_2: '2' },
    });
  });

  it('leaves a command without templates alone', () => {
    expect(
      renderShell('echo $HOME', () => {
        throw new Error('called');
      }),
    ).toEqual({ shell: 'echo $HOME', vars: {}, display: 'echo $HOME' });
  });
});

describe('shellTemplates: the context of each template in a bash script', () => {
  const ctx = (cmd: string): string[] => shellTemplates(cmd).map((t) => `${t.name}:${t.context}`);
  it.each([
    ['echo {{ a }}', ['a:word']],
    ['echo "{{ a }}" \'{{ b }}\' "$( echo {{ c }} \'x\' )"', ['a:dq', 'b:sq', 'c:word']],
    ["# {{ a }} ' unbalanced\necho {{ b }}", ['a:word', 'b:word']],
    ["cat <<EOF\n{{ a }} '\nEOF\necho {{ b }}", ['a:dq', 'b:word']],
    ["cat <<'EOF'\n{{ a }}\nEOF\ncat <<-\\E\n\t{{ b }}\n\tE\necho {{ c }}", ['a:qheredoc', 'b:qheredoc', 'c:word']],
    ['echo $(( {{ a }} + 1 )) $(( ({{ b }}) )) {{ c }}', ['a:arith', 'b:arith', 'c:word']],
    ['(( {{ a }} > 1 )) && [[ "{{ b }}" -eq 1 ]] && [[ {{ c }} == x ]]', ['a:arith', 'b:arith', 'c:word']],
    ['let x={{ a }}+1; echo {{ b }}', ['a:arith', 'b:word']],
    [
      'a[{{ a }}]=1; echo ${a[{{ b }}]} ${x:{{ c }}} ${x:-{{ d }}} x[0-9]{{ e }}',
      ['a:arith', 'b:arith', 'c:arith', 'd:word', 'e:word'],
    ],
    ["echo `echo {{ a }}` \\'{{ b }}", ['a:word', 'b:word']],
    ['echo $[ {{ a }} + 1 ]', ['a:arith']],
    ['eval "echo {{ a }}"; bash -c "echo {{ b }}"; sh -c \'echo "$1"\' sh {{ c }}', ['a:code', 'b:code', 'c:word']],
    [
      'python3 -c "print({{ a }})" {{ b }}; sed -i "s/x/{{ c }}/" f; trap "rm {{ d }}" EXIT; ssh h ls {{ e }}',
      ['a:code', 'b:word', 'c:code', 'd:code', 'e:code'],
    ],
    ['x=1; echo "$(bash -c "echo {{ a }}")" {{ b }}', ['a:code', 'b:word']],
  ])('%j', (cmd, want) => expect(ctx(cmd)).toEqual(want));
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
    expect(mapStrings(value, (s, p) => `${s}@${p.join('.')}`)).toEqual({
      a: 'x@a',
      b: [1, 'y@b.1', { c: 'z@b.2.c', d: true }],
      e: null,
    });
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
  '$(',
  '${',
  '$((',
  "'\\''",
  '\\\n',
  '!!',
  '~root',
  '\r',
  'é',
  'ß',
  '中',
  '文',
  '🙂',
  '👍🏽',
  '\u00a0',
  '\u200b',
  'Ω',
];

function randomString(rand: () => number): string {
  const len = Math.floor(rand() * 24);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)]!;
  return s;
}

describe('template values survive a real bash (property)', () => {
  it('as a word, in double quotes, in a comment and in a heredoc, v comes out exactly, for 2,000 random strings rich in shell metacharacters', () => {
    const rand = prng(0x5eed);
    const inputs = Array.from({ length: 2000 }, () => randomString(rand));
    inputs.push('', "'", "''", '\\', '\n', '-n', '--', '%s', '%%', '-v');
    for (let i = 0; i < inputs.length; i += 100) {
      const batch = inputs.slice(i, i + 100);
      // One bash per batch: each command prints its value then a NUL, so values may hold anything but NUL.
      const rendered = batch.map((v, j) =>
        renderShell(`printf %s {{ v${j} }}; printf "%s" "{{ v${j} }}" # {{ v${j} }}\ncat <<E\n{{ v${j} }}\nE`, () => v),
      );
      const script = rendered.map((r) => `${r.shell}\nprintf '\\0'`).join('\n');
      const env = Object.assign(
        { PATH: process.env.PATH, LC_ALL: 'C.UTF-8', HOME: '/nonexistent' },
        ...rendered.map((r) => r.vars),
      );
      const out = execFileSync('bash', ['-e', '-o', 'pipefail', '-c', script], { encoding: 'utf8', env });
      const got = out.split('\0');
      expect(got.pop()).toBe('');
      expect(got).toHaveLength(batch.length);
      for (let j = 0; j < batch.length; j++)
        expect(got[j], `input ${JSON.stringify(batch[j])}`).toBe(`${batch[j]}${batch[j]}${batch[j]}\n`);
    }
  });
});
