import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/catalog/load.js';
import { resolveRecipe } from '../../src/catalog/resolve.js';
import { renderSh } from '../../src/export/sh.js';
import { Memo } from '../../src/util/memo.js';
import type { Paths } from '../../src/util/paths.js';
import type { StepEnv } from '../../src/steps/types.js';
import type { Profile } from '../../src/lang/schema.js';
import { jsonSecretMarker, markedSecrets, secretMarker, shWord } from '../../src/util/sh-word.js';
import { PRELUDE } from '../../src/export/sh-prelude.js';
import fc from 'fast-check';

const HOME = '/home/exporter';

/** What bash makes of a word, with HOME and the environment given. */
const readBack = (word: string, env: Record<string, string> = {}): string =>
  execFileSync('bash', ['-c', `printf '%s' ${word}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/nonexistent', ...env },
  });

describe('shWord: one bash word for any value', () => {
  const values = [
    '',
    'plain',
    "it's",
    'a "double" and $dollar `tick` \\back',
    'new\nline',
    'tab\tand\x01control\x7f',
    '$(touch /tmp/pwned)',
    '--option=1',
    '~/not-expanded',
  ];
  it('reads back as exactly the value', () => {
    for (const v of values) expect(readBack(shWord(v))).toBe(v);
  });
  it('writes the exporting home folder as $HOME, only where a path starts with it', () => {
    const w = shWord(`${HOME}/bin:${HOME}:/x${HOME}/y:${HOME}x`, HOME);
    expect(w).not.toContain(HOME + '/bin');
    expect(readBack(w, { HOME: '/home/other' })).toBe(`/home/other/bin:/home/other:/x${HOME}/y:${HOME}x`);
  });
  it('turns a secret marker into a reference to the environment, never its value', () => {
    const w = shWord(`token=${secretMarker('API_TOKEN')}; it's`, HOME);
    expect(w).toBe(`token="\${API_TOKEN}"'; it'\\''s'`);
    expect(readBack(w, { API_TOKEN: 'a $secret' })).toBe("token=a $secret; it's");
    expect(markedSecrets(`${secretMarker('A')} ${secretMarker('B')} ${secretMarker('A')}`)).toEqual(['A', 'B']);
  });
  it('keeps the script plain text: control characters are escaped', () => {
    expect(shWord('a\x1b[31mb')).toBe("$'a\\x1b[31mb'");
  });
});

describe('_jsq: a secret as the inside of a JSON string, where the script runs', () => {
  // Every control character, quotes, backslashes, shell and glob syntax, `&` (bash 5.2 patsub_replacement), wide characters.
  const alphabet = [
    ...Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)),
    ...[...'"\\\'$`&*?[]{}% a\x7fé中😀'], // whole code points: a lone surrogate is no text a shell holds
  ];
  const secret = fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }).map((cs) => cs.join(''));

  it('escapes exactly as JSON.stringify does, in one bash for all cases', () => {
    const cases = fc.sample(secret, 400).concat(alphabet);
    // One bash: each case from its own variable, its result NUL-terminated.
    const env = Object.fromEntries(cases.map((c, i) => [`S${i}`, c]));
    const out = execFileSync(
      'bash',
      ['-c', `${PRELUDE}\nfor i in $(seq 0 ${cases.length - 1}); do v=S$i; _jsq "\${!v}"; printf '\\0'; done`],
      { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } },
    );
    expect(out.split('\0').slice(0, -1)).toEqual(cases.map((c) => JSON.stringify(c).slice(1, -1)));
  });
  it('is what a JSON marker becomes in a word', () => {
    const w = shWord(`{"t": "${jsonSecretMarker('TOKEN')}"}`);
    expect(w).toBe(`'{"t": "'"$(_jsq "\${TOKEN}")"'"}'`);
  });
});

const paths: Paths = {
  home: HOME,
  config: `${HOME}/.config/envkit`,
  configFile: `${HOME}/.config/envkit/config.yaml`,
  userRecipes: `${HOME}/.config/envkit/recipes`,
  envFile: `${HOME}/.config/envkit/env.sh`,
  state: `${HOME}/.local/state/envkit`,
  logs: `${HOME}/.local/state/envkit/logs`,
  journal: `${HOME}/.local/state/envkit/journal.jsonl`,
  inputs: `${HOME}/.local/state/envkit/inputs.json`,
  backups: `${HOME}/.local/state/envkit/backups`,
  src: `${HOME}/.local/state/envkit/src`,
  lock: `${HOME}/.local/state/envkit/run.lock`,
  cache: `${HOME}/.cache/envkit`,
  bundledRecipes: '/nowhere',
};

function render(
  yaml: string,
  profile: Profile = { name: 'default' } as Profile,
  scriptFacts: Record<string, string> = { distro: 'debian', arch: 'x86_64' },
  extraFacts: Record<string, string | boolean> = {},
) {
  const { recipe, problems } = parseRecipe('/virtual/r.yaml', Buffer.from(yaml));
  expect(problems).toEqual([]);
  const facts = {
    os: 'linux',
    distro: 'debian',
    distro_version: '12',
    arch: 'x86_64',
    pkg_manager: 'apt',
    ...extraFacts,
  };
  const resolved = resolveRecipe(recipe!, {
    facts,
    dirs: { home: HOME, src: paths.src, cache: paths.cache, state: paths.state, config: paths.config },
    prefix: `${HOME}/.local`,
    mirror: {},
    overrides: { global: new Map(), perRecipe: new Map() },
    secret: (name: string) => secretMarker(name),
  });
  const env = {
    paths,
    prefix: `${HOME}/.local`,
    profile,
    processEnv: {},
    memo: new Memo(),
    cpus: 4,
  } as unknown as StepEnv;
  return renderSh({ names: ['r'], recipes: [resolved], env, facts }, scriptFacts);
}

const EVERY_KIND = `name: r
description: every kind
vars:
  word: "it's $HOME"
steps:
  - run: echo "{{ word }}" > ~/out.txt
    creates: ~/out.txt
    env: { TOKEN: "{{ secrets.API_TOKEN }}" }
  - file: { path: ~/f.txt, content: "{{ word }}\\n", mode: "0600" }
  - env: { path: ["{{ prefix }}/bin"], set: { A: "{{ word }}" } }
  - config: { path: ~/.config/pip/pip.conf, set: { global.timeout: 60 } }
  - config: { path: ~/.gitconfig, set: { user.name: N } }
  - packages: [hello]
  - cmake: { source: ~/src/x, build: ~/src/x/build }
  - make: { dir: ~/src/x, targets: [all] }
    creates: ~/src/x/a.out
  - git: { repo: "https://github.com/o/r.git", ref: v1, dest: ~/src/r, submodules: true }
  - venv: { path: ~/venvs/v }
  - pip: { venv: ~/venvs/v, packages: ["demo==1.0"] }
  - download: { url: "https://example.com/t.sh", sha256: "${'a'.repeat(64)}", dest: ~/bin/t, mode: "0755" }
  - name: skipped here
    run: "true"
    when: { os: darwin }
`;

describe('renderSh: the recipes as one bash script', () => {
  it('says which facts decided it that the script does not check, and the prefix it installs into', () => {
    const sh = render(EVERY_KIND, undefined, undefined, { gpu: false, cmake: '3.25.1' });
    expect(sh.limits).toContainEqual({ text: expect.stringContaining('gpu=false, cmake=3.25.1'), steps: [] });
    expect(sh.text).toMatch(/^# {3}- decided with this machine's gpu=false, cmake=3\.25\.1 .*does not check/m);
    expect(sh.text).toContain('Prefix: "${HOME}"/.local (--prefix;');
    // Only the facts it checks: nothing more to say.
    expect(
      render(EVERY_KIND)
        .limits.map((l) => l.text)
        .join('\n'),
    ).not.toContain('decided with');
  });

  it('writes every kind, checked as plan checks it, and bash reads the script', () => {
    const sh = render(EVERY_KIND);
    expect(sh.problems).toEqual([]);
    expect(sh.steps.map((s) => s.kind)).toEqual([
      'run',
      'file',
      'env',
      'config',
      'config',
      'packages',
      'cmake',
      'make',
      'git',
      'venv',
      'pip',
      'download',
    ]);
    expect(sh.steps.every((s) => s.check)).toBe(true);
    expect(sh.skipped).toEqual([{ id: 'r#13', name: 'skipped here', why: expect.stringContaining('darwin') }]);
    expect(sh.secrets).toEqual(['API_TOKEN']);
    expect(spawnSync('bash', ['-n'], { input: sh.text }).status).toBe(0);
    expect(sh.text).not.toContain(HOME);
    expect(sh.text).toContain('# Secrets, read from the environment (never written here): API_TOKEN');
    expect(sh.text).toContain('dpkg-query');
    expect(sh.text).toContain('sha256sum');
  });

  it('passes template values to a shell command as assignments, never as script text', () => {
    const sh = render(EVERY_KIND);
    const step1 = sh.text.slice(sh.text.indexOf("_step 'r#1'"), sh.text.indexOf("_step 'r#2'"));
    // The value sits in an assignment in front of bash -c; the script text refers to it.
    expect(step1).toMatch(/envkit_\w+=.*bash -e -o pipefail -c .*echo "\$\{envkit_\w+\}"/s);
  });

  it('refuses what it cannot export, located at the step', () => {
    const sh = render(`name: r
description: x
steps:
  - download: { url: "https://example.com/t.sh", dest: ~/t, insecure: true }
`);
    expect(sh.problems).toEqual([
      expect.objectContaining({ message: expect.stringContaining('r#1 download: cannot be exported to sh') }),
    ]);
  });

  it('applies the mirror profile when exporting', () => {
    const sh = render(
      `name: r
description: x
steps:
  - git: { repo: "https://github.com/o/r.git", ref: v1, dest: ~/src/r }
`,
      { name: 'm', git: { rewrite: { 'https://github.com/': 'https://mirror.example/gh/' } } } as unknown as Profile,
    );
    expect(sh.text).toContain('url.https://mirror.example/gh/.insteadOf=https://github.com/');
  });

  it('stops before any step on another kind of machine than it was written for', () => {
    const sh = render(EVERY_KIND, undefined, { distro: 'plan9' });
    expect(sh.text).toContain('# Written for: distro=plan9');
    const r = spawnSync('bash', ['-s'], {
      input: sh.text,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: '/nonexistent' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('setup: this script was written for distro plan9');
    expect(r.stdout).toBe('');
  });

  it('judges a step with `unless` alone by it, and does not check it again after it runs', () => {
    const sh = render(`name: r
description: x
steps:
  - run: "true"
    unless: test -e /
`);
    expect(sh.steps[0]!.check).toBe(true);
    expect(sh.text).toMatch(
      /_step 'r#1' run 0 0 0 0 \\\n {2}'if \( cd "\$HOME" && bash -e -o pipefail -c '\\''test -e \/'\\'' \); then exit 0; fi\nexit 1'/,
    );
  });
});
