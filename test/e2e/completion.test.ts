import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptInstallForTest, purgeApt } from '../helpers/apt.js';
import { BIN, ROOT, cliEnv, runCli, tempHome } from './helpers.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

// zsh and fish are not on a fresh Debian: installed for these tests where the host can (root, apt), removed after.
const installed = ['zsh', 'fish'].filter((s) => !has(s) && aptInstallForTest(s));
afterAll(() => installed.forEach(purgeApt));

/** A temp HOME with a `setup` on PATH (the completion scripts call `setup __complete …`) and one user recipe. */
function world() {
  const home = tempHome('envkit-completion-');
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'setup'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
    { mode: 0o755 },
  );
  const userRecipes = path.join(home, '.config', 'envkit', 'recipes');
  fs.mkdirSync(userRecipes, { recursive: true });
  fs.writeFileSync(path.join(userRecipes, 'pyside-tools.yaml'), 'name: pyside-tools\nsteps: []\n');
  const extra = path.join(home, 'extra');
  fs.mkdirSync(extra);
  fs.writeFileSync(path.join(extra, 'pyextra.yaml'), 'name: pyextra\nsteps: []\n');
  return { home, env: { ...cliEnv(home), PATH: `${bin}:${process.env.PATH}` }, extra };
}

const bundled = (dir: string): string[] =>
  fs
    .readdirSync(path.join(ROOT, 'recipes', dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();

describe('setup completion bash, sourced in real bash', () => {
  let w: ReturnType<typeof world>;
  let script: string;
  let fn: string;

  beforeAll(async () => {
    w = world();
    const r = await runCli(['completion', 'bash'], w.home);
    expect(r.code).toBe(0);
    script = path.join(w.home, 'setup.bash');
    fs.writeFileSync(script, r.stdout);
    // `complete -p setup` says which function completes `setup`.
    const spec = execFileSync('bash', ['-c', `source ${JSON.stringify(script)} && complete -p setup`], {
      env: w.env,
      encoding: 'utf8',
    });
    expect(spec.trim()).toMatch(/^complete -F \S+ setup$/);
    fn = /-F (\S+)/.exec(spec)![1]!;
  });

  /** What bash would offer for `line` (the cursor at its end): COMPREPLY after calling the completion function. */
  function complete(line: string): string[] {
    const words = line.split(' ');
    const program = [
      `source ${JSON.stringify(script)}`,
      `COMP_LINE=${JSON.stringify(line)}; COMP_POINT=${line.length}`,
      `COMP_WORDS=(${words.map((x) => JSON.stringify(x)).join(' ')}); COMP_CWORD=${words.length - 1}`,
      `${fn} setup ${JSON.stringify(words[words.length - 1])} ${JSON.stringify(words[words.length - 2] ?? '')}`,
      `printf '%s\\n' "\${COMPREPLY[@]}"`,
    ].join('\n');
    const out = execFileSync('bash', ['-c', program], { env: w.env, encoding: 'utf8' });
    return out.split('\n').filter(Boolean).sort();
  }

  it('completes the commands after `setup `, and not the hidden ones', () => {
    expect(complete('setup ')).toEqual([
      'bundle',
      'completion',
      'doctor',
      'export',
      'help',
      'import',
      'init',
      'list',
      'lock',
      'log',
      'plan',
      'run',
      'show',
      'validate',
    ]);
    expect(complete('setup p')).toEqual(['plan']);
    expect(complete('setup lo')).toEqual(['lock', 'log']);
    expect(complete('setup export ')).toEqual(['ansible', 'sh']);
    expect(complete('setup --mirror tuna r')).toEqual(['run']);
  });

  it("completes plan's own and the global options after `setup plan --`", () => {
    const opts = complete('setup plan --');
    expect(opts).toEqual(
      expect.arrayContaining([
        '--exit-code',
        '--graph',
        '--format',
        '--mirror',
        '--recipes',
        '--set',
        '--prefix',
        '--json',
        '--verbose',
        '--quiet',
        '--no-color',
        '--help',
      ]),
    );
    expect(opts).not.toContain('--no-state'); // list's
    expect(opts).not.toContain('--version');
    expect(complete('setup list --no')).toEqual(['--no-color', '--no-state']);
  });

  it('completes recipe names after `setup run py`: bundled, the user folder, and --recipes folders on the line', () => {
    const py = bundled('.').filter((n) => n.startsWith('py'));
    expect(py).toContain('python');
    expect(complete('setup run py')).toEqual([...py, 'pyside-tools'].sort());
    expect(complete(`setup --recipes ${w.extra} plan py`)).toEqual([...py, 'pyextra', 'pyside-tools'].sort());
    expect(complete('setup run pytorch python py')).toEqual([...py, 'pyside-tools'].sort());
  });

  it('completes mirror profile names after `--mirror t`', () => {
    const t = bundled('profiles').filter((n) => n.startsWith('t'));
    expect(t).toEqual(['tuna']);
    expect(complete('setup plan --mirror t')).toEqual(t);
    expect(complete('setup --mirror ')).toEqual(bundled('profiles'));
  });

  it('completes fixed values: shells, graph formats, and `help <command>`', () => {
    expect(complete('setup completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('setup plan --graph --format ')).toEqual(['dot', 'mermaid']);
    expect(complete('setup help v')).toEqual(['validate']);
  });

  it('`setup __complete` lists names only, one a line, fast enough to run on every TAB', async () => {
    const t0 = Date.now();
    const r = await runCli(['__complete', 'recipes'], w.home);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([...bundled('.'), 'pyside-tools'].sort());
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await runCli(['__complete', 'profiles'], w.home)).stdout.trim().split('\n')).toEqual(bundled('profiles'));
    expect((await runCli(['--help'], w.home)).stdout).not.toContain('__complete');
  });
});

describe.runIf(has('zsh'))('setup completion zsh', () => {
  it('loads into zsh with compinit and registers _setup for setup', async () => {
    const w = world();
    const r = await runCli(['completion', 'zsh'], w.home);
    const script = path.join(w.home, '_setup');
    fs.writeFileSync(script, r.stdout);
    expect(spawnSync('zsh', ['-n', script]).status).toBe(0);
    const out = execFileSync(
      'zsh',
      [
        '-fc',
        `autoload -U compinit && compinit -u -D && source ${JSON.stringify(script)} && print -r -- $_comps[setup]`,
      ],
      { env: w.env, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('_setup');
  });

  it('offers commands, options, recipes and profiles (zsh completion functions stubbed to print what they are given)', async () => {
    const w = world();
    const script = path.join(w.home, '_setup');
    fs.writeFileSync(script, (await runCli(['completion', 'zsh'], w.home)).stdout);
    const stubs = [
      'compdef() { : }',
      "_files() { print -r -- '<files>' }",
      'compadd() { if [[ $1 == -a ]]; then print -rl -- ${(P)2}; else print -rl -- "$@"; fi }',
      '_wanted() { shift 3; "$@" }',
      '_describe() { local -a items; items=(${(P)4}); print -rl -- ${items%%:*} }',
    ].join('\n');
    /** The candidates for `line` (the cursor at its end), filtered by the word's prefix as zsh would. */
    const ask = (line: string): string[] => {
      const words = line.split(' ');
      const program = `${stubs}\nsource ${JSON.stringify(script)}\nwords=(${words.map((x) => JSON.stringify(x)).join(' ')}); CURRENT=${words.length}\n_setup`;
      const prefix = words[words.length - 1]!;
      return execFileSync('zsh', ['-fc', program], { env: w.env, encoding: 'utf8' })
        .split('\n')
        .filter((x) => x && (x === '<files>' || x.startsWith(prefix)))
        .sort();
    };
    expect(ask('setup ')).toEqual([
      'bundle',
      'completion',
      'doctor',
      'export',
      'help',
      'import',
      'init',
      'list',
      'lock',
      'log',
      'plan',
      'run',
      'show',
      'validate',
    ]);
    expect(ask('setup plan --')).toEqual(expect.arrayContaining(['--exit-code', '--graph', '--mirror', '--json']));
    expect(ask('setup plan --')).not.toContain('--no-state');
    expect(ask('setup run py')).toEqual([...bundled('.').filter((n) => n.startsWith('py')), 'pyside-tools'].sort());
    expect(ask('setup plan --mirror t')).toEqual(['<files>', 'tuna']);
    expect(ask('setup plan --format ')).toEqual(['dot', 'mermaid']);
  });
});

describe.runIf(has('fish'))('setup completion fish', () => {
  it('is valid fish, and `complete -C` offers commands, recipes and profiles', async () => {
    const w = world();
    const r = await runCli(['completion', 'fish'], w.home);
    const script = path.join(w.home, 'setup.fish');
    fs.writeFileSync(script, r.stdout);
    expect(spawnSync('fish', ['-n', script]).status).toBe(0);
    const ask = (line: string): string[] =>
      execFileSync(
        'fish',
        ['--no-config', '-c', `source ${JSON.stringify(script)}; complete -C ${JSON.stringify(line)}`],
        { env: w.env, encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!)
        .sort();
    expect(ask('setup ')).toEqual(expect.arrayContaining(['list', 'plan', 'run', 'init', 'completion']));
    expect(ask('setup ')).not.toContain('__complete');
    expect(ask('setup run py')).toEqual(expect.arrayContaining(['python', 'pyside-tools']));
    expect(ask('setup plan --mirror t')).toContain('tuna');
    expect(ask('setup plan --ex')).toEqual(['--exit-code']);
  });
});
