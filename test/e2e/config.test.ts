import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempHome } from './helpers.js';

const RECIPES = path.join(ROOT, 'test', 'fixtures', 'e2e');

describe("config steps merge into the user's files", () => {
  it('keeps comments and other keys, backs up originals once, converges', async () => {
    const home = tempHome();
    const pip = path.join(home, '.config', 'pip', 'pip.conf');
    fs.mkdirSync(path.dirname(pip), { recursive: true });
    const pipOriginal = '# mine: do not lose me\n[global]\ntimeout = 60\nindex-url = https://pypi.org/simple\n';
    fs.writeFileSync(pip, pipOriginal, { mode: 0o640 });
    fs.writeFileSync(path.join(home, '.condarc'), '# my conda\nauto_activate_base: false\n');
    fs.writeFileSync(path.join(home, '.gitconfig'), '# my git\n[user]\n\tname = Me\n\temail = me@example.com\n');
    const profile = path.join(home, 'mirror.yaml');
    fs.writeFileSync(
      profile,
      'name: local\npip: { index-url: "http://127.0.0.1:9/simple", trusted-host: "127.0.0.1" }\n',
    );
    const args = ['--recipes', RECIPES, '--mirror', profile];

    const plan = await runCli([...args, 'plan', 'mirrors', '--exit-code'], home);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain('global.index-url is "https://pypi.org/simple", wants "http://127.0.0.1:9/simple"');

    const run = await runCli([...args, 'run', 'mirrors'], home);
    expect(run.code, run.stderr).toBe(0);

    const pipText = fs.readFileSync(pip, 'utf8');
    expect(pipText).toBe(
      '# mine: do not lose me\n[global]\ntimeout = 60\nindex-url = http://127.0.0.1:9/simple\ntrusted-host = 127.0.0.1\n',
    );
    expect(fs.statSync(pip).mode & 0o777).toBe(0o640);
    const backup = path.join(home, '.local', 'state', 'envkit', 'backups', pip);
    expect(fs.readFileSync(backup, 'utf8')).toBe(pipOriginal);

    const condarc = fs.readFileSync(path.join(home, '.condarc'), 'utf8');
    expect(condarc).toContain('# my conda');
    expect(condarc).toContain('auto_activate_base: false');
    expect(condarc).toMatch(/channels:\n\s*- defaults/);
    expect(condarc).toContain('conda-forge: https://mirror.example/anaconda/cloud');

    const git = (...a: string[]): string =>
      execFileSync('git', ['config', '--file', path.join(home, '.gitconfig'), ...a], { encoding: 'utf8' }).trim();
    expect(git('user.name')).toBe('Me');
    expect(git('--get-all', 'url.https://mirror.example/github.com/.insteadOf').split('\n')).toEqual([
      'https://github.com/',
      'git@github.com:',
    ]);
    expect(fs.readFileSync(path.join(home, '.gitconfig'), 'utf8')).toContain('# my git');
    expect(JSON.parse(fs.readFileSync(path.join(home, '.config', 'tool', 'settings.json'), 'utf8'))).toEqual({
      editor: { fontSize: 14 },
    });

    const after = await runCli([...args, 'plan', 'mirrors', '--exit-code'], home);
    expect(after.code, after.stdout).toBe(0);

    // A second change keeps the first backup (the user's original), not the tool's own output.
    const other = path.join(home, 'other.yaml');
    fs.writeFileSync(
      other,
      'name: other\npip: { index-url: "http://127.0.0.1:10/simple", trusted-host: "127.0.0.1" }\n',
    );
    expect((await runCli(['--recipes', RECIPES, '--mirror', other, 'run', 'mirrors'], home)).code).toBe(0);
    expect(fs.readFileSync(backup, 'utf8')).toBe(pipOriginal);

    // A profile without a trusted host removes the one an earlier profile set.
    const plain = path.join(home, 'plain.yaml');
    fs.writeFileSync(plain, 'name: plain\npip: { index-url: "http://127.0.0.1:11/simple" }\n');
    expect((await runCli(['--recipes', RECIPES, '--mirror', plain, 'run', 'mirrors'], home)).code).toBe(0);
    expect(fs.readFileSync(pip, 'utf8')).toBe(
      '# mine: do not lose me\n[global]\ntimeout = 60\nindex-url = http://127.0.0.1:11/simple\n',
    );
    expect((await runCli(['--recipes', RECIPES, '--mirror', plain, 'plan', 'mirrors', '--exit-code'], home)).code).toBe(
      0,
    );
  });
});

describe('backups', () => {
  it("a file envkit created is not later backed up as if it were the user's original", async () => {
    const home = tempHome();
    const profile = path.join(home, 'm1.yaml');
    fs.writeFileSync(profile, 'name: m1\npip: { index-url: "http://127.0.0.1:9/simple" }\n');
    const profile2 = path.join(home, 'm2.yaml');
    fs.writeFileSync(profile2, 'name: m2\npip: { index-url: "http://127.0.0.1:10/simple" }\n');
    expect((await runCli(['--recipes', RECIPES, '--mirror', profile, 'run', 'mirrors'], home)).code).toBe(0);
    expect((await runCli(['--recipes', RECIPES, '--mirror', profile2, 'run', 'mirrors'], home)).code).toBe(0);
    const pip = path.join(home, '.config', 'pip', 'pip.conf');
    expect(fs.existsSync(path.join(home, '.local', 'state', 'envkit', 'backups', pip))).toBe(false);
    expect(fs.readFileSync(pip, 'utf8')).toContain('127.0.0.1:10');
  });
});

describe('config edits keep what they do not set', () => {
  it('keeps non-UTF-8 bytes, odd JSON/YAML values byte for byte, refuses JSON comments, and puts a secret into a gitconfig without argv', async () => {
    const home = tempHome();
    const recipes = path.join(home, 'recipes');
    fs.mkdirSync(recipes);
    fs.writeFileSync(
      path.join(recipes, 'keep.yaml'),
      [
        'name: keep',
        'description: edits files holding odd bytes and values',
        'steps:',
        '  - config: { path: ~/pip.conf, set: { global.index-url: "http://m/simple" } }',
        '  - config: { path: ~/a.json, set: { new: 1 } }',
        '  - config: { path: ~/a.yaml, set: { new: 1 } }',
        '  - config: { path: ~/.gitconfig, set: { http.extraHeader: "Authorization: Bearer {{ secrets.GIT_TOKEN }}" } }',
        '  - config: { path: ~/new/.gitconfig, set: { http.extraHeader: "{{ secrets.GIT_TOKEN }}" } }',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(recipes, 'commented.yaml'),
      'name: commented\ndescription: d\nsteps:\n  - config: { path: ~/c.json, set: { a: 2 } }\n',
    );
    const latin1 = Buffer.from('# caf\xe9 r\xe9glages\n[global]\ntimeout = 60\n', 'latin1');
    fs.writeFileSync(path.join(home, 'pip.conf'), latin1);
    const odd = '{\n  "big": 12345678901234567890,\n  "f": 1.0,\n  "e": 1e400\n}\n';
    fs.writeFileSync(path.join(home, 'a.json'), odd);
    const oddYaml = "mode: 0755\nbig: 12345678901234567890\nf: 1.0\ne: 1e400\nq: 'single'\n";
    fs.writeFileSync(path.join(home, 'a.yaml'), oddYaml);
    fs.writeFileSync(path.join(home, '.gitconfig'), '# my git\n[user]\n\tname = Me\n', { mode: 0o640 });
    fs.writeFileSync(path.join(home, 'c.json'), '{\n  // mine\n  "a": 1\n}\n');
    const token = 'tok"en\\with-quotes-1234';

    const run = await runCli(['--recipes', recipes, 'run', 'keep'], home, { GIT_TOKEN: token });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'pip.conf'))).toEqual(
      Buffer.concat([latin1, Buffer.from('index-url = http://m/simple\n')]),
    );
    expect(fs.readFileSync(path.join(home, 'a.json'), 'utf8')).toBe(odd.replace('1e400\n', '1e400,\n  "new": 1\n'));
    expect(fs.readFileSync(path.join(home, 'a.yaml'), 'utf8')).toBe(`${oddYaml}new: 1\n`);
    const git = (file: string): string =>
      execFileSync('git', ['config', '--file', file, 'http.extraHeader'], { encoding: 'utf8' }).trimEnd();
    expect(git(path.join(home, '.gitconfig'))).toBe(`Authorization: Bearer ${token}`);
    expect(fs.readFileSync(path.join(home, '.gitconfig'), 'utf8')).toMatch(/^# my git\n\[user\]\n\tname = Me\n/);
    expect(fs.statSync(path.join(home, '.gitconfig')).mode & 0o777).toBe(0o640);
    expect(git(path.join(home, 'new', '.gitconfig'))).toBe(token);
    expect(fs.statSync(path.join(home, 'new', '.gitconfig')).mode & 0o777).toBe(0o600);
    const again = await runCli(['--recipes', recipes, 'plan', 'keep', '--exit-code'], home, { GIT_TOKEN: token });
    expect(again.code, again.stdout).toBe(0);

    const bad = await runCli(['--recipes', recipes, 'run', 'commented'], home);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain(
      `${path.join(home, 'c.json')}:2:3: a comment: JSON with comments is not supported`,
    );
    expect(bad.stdout + bad.stderr).not.toMatch(/\n\s+at /); // no stack
  });
});
