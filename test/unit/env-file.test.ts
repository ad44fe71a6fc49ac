import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotedSecretMarker, secretMarker } from '../../src/util/sh-word.js';
import {
  envFileMissing,
  mergeEnvFile,
  parseEnvFile,
  RC_BEGIN,
  RC_END,
  rcBlock,
  serializeEnvFile,
  withRcBlock,
  type EnvFile,
} from '../../src/steps/env-file.js';
import { canonicalEnvValue } from '../../src/steps/env-value.js';

const envFile = (set: Record<string, string> = {}, prepend: Record<string, string[]> = {}): EnvFile => ({
  set: new Map(Object.entries(set)),
  prepend: new Map(Object.entries(prepend)),
});
const plain = (e: EnvFile): { set: Record<string, string>; prepend: Record<string, string[]> } => ({
  set: Object.fromEntries(e.set),
  prepend: Object.fromEntries(e.prepend),
});

/** Values that break naive quoting. */
const NASTY: Record<string, string> = {
  QUOTES: `it's "quoted" 'twice'`,
  SPACES: '  two  spaces  ',
  DOLLAR: '$$HOME $${PATH} $(id -u) `id` $((1+1)) $1 $',
  NEWLINES: 'line one\nline two\n\nexport EVIL=1\n',
  BACKSLASH: 'C:\\path\\ trailing\\',
  LONE_QUOTE: "'",
  EMPTY: '',
  GLOB: '* ? [a-z] ~ ~root',
  UNICODE: '中文 🙂 ß',
  SEMI: 'a; rm -rf / # not a comment',
  EQUALS: 'k=v,x:y',
};

describe('parseEnvFile / serializeEnvFile', () => {
  it('round-trips values with quotes, spaces, $, backslashes and newlines', () => {
    const e = envFile(NASTY, {
      PATH: ['/opt/a b/bin', "/opt/it's/bin", '/opt/new\nline'],
      LD_LIBRARY_PATH: ['/opt/lib'],
    });
    const text = serializeEnvFile(e);
    expect(plain(parseEnvFile(text))).toEqual(plain(e));
    expect(serializeEnvFile(parseEnvFile(text))).toBe(text);
  });

  it('writes a header, then exports, then one prepend line per folder', () => {
    const text = serializeEnvFile(envFile({ A: '1', B: 'two words' }, { PATH: ['/x/bin'] }));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^# envkit: the managed environment/);
    expect(lines.slice(-3)).toEqual([
      'export A=1',
      "export B='two words'",
      'case ":${PATH:-}:" in *:/x/bin:*) ;; *) export PATH=/x/bin"${PATH:+:$PATH}" ;; esac',
    ]);
  });

  it('reads nothing from undefined, empty or foreign text, and ignores lines it did not write', () => {
    expect(plain(parseEnvFile(undefined))).toEqual({ set: {}, prepend: {} });
    expect(plain(parseEnvFile(''))).toEqual({ set: {}, prepend: {} });
    expect(
      plain(parseEnvFile('# it\'s a comment\nexport A=1\nFOO=bar\nexport B="$(id)"\nexport C=\'unterminated\n')),
    ).toEqual({ set: { A: '1' }, prepend: {} });
  });

  it('an apostrophe in a comment does not swallow the lines after it', () => {
    expect(plain(parseEnvFile("# don't edit\nexport A=1\nexport B='x'\n"))).toEqual({
      set: { A: '1', B: 'x' },
      prepend: {},
    });
  });

  it('references stay live: double-quoted, every other special character escaped', () => {
    const e = envFile({ P: '$HOME/.local/bin:${PATH}x', Q: 'it\'s "$A" `b` \\ $$C $1\nnext' });
    const text = serializeEnvFile(e);
    expect(text).toContain('export P="${HOME-}/.local/bin:${PATH-}x"\n');
    expect(text).toContain('export Q="it\'s \\"${A-}\\" \\`b\\` \\\\ \\$C \\$1\nnext"\n');
    expect(plain(parseEnvFile(text)).set).toEqual({
      P: '$HOME/.local/bin:${PATH}x',
      Q: 'it\'s "$A" `b` \\ $$C $1\nnext',
    });
    const out = execFileSync('sh', ['-c', `. /dev/stdin <<'EOF'\n${text}EOF\nprintf '%s|' "$P" "$Q"`], {
      encoding: 'utf8',
      env: { HOME: '/h', PATH: '/usr/bin:/bin', A: 'a' },
    });
    expect(out).toBe('/h/.local/bin:/usr/bin:/binx|it\'s "a" `b` \\ $C $1\nnext|');
  });

  it("a script's secret marker stands outside the quotes, as its quoted marker, and reads back as the marker", () => {
    const m = secretMarker('TOKEN');
    const e = envFile({ T: m, B: `$HOME/x-${m}-y`, C: `a'b ${m}` });
    const text = serializeEnvFile(e);
    expect(text).toContain(`export T=${quotedSecretMarker('TOKEN')}\n`);
    expect(text).toContain(`export B="\${HOME-}/x-"${quotedSecretMarker('TOKEN')}"-y"\n`);
    expect(text).toContain(`export C='a'\\''b '${quotedSecretMarker('TOKEN')}\n`);
    expect(plain(parseEnvFile(text)).set).toEqual({ T: m, B: `$HOME/x-${m}-y`, C: `a'b ${m}` });
    expect(envFileMissing(parseEnvFile(text), e)).toEqual([]);
  });

  it('round-trips 500 random values (seeded)', () => {
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = [...'\'"$`\\\n ;*?~#{}()|&<>!=:', 'a', 'Z', '0', '中', '🙂'];
    const set: Record<string, string> = {};
    for (let i = 0; i < 500; i++) {
      let v = '';
      for (let n = Math.floor(rand() * 16); n > 0; n--) v += chars[Math.floor(rand() * chars.length)];
      set[`V${i}`] = v;
    }
    // Values come back in their one canonical spelling ($NAME, `$$` only where a `$` would not be literal).
    const canonical = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, canonicalEnvValue(v)]));
    expect(plain(parseEnvFile(serializeEnvFile(envFile(set)))).set).toEqual(canonical);
    expect(envFileMissing(parseEnvFile(serializeEnvFile(envFile(set))), envFile(set))).toEqual([]);
  });
});

describe('mergeEnvFile', () => {
  const base = envFile({ A: 'old', KEEP: 'k' }, { PATH: ['/p1'] });
  const want = envFile({ A: 'new', B: 'b' }, { PATH: ['/p2', '/p1'], PKG_CONFIG_PATH: ['/pc'] });

  it('replaces values, adds folders once, keeps the rest', () => {
    expect(plain(mergeEnvFile(base, want))).toEqual({
      set: { A: 'new', KEEP: 'k', B: 'b' },
      prepend: { PATH: ['/p1', '/p2'], PKG_CONFIG_PATH: ['/pc'] },
    });
  });

  it('is idempotent', () => {
    const once = mergeEnvFile(base, want);
    const twice = mergeEnvFile(once, want);
    expect(plain(twice)).toEqual(plain(once));
    expect(serializeEnvFile(twice)).toBe(serializeEnvFile(once));
    expect(serializeEnvFile(mergeEnvFile(parseEnvFile(serializeEnvFile(once)), want))).toBe(serializeEnvFile(once));
  });

  it('does not change its inputs', () => {
    const before = JSON.stringify([plain(base), plain(want)]);
    mergeEnvFile(base, want);
    expect(JSON.stringify([plain(base), plain(want)])).toBe(before);
  });

  it('leaves nothing missing afterwards', () => {
    expect(envFileMissing(mergeEnvFile(base, want), want)).toEqual([]);
  });
});

describe('envFileMissing', () => {
  it('says what is missing, one phrase each', () => {
    const have = envFile({ A: 'old', C: 'same' }, { PATH: ['/p1'] });
    const want = envFile({ A: 'new', B: 'b', C: 'same' }, { PATH: ['/p1', '/p2'], LD_LIBRARY_PATH: ['/l'] });
    expect(envFileMissing(have, want)).toEqual([
      'A is "old", wants "new"',
      'B is not set',
      '/p2 is not on PATH',
      '/l is not on LD_LIBRARY_PATH',
    ]);
  });

  it('is empty when everything holds, and an empty value counts as set', () => {
    expect(envFileMissing(envFile({ E: '' }, { PATH: ['/a', '/b'] }), envFile({ E: '' }, { PATH: ['/b'] }))).toEqual(
      [],
    );
    expect(envFileMissing(envFile(), envFile({ E: '' }))).toEqual(['E is not set']);
  });
});

describe('withRcBlock', () => {
  const file = '/home/u/.config/envkit/env.sh';
  const block = rcBlock(file);
  const user = '# ~/.bashrc\r\nexport EDITOR=vim   \n\talias ll="ls -l" # trailing spaces  \n中文注释\n';

  it('the block sources the env file when it exists', () => {
    expect(block).toBe(
      `${RC_BEGIN}\n# Added by envkit's \`setup\`: loads the environment its recipes manage.\nif [ -f ${file} ]; then . ${file}; fi\n${RC_END}\n`,
    );
    expect(rcBlock('/a b/env.sh')).toContain("if [ -f '/a b/env.sh' ]; then . '/a b/env.sh'; fi");
  });

  it('is just the block for a missing or empty rc file', () => {
    expect(withRcBlock(undefined, file)).toBe(block);
    expect(withRcBlock('', file)).toBe(block);
  });

  it('appends once after a blank line, keeping the user lines byte-for-byte', () => {
    expect(withRcBlock(user, file)).toBe(`${user}\n${block}`);
    expect(withRcBlock('no newline at end', file)).toBe(`no newline at end\n\n${block}`);
    const once = withRcBlock(user, file);
    expect(withRcBlock(once, file)).toBe(once);
    expect(once.split(RC_BEGIN)).toHaveLength(2);
  });

  it('replaces an existing block in place, leaving the lines around it untouched', () => {
    const before = 'export A=1\n';
    const after = 'alias x=y\n# end\n';
    const old = `${RC_BEGIN}\n. /old/env.sh\n${RC_END}\n`;
    expect(withRcBlock(before + old + after, file)).toBe(before + block + after);
    expect(withRcBlock(before + old.trimEnd(), file)).toBe(before + block);
  });

  it('keeps the user lines below an orphaned begin marker on every later run', () => {
    const orphan = `${RC_BEGIN}\n. /old/env.sh\nalias ll="ls -l"\n`;
    const once = withRcBlock(orphan, file);
    expect(once).toBe(`${orphan}\n${block}`);
    expect(withRcBlock(once, file)).toBe(once);
    expect(withRcBlock(once, '/other/env.sh')).toBe(`${orphan}\n${rcBlock('/other/env.sh')}`);
  });

  it('appends (once) when only an end marker is there', () => {
    const stray = `x\n${RC_END}\ny\n`;
    const once = withRcBlock(stray, file);
    expect(once).toBe(`${stray}\n${block}`);
    expect(withRcBlock(once, file)).toBe(once);
  });
});

describe('the env file in real shells', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-envfile-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const e = envFile(NASTY, { PATH: ['/opt/first/bin', '/opt/with space/bin'], LD_LIBRARY_PATH: ["/opt/it's/lib"] });
  const names = Object.keys(NASTY);

  /** Sources the env file twice (set -eu), then prints PATH, LD_LIBRARY_PATH and every value as a child process sees it. */
  function run(shell: string, sourceFrom: string): string[] {
    const script = `set -eu\n. '${sourceFrom}'\n. '${sourceFrom}'\nprintf '%s\\0' "$PATH" "\${LD_LIBRARY_PATH-unset}"\nexec env -0`;
    const out = execFileSync(shell, ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: tmp } });
    return out.split('\0');
  }

  it.each(['bash', 'sh'])(
    '%s: PATH is prepended once even when sourced twice; values are exported literally',
    (shell) => {
      const file = path.join(tmp, 'env.sh');
      fs.writeFileSync(file, serializeEnvFile(e));
      const [p, ld, ...envLines] = run(shell, file);
      expect(p).toBe('/opt/with space/bin:/opt/first/bin:/usr/bin:/bin');
      expect(ld).toBe("/opt/it's/lib");
      // `env -0` shows what a child process inherits: NAME=value, NUL-separated (values may hold newlines).
      const exported = new Map(
        envLines.filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      for (const n of names) expect(exported.get(n), n).toBe(NASTY[n]!.replace(/\$\$/g, '$'));
      expect(exported.has('EVIL')).toBe(false);
    },
  );

  it.each(['bash', 'sh'])(
    '%s: the rc block loads the env file, and a missing env file is no error (even under set -e)',
    (shell) => {
      const file = path.join(tmp, 'sub dir', 'env.sh');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, serializeEnvFile(e));
      const rc = path.join(tmp, `rc-${shell}`);
      fs.writeFileSync(rc, withRcBlock('export MINE=1\n', file));
      const [p] = run(shell, rc);
      expect(p).toBe('/opt/with space/bin:/opt/first/bin:/usr/bin:/bin');
      const missing = path.join(tmp, `rc-missing-${shell}`);
      fs.writeFileSync(missing, withRcBlock('export MINE=1\n', path.join(tmp, 'nope', 'env.sh')));
      expect(run(shell, missing)[0]).toBe('/usr/bin:/bin');
    },
  );
});
