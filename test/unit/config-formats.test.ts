import { describe, expect, it } from 'vitest';
import { decodeConfig, encodeConfig, entriesIn, pathIn, valueOut } from '../../src/steps/config/encoding.js';
import { canonicalKey, parseGitConfigList, quoteGitValue } from '../../src/steps/config/gitconfig.js';
import { ini } from '../../src/steps/config/ini.js';
import { json } from '../../src/steps/config/json.js';
import { sameValue } from '../../src/steps/config/types.js';
import { yamlFormat } from '../../src/steps/config/yaml.js';

const PIP = `# my pip config — keep this comment
[global]
timeout = 60   
index-url = https://pypi.org/simple
extra-index-url =
    https://a.example/simple
    https://b.example/simple

; another comment
[install]
no-cache-dir = true
`;

describe('ini (pip.conf)', () => {
  it('reads scalars and continuation lists', () => {
    expect(ini.get(PIP, ['global', 'index-url'])).toBe('https://pypi.org/simple');
    expect(ini.get(PIP, ['global', 'extra-index-url'])).toEqual([
      'https://a.example/simple',
      'https://b.example/simple',
    ]);
    expect(ini.get(PIP, ['install', 'no-cache-dir'])).toBe('true');
    expect(ini.get(PIP, ['global', 'nope'])).toBeUndefined();
    expect(ini.get(PIP, ['nosection', 'x'])).toBeUndefined();
  });

  it('replaces a value in place and keeps every other line byte-for-byte', () => {
    const out = ini.set(PIP, [{ path: ['global', 'index-url'], value: 'https://mirror/simple' }]);
    expect(out).toBe(PIP.replace('index-url = https://pypi.org/simple', 'index-url = https://mirror/simple'));
  });

  it('replaces a continuation list whole, adds keys to their section and new sections at the end', () => {
    const out = ini.set(PIP, [
      { path: ['global', 'extra-index-url'], value: ['https://c.example/simple'] },
      { path: ['global', 'trusted-host'], value: 'mirror' },
      { path: ['freeze', 'timeout'], value: 10 },
    ]);
    expect(out).toContain(
      'extra-index-url =\n    https://c.example/simple\ntrusted-host = mirror\n\n; another comment',
    );
    expect(out).not.toContain('a.example');
    expect(out.endsWith('[install]\nno-cache-dir = true\n\n[freeze]\ntimeout = 10\n')).toBe(true);
    expect(ini.get(out, ['freeze', 'timeout'])).toBe('10');
    expect(out.startsWith('# my pip config — keep this comment\n[global]\ntimeout = 60   \n')).toBe(true);
  });

  it('creates a file from nothing, and setting again changes nothing', () => {
    const once = ini.set('', [{ path: ['global', 'index-url'], value: 'https://m/simple' }]);
    expect(once).toBe('[global]\nindex-url = https://m/simple\n');
    expect(ini.set(once, [{ path: ['global', 'index-url'], value: 'https://m/simple' }])).toBe(once);
  });
});

const CONDARC = `# conda settings
channels:
  - defaults   # the main one
auto_activate_base: false
custom_channels:
  bioconda: https://old.example/cloud
`;

describe('yaml (.condarc)', () => {
  it('sets nested keys and lists, keeping comments and other keys', () => {
    const out = yamlFormat.set(CONDARC, [
      { path: ['show_channel_urls'], value: true },
      { path: ['custom_channels', 'conda-forge'], value: 'https://m/cloud' },
      { path: ['default_channels'], value: ['https://m/main', 'https://m/r'] },
    ]);
    expect(out).toContain('# conda settings');
    expect(out).toContain('  - defaults   # the main one\n'); // untouched lines stay byte-for-byte
    expect(out).toContain('auto_activate_base: false');
    expect(yamlFormat.get(out, ['custom_channels', 'bioconda'])).toBe('https://old.example/cloud');
    expect(yamlFormat.get(out, ['custom_channels', 'conda-forge'])).toBe('https://m/cloud');
    expect(yamlFormat.get(out, ['default_channels'])).toEqual(['https://m/main', 'https://m/r']);
    expect(yamlFormat.get(out, ['show_channel_urls'])).toBe(true);
  });

  it('refuses to edit a file that is not YAML rather than clobber it', () => {
    expect(() => yamlFormat.set('a: [unclosed\n', [{ path: ['x'], value: 1 }])).toThrow(/not valid YAML/);
  });
});

describe('json', () => {
  it('merges keys and keeps the indentation', () => {
    const text = '{\n    "a": 1,\n    "nested": { "keep": true }\n}\n';
    const out = json.set(text, [{ path: ['nested', 'new'], value: 'x' }]);
    expect(JSON.parse(out)).toEqual({ a: 1, nested: { keep: true, new: 'x' } });
    expect(out).toContain('\n    "a": 1');
    expect(json.get(out, ['nested', 'new'])).toBe('x');
    expect(() => json.set('[1,2]', [])).toThrow(/not a JSON object/);
  });
});

// Values JavaScript cannot hold or would write otherwise: untouched, they must stay as written.
const ODD_JSON = '{\n  "big": 12345678901234567890,\n  "f": 1.0,\n  "e": 1e400,\n  "s":"a",  "o": {"x": 1}\n}\n';
const ODD_YAML =
  "# odd values\nmode: 0755\nbig: 12345678901234567890\nf: 1.0\ne: 1e400\nq: 'single'\nz:   1 # mine\nlist:\n    - a   # first\n";

describe('json and yaml edits change only the keys they set', () => {
  it('json: big integers, 1.0, 1e400, spacing and key order stay byte-for-byte', () => {
    const out = json.set(ODD_JSON, [
      { path: ['s'], value: 'b' },
      { path: ['o', 'y'], value: [1, 2] },
      { path: ['new'], value: true },
    ]);
    expect(out).toBe(
      '{\n  "big": 12345678901234567890,\n  "f": 1.0,\n  "e": 1e400,\n  "s":"b",  "o": {"x": 1, "y": [1,2]},\n  "new": true\n}\n',
    );
    expect(json.set(out, [{ path: ['new'], value: null }])).toBe(
      '{\n  "big": 12345678901234567890,\n  "f": 1.0,\n  "e": 1e400,\n  "s":"b",  "o": {"x": 1, "y": [1,2]}\n}\n',
    );
    expect(json.set('', [{ path: ['a', 'b'], value: 1 }])).toBe('{\n  "a": {\n    "b": 1\n  }\n}\n');
  });

  it('json: a comment or a trailing comma is refused with its line, column and a hint', () => {
    expect(() => json.set('{\n  // mine\n  "a": 1\n}\n', [])).toThrow(
      /^2:3: a comment: JSON with comments is not supported$/,
    );
    expect(() => json.get('{\n  "a": 1,\n}\n', ['a'])).toThrow(/^2:9: a trailing comma before "}"$/);
    expect(() => json.get('{\n  "a": 1,\n}\n', ['a'])).toThrow(
      expect.objectContaining({ hint: expect.stringMatching(/remove the comma/) }),
    );
  });

  it('yaml: 0755, big integers, 1.0, 1e400, quoting, comments and key order stay byte-for-byte', () => {
    const out = yamlFormat.set(ODD_YAML, [
      { path: ['z'], value: 2 },
      { path: ['new'], value: '0644' },
      { path: ['sub', 'k'], value: 'true' },
    ]);
    expect(out).toBe(ODD_YAML.replace('z:   1 # mine', 'z: 2 # mine') + 'new: "0644"\nsub:\n  k: "true"\n');
    expect(yamlFormat.get(out, ['new'])).toBe('0644');
    expect(yamlFormat.set(out, [{ path: ['z'], value: null }])).toBe(out.replace('z: 2 # mine\n', ''));
  });
});

describe('files that are not UTF-8', () => {
  const LATIN1 = Buffer.from('# caf\xe9\n[global]\nname = Ren\xe9\n', 'latin1');

  it('ini: bytes outside the edited keys are written back exactly; values go in and come out as UTF-8', () => {
    const { text, latin1 } = decodeConfig(LATIN1, 'ini', 'pip.conf');
    expect(latin1).toBe(true);
    const out = encodeConfig(ini.set(text, entriesIn([{ path: ['global', 'x'], value: 'é' }], true)), latin1);
    expect(out).toEqual(Buffer.concat([LATIN1, Buffer.from('x = é\n', 'utf8')]));
    const back = decodeConfig(out, 'ini', 'pip.conf').text;
    expect(valueOut(ini.get(back, pathIn(['global', 'x'], true)), true)).toBe('é');
  });

  it('json and yaml: refused with the line, never rewritten', () => {
    expect(() => decodeConfig(LATIN1, 'json', 'a.json')).toThrow(/^a\.json:1: holds bytes that are not UTF-8/);
    expect(decodeConfig(Buffer.from('a: é\n'), 'yaml', 'a.yaml')).toEqual({ text: 'a: é\n', latin1: false });
  });

  it('gitconfig: a value quoted as git reads it back', () => {
    expect(quoteGitValue('a"b\\c\td')).toBe('"a\\"b\\\\c\\td"');
  });
});

describe('gitconfig helpers', () => {
  it('canonical keys lowercase section and key, not the subsection', () => {
    expect(canonicalKey('URL.https://Mirror/.insteadOf')).toBe('url.https://Mirror/.insteadof');
    expect(canonicalKey('user.Name')).toBe('user.name');
  });
  it('parses git config --list --null', () => {
    const m = parseGitConfigList(
      'user.name\nMe\0url.https://m/.insteadof\nhttps://github.com/\0url.https://m/.insteadof\ngit@github.com:\0core.bare\0',
    );
    expect(m.get('user.name')).toEqual(['Me']);
    expect(m.get('url.https://m/.insteadof')).toEqual(['https://github.com/', 'git@github.com:']);
    expect(m.get('core.bare')).toEqual(['true']);
  });
  it('compares loosely on types, strictly on lists', () => {
    expect(sameValue('true', true)).toBe(true);
    expect(sameValue('60', 60)).toBe(true);
    expect(sameValue(['a'], ['a', 'b'])).toBe(false);
    expect(sameValue('a', ['a'])).toBe(false);
  });
});

describe('removing keys (null, or a value that renders empty)', () => {
  it('ini drops the key and its continuation lines, leaving the rest', () => {
    const out = ini.set(PIP, [
      { path: ['global', 'extra-index-url'], value: null },
      { path: ['global', 'absent'], value: null },
    ]);
    expect(out).toBe(
      PIP.replace('extra-index-url =\n    https://a.example/simple\n    https://b.example/simple\n', ''),
    );
    expect(sameValue(ini.get(out, ['global', 'extra-index-url']), null)).toBe(true);
  });
  it('yaml and json delete the key', () => {
    expect(
      yamlFormat.get(yamlFormat.set(CONDARC, [{ path: ['custom_channels', 'bioconda'], value: null }]), [
        'custom_channels',
        'bioconda',
      ]),
    ).toBeUndefined();
    expect(
      JSON.parse(
        json.set('{"a":{"b":1,"c":2}}', [
          { path: ['a', 'b'], value: null },
          { path: ['x', 'y'], value: null },
        ]),
      ),
    ).toEqual({ a: { c: 2 } });
  });
});
