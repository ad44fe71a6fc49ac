import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * A new file that holds a secret is created 0600 by `file`, `config` and `env` steps (an existing file keeps
 * its mode); a `file` step writes through a symlink (the link kept) and refuses a dangling one with one line.
 */

const root = tempHome('envkit-file-secrets-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TOKEN = 'tok-9f8e7d6c-secret';
const recipes = writeRecipes(path.join(root, 'recipes'), {
  'secret.yaml': [
    'name: secret',
    'description: a secret into new and existing files',
    'steps:',
    '  - file: { path: ~/new.conf, content: "token={{ secrets.TOK }}\\n" }',
    '  - file: { path: ~/old.conf, content: "token={{ secrets.TOK }}\\n" }',
    '  - file: { path: ~/plain.conf, content: "no secret\\n" }',
    '  - config: { path: ~/app.ini, format: ini, set: { auth.token: "{{ secrets.TOK }}" } }',
    '  - env: { set: { API_TOKEN: "{{ secrets.TOK }}" } }',
  ].join('\n'),
  'links.yaml': [
    'name: links',
    'description: a file step onto symlinks',
    'steps:',
    '  - name: through the link',
    '    file: { path: ~/linked.conf, content: "new\\n" }',
    '  - name: dangling',
    '    file: { path: ~/dangling.conf, content: "new\\n" }',
  ].join('\n'),
});

const mode = (f: string): string => (fs.statSync(f).mode & 0o777).toString(8);
const env = { TOK: TOKEN, SHELL: '/bin/bash' };

describe('a secret in a new file', () => {
  it('file, config and env create it 0600; an existing file keeps its mode', async () => {
    const h = fs.mkdtempSync(path.join(root, 'h-'));
    fs.writeFileSync(path.join(h, 'old.conf'), 'before\n', { mode: 0o640 });
    fs.chmodSync(path.join(h, 'old.conf'), 0o640);
    const diff = await runCli(['--recipes', recipes, 'plan', 'secret', '--diff'], h, env);
    expect(diff.stdout).toMatch(/\+\+\+ ~\/new\.conf\n\s*│?\s*new file mode 0600/);
    const r = await runCli(['--recipes', recipes, 'run', 'secret'], h, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(h, 'new.conf'), 'utf8')).toBe(`token=${TOKEN}\n`);
    expect(mode(path.join(h, 'new.conf'))).toBe('600');
    expect(mode(path.join(h, 'old.conf'))).toBe('640');
    expect(mode(path.join(h, 'plain.conf'))).toBe((0o666 & ~process.umask()).toString(8));
    expect(mode(path.join(h, 'app.ini'))).toBe('600');
    expect(mode(path.join(h, '.config/envkit/env.sh'))).toBe('600');
    expect((await runCli(['--recipes', recipes, 'plan', 'secret', '--exit-code'], h, env)).code).toBe(0);
  });

  it('the exported script does the same', async () => {
    const h = fs.mkdtempSync(path.join(root, 'h-'));
    const script = path.join(root, 'secret.sh');
    const exp = await runCli(['--recipes', recipes, 'export', 'sh', 'secret', '-o', script], h, env);
    expect(exp.code, exp.stderr).toBe(0);
    fs.writeFileSync(path.join(h, 'old.conf'), 'before\n');
    fs.chmodSync(path.join(h, 'old.conf'), 0o640);
    const run = spawnSync('bash', [script], { env: { ...cliEnv(h), ...env }, cwd: h, encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    for (const f of ['new.conf', 'app.ini', '.config/envkit/env.sh']) expect(mode(path.join(h, f)), f).toBe('600');
    expect(mode(path.join(h, 'old.conf'))).toBe('640');
  });
});

describe('a file step onto a symlink', () => {
  it('writes through a link to an existing file, keeping the link; refuses a dangling link, saying how to fix', async () => {
    const h = fs.mkdtempSync(path.join(root, 'h-'));
    fs.mkdirSync(path.join(h, 'dotfiles'));
    fs.writeFileSync(path.join(h, 'dotfiles/linked.conf'), 'old\n');
    fs.symlinkSync('dotfiles/linked.conf', path.join(h, 'linked.conf'));
    fs.symlinkSync('dotfiles/gone.conf', path.join(h, 'dangling.conf'));

    const plan = await runCli(['--recipes', recipes, 'plan', 'links'], h, env);
    expect(plan.stdout).toContain('will run: ~/linked.conf has other content');
    expect(plan.stdout).toContain(
      'will run: ~/dangling.conf is a symlink to dotfiles/gone.conf, which does not exist (setup will not replace the link: create its target or remove it)',
    );
    const r = await runCli(['--recipes', recipes, 'run', 'links'], h, env);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      `dangling failed: ${h}/dangling.conf: a symlink to dotfiles/gone.conf, which does not exist: setup will not replace the link with a file`,
    );
    expect(r.stdout + r.stderr).toContain('hint:    create the file the link points to, or remove the link');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(fs.lstatSync(path.join(h, 'linked.conf')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(h, 'dotfiles/linked.conf'), 'utf8')).toBe('new\n');
    expect(fs.lstatSync(path.join(h, 'dangling.conf')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(h, 'dotfiles/gone.conf'))).toBe(false);

    // Once the target is there, the link is written through too.
    fs.writeFileSync(path.join(h, 'dotfiles/gone.conf'), '');
    expect((await runCli(['--recipes', recipes, 'run', 'links'], h, env)).code).toBe(0);
    expect(fs.lstatSync(path.join(h, 'dangling.conf')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(h, 'dotfiles/gone.conf'), 'utf8')).toBe('new\n');
  });

  it('the exported script writes through a link and refuses a dangling one too', async () => {
    const h = fs.mkdtempSync(path.join(root, 'h-'));
    const script = path.join(root, 'links.sh');
    expect((await runCli(['--recipes', recipes, 'export', 'sh', 'links', '-o', script], h, env)).code).toBe(0);
    fs.mkdirSync(path.join(h, 'dotfiles'));
    fs.writeFileSync(path.join(h, 'dotfiles/linked.conf'), 'old\n');
    fs.symlinkSync('dotfiles/linked.conf', path.join(h, 'linked.conf'));
    fs.symlinkSync('dotfiles/gone.conf', path.join(h, 'dangling.conf'));
    const run = spawnSync('bash', [script], { env: { ...cliEnv(h), ...env }, cwd: h, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${h}/dangling.conf: a symlink to dotfiles/gone.conf, which does not exist`);
    expect(fs.lstatSync(path.join(h, 'linked.conf')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(h, 'dotfiles/linked.conf'), 'utf8')).toBe('new\n');
    expect(fs.lstatSync(path.join(h, 'dangling.conf')).isSymbolicLink()).toBe(true);
  });
});
