import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * The env file as real shells load it: `$NAME`/`${NAME}` in an env value stay live (PATH keeps the system
 * folders, so `ls` still works in a new shell), `$$` and template values stay literal; and a zsh user gets
 * ~/.zshrc, whether or not they had one.
 */

const root = tempHome('envkit-env-shell-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const SECRET = 'pa$HOME-w0rd';
const recipes = writeRecipes(path.join(root, 'recipes'), {
  'local.yaml': [
    'name: local',
    'description: ~/.local/bin on PATH, as the notes say',
    'steps:',
    '  - name: local bin',
    '    env:',
    '      set:',
    '        PATH: "$HOME/.local/bin:$PATH"',
    '        TOOL_HOME: "${HOME}/tool"',
    '        PRICE: "costs $$5, not $1"',
    '        TOKEN: "{{ secrets.TOK }}"',
    'verify:',
    '  - env: TOOL_HOME',
    `    value: "${path.join(root, 'HOMEDIR', 'tool')}"`,
  ].join('\n'),
});

/** A fresh home. */
const home = (): string => fs.mkdtempSync(path.join(root, 'h-'));

/** What a new interactive bash (or sh loading ~/.bashrc) sees: PATH, TOOL_HOME, PRICE, TOKEN, and whether `ls` ran. */
function newShell(shell: 'bash' | 'sh', h: string): string[] {
  const body = `printf '%s\\n' "$PATH" "$TOOL_HOME" "$PRICE" "$TOKEN"; ls / >/dev/null && echo ls-ok`;
  const args = shell === 'bash' ? ['-ic', body] : ['-c', `. "$HOME/.bashrc"; ${body}`];
  const r = spawnSync(shell, args, {
    env: { HOME: h, PATH: '/usr/bin:/bin', TERM: 'dumb' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return r.stdout.split('\n');
}

describe('env values refer to variables as the shell does', () => {
  it('PATH="$HOME/.local/bin:$PATH" keeps the system folders in a new bash and sh: ls works', async () => {
    const h = home();
    const env = { TOK: SECRET, SHELL: '/bin/bash' };
    const before = await runCli(['--recipes', recipes, 'plan', 'local'], h, env);
    expect(before.stdout).toContain('env PATH=$HOME/.local/bin:$PATH, TOOL_HOME=$HOME/tool, PRICE=costs $5, not $1');
    const r = await runCli(['--recipes', recipes, 'run', 'local'], h, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = fs.readFileSync(path.join(h, '.config/envkit/env.sh'), 'utf8');
    expect(text).toContain('export PATH="${HOME-}/.local/bin:${PATH-}"');
    for (const shell of ['bash', 'sh'] as const) {
      const [p, tool, price, token, ls] = newShell(shell, h);
      expect(p, shell).toBe(`${h}/.local/bin:/usr/bin:/bin`);
      expect(tool, shell).toBe(`${h}/tool`);
      expect(price, shell).toBe('costs $5, not $1');
      expect(token, shell).toBe(SECRET); // a template's value is literal, its $HOME too
      expect(ls, shell).toBe('ls-ok');
    }
    const plan = await runCli(['--recipes', recipes, 'plan', 'local', '--exit-code'], h, env);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('--diff shows the file as written; doctor fills the references in from its own environment', async () => {
    const h = home();
    const env = { TOK: SECRET, SHELL: '/bin/bash' };
    const diff = await runCli(['--recipes', recipes, 'plan', 'local', '--diff'], h, env);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('+export PATH="${HOME-}/.local/bin:${PATH-}"');
    expect(diff.stdout).toContain('+export TOOL_HOME="${HOME-}/tool"');
    expect((await runCli(['--recipes', recipes, 'run', 'local'], h, env)).code).toBe(0);
    // The verify item wants <home>/tool; written here with HOMEDIR for the home, so point HOME there.
    const homedir = path.join(root, 'HOMEDIR');
    fs.rmSync(homedir, { recursive: true, force: true });
    fs.cpSync(h, homedir, { recursive: true });
    const doc = await runCli(['--recipes', recipes, 'doctor', 'local', '--check', 'verify'], homedir, env);
    expect(doc.stdout).toMatch(/\$TOOL_HOME +set in the envkit env file, but not in this shell/);
  });

  it('an env file an older version wrote ($ literal, single-quoted) is pending, then rewritten live', async () => {
    const h = home();
    const env = { TOK: SECRET, SHELL: '/bin/bash' };
    expect((await runCli(['--recipes', recipes, 'run', 'local'], h, env)).code).toBe(0);
    const file = path.join(h, '.config/envkit/env.sh');
    const old = fs.readFileSync(file, 'utf8').replace(/^export PATH=.*$/m, `export PATH='$HOME/.local/bin:$PATH'`);
    fs.writeFileSync(file, old);
    const plan = await runCli(['--recipes', recipes, 'plan', 'local'], h, env);
    expect(plan.stdout).toContain('will run: PATH is "$$HOME/.local/bin:$$PATH", wants "$HOME/.local/bin:$PATH"');
    expect((await runCli(['--recipes', recipes, 'run', 'local'], h, env)).code).toBe(0);
    expect(newShell('bash', h)[0]).toBe(`${h}/.local/bin:/usr/bin:/bin`);
  });

  it('a ${NAME:-x} or $(…) that stays literal is a warning of validate ($$ silences it)', async () => {
    const dir = writeRecipes(path.join(root, 'lint'), {
      'odd.yaml': 'name: odd\ndescription: d\nsteps:\n  - env: { set: { A: "${B:-/opt}/bin", C: "$$(ok)" } }\n',
    });
    const r = await runCli(['--recipes', dir, 'validate'], fs.mkdtempSync(path.join(root, 'h-')));
    expect(r.stderr + r.stdout).toContain('A: ${B:-/opt} is written literally: only $NAME and ${NAME} are filled in');
    expect(r.stderr + r.stdout).not.toContain('$(ok)');
  });
});

describe('a zsh user', () => {
  const zshUser = { TOK: SECRET, SHELL: '/usr/bin/zsh' };

  it('without ~/.zshrc: plan says so, run creates it with the block, doctor finds it loaded', async () => {
    const h = home();
    const plan = await runCli(['--recipes', recipes, 'plan', 'local'], h, zshUser);
    expect(plan.stdout).toContain('~/.zshrc does not load the env file');
    const r = await runCli(['--recipes', recipes, 'run', 'local'], h, zshUser);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(h, '.zshrc'), 'utf8')).toContain('# >>> envkit >>>');
    expect(fs.readFileSync(path.join(h, '.bashrc'), 'utf8')).toContain('# >>> envkit >>>');
    expect((await runCli(['--recipes', recipes, 'plan', 'local', '--exit-code'], h, zshUser)).code).toBe(0);
    const doc = await runCli(['doctor', '--check', 'env-file'], h, zshUser);
    expect(doc.stdout).toMatch(/env\.sh +loaded by ~\/\.zshrc/);
    // ~/.zshrc is plain sh here: sh loads it and keeps the system PATH.
    const sh = execFileSync('sh', ['-c', '. "$HOME/.zshrc"; printf %s "$PATH"'], {
      env: { HOME: h, PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    expect(sh).toBe(`${h}/.local/bin:/usr/bin:/bin`);
  });

  it('a bash user gets no ~/.zshrc; the exported script does as setup does for each', async () => {
    const h = home();
    const r = await runCli(['--recipes', recipes, 'run', 'local'], h, { TOK: SECRET, SHELL: '/bin/bash' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fs.existsSync(path.join(h, '.zshrc'))).toBe(false);

    const script = path.join(root, 'local.sh');
    const exp = await runCli(['--recipes', recipes, 'export', 'sh', 'local', '-o', script], h, zshUser);
    expect(exp.code, exp.stderr).toBe(0);
    for (const [shell, zshrc] of [
      ['/usr/bin/zsh', true],
      ['/bin/bash', false],
    ] as const) {
      const fresh = fs.mkdtempSync(path.join(root, 'x-'));
      // A plain secret: the script fills a secret into the env file as it is, unquoted (a known limit).
      const run = spawnSync('bash', [script], {
        env: { ...cliEnv(fresh), TOK: 'plain-token', SHELL: shell },
        cwd: fresh,
        encoding: 'utf8',
      });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(fs.existsSync(path.join(fresh, '.zshrc')), shell).toBe(zshrc);
      const [p, tool, , , ls] = newShell('bash', fresh);
      expect(p).toBe(`${fresh}/.local/bin:/usr/bin:/bin`);
      expect(tool).toBe(`${fresh}/tool`);
      expect(ls).toBe('ls-ok');
      const again = await runCli(['--recipes', recipes, 'plan', 'local', '--exit-code'], fresh, {
        TOK: 'plain-token',
        SHELL: shell,
      });
      expect(again.code, again.stdout).toBe(0);
    }
  });
});
