import { describe, expect, it } from 'vitest';
import { parsePipConfigList } from '../../src/steps/pip/own-index.js';

describe('parsePipConfigList', () => {
  it('reads the index options by pip install’s order: a variable, [install], [global]', () => {
    const out = [
      ":env:.find-links='/opt/wheels'",
      "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'",
      "global.index-url='https://global.example/simple'",
      "install.index-url='https://install.example/simple'",
      '',
    ].join('\n');
    expect(parsePipConfigList(out)).toEqual({
      indexUrl: 'https://install.example/simple',
      extra: ['file:///opt/pypi/simple', 'file:///opt/pypi-more/simple'],
    });
    expect(parsePipConfigList(`${out}:env:.index-url='file:///srv/simple'\n`).indexUrl).toBe('file:///srv/simple');
  });

  it('a value written on several lines in pip.conf (repr with \\n), and nothing configured', () => {
    expect(parsePipConfigList("global.extra-index-url='\\nhttp://a/simple\\nhttp://b/simple'\n").extra).toEqual([
      'http://a/simple',
      'http://b/simple',
    ]);
    expect(parsePipConfigList('')).toEqual({ indexUrl: undefined, extra: [] });
  });
});
