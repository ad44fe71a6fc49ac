import { describe, expect, it } from 'vitest';
import { selectChecks } from '../../src/doctor/checks.js';
import { shellRcFiles, sourcesFile } from '../../src/doctor/env-sourced.js';
import { rcBlock } from '../../src/steps/env-file.js';
import { EnvkitError } from '../../src/util/errors.js';

const HOME = '/home/ann';
const FILE = '/home/ann/.config/envkit/env.sh';

describe('sourcesFile: does an rc file load the env file?', () => {
  it.each([
    ['envkit’s own block', rcBlock(FILE)],
    ['an absolute path', `. ${FILE}`],
    ['source and ~', 'source ~/.config/envkit/env.sh'],
    ['$HOME in double quotes', '. "$HOME/.config/envkit/env.sh"'],
    ['${HOME} in single quotes', "source '${HOME}/.config/envkit/env.sh'"],
    ['after a test', '[ -f ~/.config/envkit/env.sh ] && . ~/.config/envkit/env.sh'],
    ['indented, in a block', 'if true; then\n  . ~/.config/envkit/env.sh\nfi'],
    ['XDG_CONFIG_HOME with its default', '. "${XDG_CONFIG_HOME:-$HOME/.config}/envkit/env.sh"'],
    [
      'XDG_CONFIG_HOME, := form, tested first',
      'f=x; [ -r "${XDG_CONFIG_HOME:=$HOME/.config}/envkit/env.sh" ] && . "${XDG_CONFIG_HOME:-${HOME}/.config}/envkit/env.sh"',
    ],
  ])('yes: %s', (_, text) => expect(sourcesFile(text, FILE, HOME)).toBe(true));

  it('XDG_CONFIG_HOME set: the line means that folder; fish: only through bass or fenv', () => {
    const line = '. "${XDG_CONFIG_HOME:-$HOME/.config}/envkit/env.sh"';
    expect(sourcesFile(line, FILE, HOME, { env: { XDG_CONFIG_HOME: '/srv/cfg' } })).toBe(false);
    expect(sourcesFile(line, '/srv/cfg/envkit/env.sh', HOME, { env: { XDG_CONFIG_HOME: '/srv/cfg' } })).toBe(true);
    expect(sourcesFile('. $XDG_CONFIG_HOME/envkit/env.sh', FILE, HOME)).toBe(false); // not set: no path
    expect(sourcesFile('source ~/.config/envkit/env.sh', FILE, HOME, { fish: true })).toBe(false);
    expect(sourcesFile('bass source ~/.config/envkit/env.sh', FILE, HOME, { fish: true })).toBe(true);
    expect(sourcesFile('fenv source $HOME/.config/envkit/env.sh', FILE, HOME, { fish: true })).toBe(true);
  });

  it.each([
    ['an empty file', ''],
    ['a comment', '# . ~/.config/envkit/env.sh'],
    ['only a test of it', '[ -f ~/.config/envkit/env.sh ]'],
    ['another file with the same start', '. ~/.config/envkit/env.sh.bak'],
    ['another user’s home', '. /home/bob/.config/envkit/env.sh'],
    ['a word that ends in a dot', 'echo hi. ~/.config/envkit/env.sh'],
  ])('no: %s', (_, text) => expect(sourcesFile(text, FILE, HOME)).toBe(false));
});

describe('shellRcFiles', () => {
  it('bash, zsh, and ~/.profile for other shells or none', () => {
    expect(shellRcFiles('/bin/bash', HOME)[0]).toBe('/home/ann/.bashrc');
    expect(shellRcFiles('/usr/bin/zsh', HOME)).toContain('/home/ann/.zshrc');
    expect(shellRcFiles('/bin/dash', HOME)).toEqual(['/home/ann/.profile']);
    expect(shellRcFiles(null, HOME)).toEqual(['/home/ann/.profile']);
    // fish never reads ~/.profile.
    expect(shellRcFiles('/usr/bin/fish', HOME)).toEqual([
      '/home/ann/.config/fish/conf.d/envkit.fish',
      '/home/ann/.config/fish/config.fish',
    ]);
  });
});

describe('selectChecks', () => {
  it('all by default; names and globs; an unknown name lists the names (exit 2)', () => {
    expect(selectChecks([]).size).toBe(7);
    expect([...selectChecks(['mirror-*', 'steps'])]).toEqual(['mirror-hosts', 'steps']);
    expect([...selectChecks(['?rift'])]).toEqual(['drift']);
    expect(() => selectChecks(['mirror'])).toThrow(
      /--check mirror: no doctor check is named so \(the checks: config, env-file, /,
    );
    expect(() => selectChecks(['x.y'])).toThrow(expect.objectContaining({ exitCode: 2 }) as EnvkitError);
  });
});
