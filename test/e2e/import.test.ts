import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, runCli, runProgram, tempHome } from './helpers.js';

const NOTES = `# My box

Some prose first: 先装系统包。

\`\`\`bash
$ sudo apt-get install -y coreutils
# 环境变量
export ENVKIT_IMPORT_DEMO=yes
echo 'export PATH="$HOME/.local/demo/bin:$PATH"' >> ~/.bashrc
pip3 install jieba==0.42.1 -i https://pypi.tuna.tsinghua.edu.cn/simple
apt-get update
\`\`\`

https://example.org/a-link
`;

describe('setup import', () => {
  it('writes a draft that setup validate accepts and setup plan reads, with a summary on stderr', async () => {
    const home = tempHome();
    const notes = path.join(home, 'notes.md');
    fs.writeFileSync(notes, NOTES);
    const dir = path.join(home, 'drafts');
    fs.mkdirSync(dir);
    const out = path.join(dir, 'my-box.yaml');
    const res = await runCli(['import', notes, '-o', out], home);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(
      'wrote ~/drafts/my-box.yaml: kept 4 lines as 3 steps, skipped 4 (1 prose, 1 comment, 1 dead end, 1 link)',
    );
    expect(res.stderr).toContain('line 11: apt-get update — the packages kind refreshes the package lists');
    const draft = fs.readFileSync(out, 'utf8');
    expect(draft).toContain('name: my-box\n');
    expect(draft).toContain('  jieba: 0.42.1\n');
    expect(draft).toContain('      - jieba=={{ jieba }}\n');
    expect(draft).toContain('pick one with --mirror NAME');
    expect(draft).toContain('TODO: the notes install into the system python');
    expect(draft).toMatch(/# line 6 \(My box\)\n {2}- name: System packages\n {4}packages:\n {6}- coreutils/);

    const valid = await runCli(['validate', out], home);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stderr).toContain('1 recipe, 0 profiles: 0 errors, 0 warnings');

    const plan = await runCli(['plan', 'my-box', '--recipes', dir, '--no-resolve', '--json'], home);
    expect(plan.code, plan.stderr).toBe(0);
    const steps = (JSON.parse(plan.stdout) as { recipes: { steps: { kind: string }[] }[] }).recipes.flatMap((r) =>
      r.steps.map((s) => s.kind),
    );
    expect(steps).toEqual(['packages', 'env', 'pip']);

    // Again over its own draft: fine. Over a file it did not write: refused, nothing written.
    expect((await runCli(['import', notes, '-o', out, '-q'], home)).code).toBe(0);
    const mine = path.join(dir, 'mine.yaml');
    fs.writeFileSync(mine, 'name: mine\nsteps: []\n');
    const refused = await runCli(['import', notes, '-o', mine], home);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `setup: error: -o ${mine} exists and is not a draft setup import wrote; nothing written (remove it first, or write the draft elsewhere: -o FILE)\n`,
    );
    expect(fs.readFileSync(mine, 'utf8')).toBe('name: mine\nsteps: []\n');
  });

  it('--json: the draft and every skipped line with why; a bad name is one line and exit 2', async () => {
    const home = tempHome();
    const notes = path.join(home, 'My Notes.txt');
    fs.writeFileSync(notes, NOTES);
    const res = await runCli(['import', notes, '--json'], home);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { kind: string; name: string; recipe: string; skipped: { line: number }[] };
    expect(doc).toMatchObject({ kind: 'import', name: 'my-notes', file: null, steps: 3, kept: 4 });
    expect(doc.recipe).toContain('name: my-notes\n');
    expect(doc.skipped.map((s) => s.line)).toEqual([3, 7, 11, 14]);

    const bad = await runCli(['import', notes, '--name', 'My_Box'], home);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'setup: error: "My_Box" is not a recipe name: kebab-case, lowercase letters, digits and - (use --name my-box (and -o my-box.yaml))\n',
    );
  });

  it('--split: one draft per section into a folder, all or nothing; --chain; bad combinations are one line, exit 2', async () => {
    const home = tempHome();
    const notes = path.join(home, 'box.md');
    fs.writeFileSync(
      notes,
      [
        '# Box',
        '## 系统包',
        '```bash',
        'sudo apt-get install -y coreutils',
        '```',
        '## Shell env',
        '```bash',
        'export ENVKIT_SPLIT_DEMO=1',
        '```',
        '## Notes only',
        'Nothing to run here.',
      ].join('\n'),
    );
    const dir = path.join(home, 'drafts');
    const res = await runCli(['import', notes, '--split', '--chain', '-o', dir], home);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('wrote 2 recipes into ~/drafts: kept 2 lines as 2 steps');
    expect(res.stderr).toContain('  box-1.yaml: 1 step from "系统包"\n  shell-env.yaml: 1 step from "Shell env"\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['box-1.yaml', 'shell-env.yaml']);
    expect(fs.readFileSync(path.join(dir, 'shell-env.yaml'), 'utf8')).toContain('requires:\n  - box-1\n');
    const valid = await runCli(['validate', dir], home);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stderr).toContain('2 recipes, 0 profiles: 0 errors, 0 warnings');
    const plan = await runCli(['plan', 'shell-env', '--recipes', dir, '--json'], home);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { recipes: { name: string }[] }).recipes.map((r) => r.name)).toEqual([
      'box-1',
      'shell-env',
    ]);

    // Again: the earlier drafts are written over. A file setup did not write stops it before any draft is written.
    expect((await runCli(['import', notes, '--split', '-o', dir, '-q'], home)).code).toBe(0);
    fs.rmSync(path.join(dir, 'box-1.yaml'));
    fs.writeFileSync(path.join(dir, 'shell-env.yaml'), 'name: shell-env\nsteps: []\n');
    const refused = await runCli(['import', notes, '--split', '-o', dir], home);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('shell-env.yaml exists and is not a draft setup import wrote; nothing written');
    expect(fs.readdirSync(dir)).toEqual(['shell-env.yaml']);

    for (const [args, line] of [
      [
        ['--split'],
        'setup: error: --split writes one file per section: give -o DIR (setup import NOTES --split -o ./drafts)\n',
      ],
      [
        ['--chain', '-o', path.join(home, 'x.yaml')],
        'setup: error: --chain needs --split (setup import NOTES --split --chain -o DIR)\n',
      ],
      [
        ['--split', '-o', notes],
        `setup: error: -o ${notes} is not a folder; nothing written (with --split, -o names a folder (made if missing))\n`,
      ],
    ] as const) {
      const bad = await runCli(['import', notes, ...args], home);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(line);
    }
  });

  it('notes with no command, binary junk, an empty or relative --venv: one line, exit 2, nothing written; counts in words', async () => {
    const home = tempHome();
    const prose = path.join(home, 'prose.txt');
    fs.writeFileSync(prose, 'Just prose here. Nothing to run.\n');
    const junk = path.join(home, 'junk.bin');
    fs.writeFileSync(junk, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0x0a, 0x61, 0x70, 0x74]));
    const notes = path.join(home, 'one.md');
    fs.writeFileSync(notes, 'apt-get install -y coreutils\n');
    for (const [args, line] of [
      [
        [prose, '-o', path.join(home, 'prose.yaml')],
        `setup: error: ${prose}: no line of the notes became a step, skipped 1 (1 not a command); nothing written (setup import takes shell lines (apt, pip, git, cmake, make, export…) in code blocks or among prose)\n`,
      ],
      [
        [junk, '-o', path.join(home, 'junk.yaml')],
        `setup: error: ${junk}: binary, not text (give the notes as a text file)\n`,
      ],
      [[notes, '--venv', ''], 'setup: error: --venv needs a path (setup import NOTES --venv ~/venvs/NAME)\n'],
      [
        [notes, '--venv', 'venvs/ml'],
        `setup: error: --venv venvs/ml is relative: a recipe runs it from another folder (give ~/… or an absolute path: --venv ${path.join(home, 'venvs/ml')})\n`,
      ],
    ] as const) {
      const bad = await runCli(['import', ...args], home);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(line);
    }
    // Many installs at once: a draft over a recipe's 1 MiB is refused in words, quickly (merging stays linear).
    const many = path.join(home, 'many.txt');
    fs.writeFileSync(
      many,
      Array.from({ length: 60000 }, (_, i) => `pip install pkg-${i}==1.${i}\ngit clone https://h/r/repo${i}.git`).join(
        '\n',
      ),
    );
    const started = Date.now();
    const big = await runCli(['import', many, '-o', path.join(home, 'many.yaml')], home);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(
      /^setup: error: .*many\.txt: the draft many would be \d+\.\d MiB, over the 1 MiB a recipe may be; nothing written \(import a part of the notes, or --split -o DIR \(one recipe per section\)\)\n$/,
    );
    expect(Date.now() - started).toBeLessThan(30000);
    expect(fs.readdirSync(home).filter((f) => f.endsWith('.yaml'))).toEqual([]);
    const one = await runCli(['import', notes], home);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toBe('one: kept 1 line as 1 step, skipped 0\n');
  });

  it('a heredoc that writes a file and an export: the draft runs, and a second run has nothing to do', async () => {
    const home = tempHome();
    const notes = path.join(home, 'demo.md');
    fs.writeFileSync(
      notes,
      [
        '# Demo',
        '```bash',
        'cat > ~/.config/envkit-demo/config.toml <<EOF',
        '[server]',
        '\tname = "tabbed"',
        'EOF',
        'export ENVKIT_HEREDOC_DEMO=~/.local/demo',
        '```',
      ].join('\n'),
    );
    const dir = path.join(home, 'drafts');
    fs.mkdirSync(dir);
    const res = await runCli(['import', notes, '-o', path.join(dir, 'demo.yaml')], home);
    expect(res.code, res.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'demo.yaml'), 'utf8')).toContain(
      '  # lines 3-6 (Demo)\n  - name: Write ~/.config',
    );
    const first = await runCli(['run', 'demo', '--recipes', dir], home);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, '.config/envkit-demo/config.toml'), 'utf8')).toBe(
      '[server]\n\tname = "tabbed"\n',
    );
    const again = await runCli(['run', 'demo', '--recipes', dir], home);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('Nothing to do: 2 steps already satisfied.');
  });

  // As root every folder is writable: the check needs a user the permissions stop (nobody, through setpriv).
  const asNobody = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv');
  it.runIf(asNobody)('-o into a folder this user may not write: one line, exit 2, nothing written', async () => {
    const home = tempHome();
    fs.chmodSync(home, 0o755);
    const notes = path.join(home, 'one.md');
    fs.writeFileSync(notes, 'apt-get install -y coreutils\n');
    const locked = path.join(home, 'locked');
    fs.mkdirSync(locked, { mode: 0o555 });
    const writer = fs.mkdtempSync(path.join(home, 'nobody-'));
    fs.chmodSync(writer, 0o777);
    for (const [args, what] of [
      [['-o', path.join(locked, 'one.yaml')], locked],
      [['--split', '-o', path.join(locked, 'drafts')], locked],
      [['--split', '-o', locked], locked],
    ] as const) {
      const res = await runProgram(
        '/usr/bin/setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'import', notes, ...args],
        { env: cliEnv(writer), cwd: writer },
      );
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toBe(
        `setup: error: -o ${args.at(-1)}: ${what} is not writable (permission denied); nothing written (write the drafts where you may: -o PATH)\n`,
      );
    }
    expect(fs.readdirSync(locked)).toEqual([]);
  });
});
