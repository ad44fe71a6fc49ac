import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';
import { normalize, ROOT, runCli, snapshotTree, tempHome, writeRecipes } from './helpers.js';

const TOKEN = 'tok-1234-secret';
const OLD_TOKEN = 'old-token-9876';

const RECIPE = `name: files
description: edits files
steps:
  - name: A new script
    file: { path: ~/bin/hello, content: "#!/bin/sh\\necho hello\\n", mode: "0755" }
  - name: Already there
    file: { path: ~/same.txt, content: "same\\n" }
  - name: Notes replaced
    file: { path: ~/notes.txt, content: "one\\nTWO\\nthree\\n" }
  - name: pip uses the mirror
    config:
      path: ~/.config/pip/pip.conf
      set: { global.index-url: "http://127.0.0.1:9/simple", global.timeout: 30 }
  - name: conda channels
    config: { path: ~/.condarc, set: { channels: [defaults], show_channel_urls: true } }
  - name: tool settings
    config: { path: ~/settings.json, set: { editor.fontSize: 14, token: "{{ secrets.API_TOKEN }}" } }
  - name: git name
    config: { path: ~/.gitconfig, set: { user.name: Envkit User } }
  - name: tool on PATH
    env: { path: ["~/bin"], set: { TOOL_HOME: "~/tool" } }
  - name: token in the env
    env: { set: { API_TOKEN: "{{ secrets.API_TOKEN }}" } }
  - name: a build
    run: "true"
`;

/** A home with the user's own files in it, each of which a step of `files` edits (one already as it wants). */
function makeHome(): string {
  const home = tempHome('envkit-diff-');
  writeRecipes(path.join(home, 'recipes'), { 'files.yaml': RECIPE });
  const put = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    fs.writeFileSync(path.join(home, rel), text);
  };
  put('same.txt', 'same\n');
  put('notes.txt', 'one\ntwo\nthree\n');
  put('.config/pip/pip.conf', '# mine: keep me\n[global]\ntimeout = 60\nindex-url = https://pypi.org/simple\n');
  put('.condarc', '# my conda\nauto_activate_base: false\n');
  put('settings.json', `{\n  "editor": { "fontSize": 12 },\n  "token": "${OLD_TOKEN}"\n}\n`);
  put('.gitconfig', '# my git\n[user]\n\temail = me@example.com\n');
  put('.bashrc', '# my bashrc\nalias ll="ls -l"\n');
  return home;
}

interface JsonStep {
  id: string;
  state: string;
  diff?: string;
}
const jsonSteps = (stdout: string): JsonStep[] =>
  (JSON.parse(stdout) as { recipes: { steps: JsonStep[] }[] }).recipes.flatMap((r) => r.steps);

describe('plan --diff and run --diff', () => {
  let home: string;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['--recipes', path.join(home, 'recipes'), ...args], home, { API_TOKEN: TOKEN, ...env });
  beforeAll(() => {
    home = makeHome();
  });

  it('plan --diff shows each file as it will be, changes nothing, masks secrets', async () => {
    const before = snapshotTree(home);
    const plan = await cli(['plan', 'files', '--diff']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(snapshotTree(home)).toEqual(before);
    expect(plan.stdout).not.toContain(TOKEN);
    expect(plan.stdout).not.toContain(OLD_TOKEN); // the value a secret replaces is one too
    expectGolden('plan-diff.txt', normalize(plan.stdout, home));
  });

  it('--json carries each diff; a satisfied step or a kind that writes no file has none', async () => {
    const plan = await cli(['plan', 'files', '--diff', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain(TOKEN);
    const steps = jsonSteps(plan.stdout);
    const by = new Map(steps.map((s) => [s.id, s]));
    expect(by.get('files#2')).toMatchObject({ state: 'satisfied' });
    expect(by.get('files#2')!.diff).toBeUndefined();
    expect(by.get('files#10')!.diff).toBeUndefined(); // a run step
    expect(by.get('files#3')!.diff).toBe(
      `--- ${home}/notes.txt\n+++ ${home}/notes.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n`,
    );
    expect(by.get('files#1')!.diff).toMatch(/^--- \/dev\/null\n\+\+\+ .*\/bin\/hello\nnew file mode 0755\n/);
    // Without --diff, no step has one.
    const plain = await cli(['plan', 'files', '--json']);
    expect(jsonSteps(plain.stdout).filter((s) => s.diff !== undefined)).toEqual([]);
  });

  it('colour only on request of the terminal, never with --no-color or NO_COLOR', async () => {
    const forced = await cli(['plan', 'files', '--diff'], { FORCE_COLOR: '1', NO_COLOR: '' });
    expect(forced.stdout).toContain('\x1b[32m+TWO');
    expect(forced.stdout).toContain('\x1b[31m-two');
    const noColor = await cli(['--no-color', 'plan', 'files', '--diff'], { FORCE_COLOR: '1', NO_COLOR: '' });
    expect(noColor.stdout).not.toContain('\x1b[');
    const env = await cli(['plan', 'files', '--diff'], { FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(env.stdout).not.toContain('\x1b[');
  });

  it("the plan's diff is what the run writes: GNU patch turns each file into it", async () => {
    const plan = jsonSteps((await cli(['plan', 'files', '--diff', '--json'])).stdout);
    const copies = path.join(tempHome('envkit-diff-copies-'));
    const one = (id: string, rel: string): void => {
      const copy = path.join(copies, path.basename(rel));
      fs.copyFileSync(path.join(home, rel), copy);
      execFileSync('patch', ['-s', '-f', '--no-backup-if-mismatch', copy], {
        input: plan.find((s) => s.id === id)!.diff,
      });
    };
    one('files#3', 'notes.txt');
    one('files#4', '.config/pip/pip.conf');
    one('files#5', '.condarc');
    one('files#7', '.gitconfig');

    const run = await cli(['run', 'files', '--diff']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain(TOKEN);
    expectGolden('run-diff.txt', normalize(run.stderr, home).replace(/\(\d+ms\)/g, '(<time>)'));
    for (const rel of ['notes.txt', '.config/pip/pip.conf', '.condarc', '.gitconfig'])
      expect(fs.readFileSync(path.join(copies, path.basename(rel)), 'utf8'), rel).toBe(
        fs.readFileSync(path.join(home, rel), 'utf8'),
      );
    const log = fs.readFileSync(path.join(home, '.local', 'state', 'envkit', 'logs', 'latest.log'), 'utf8');
    expect(log).toContain('+TWO');
    expect(log).not.toContain(TOKEN);

    // Nothing left to do, and so nothing to show.
    const after = await cli(['plan', 'files', '--diff', '--json']);
    expect(jsonSteps(after.stdout).filter((s) => s.diff !== undefined)).toEqual([]);
  });
});

describe('run --json --diff', () => {
  it("stdout is one JSON document (valid against the schema); each step's diff is in its record and the log", async () => {
    const home = makeHome();
    const res = await runCli(['--recipes', path.join(home, 'recipes'), 'run', 'files', '--diff', '--json'], home, {
      API_TOKEN: TOKEN,
    });
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { log: string; steps: JsonStep[] };
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'run-output.schema.json'), 'utf8')) as object;
    const valid = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(valid(doc), JSON.stringify(valid.errors)).toBe(true);
    const by = new Map(doc.steps.map((s) => [s.id, s]));
    expect(by.get('files#3')!.diff).toBe(
      `--- ${home}/notes.txt\n+++ ${home}/notes.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n`,
    );
    expect(by.get('files#6')!.diff).toContain('+  "token": "***"\n');
    expect(by.get('files#2')!.diff).toBeUndefined(); // satisfied: not run
    expect(by.get('files#10')!.diff).toBeUndefined(); // a run step writes no file it can show
    expect(res.stdout + res.stderr).not.toContain(TOKEN);
    expect(res.stdout + res.stderr).not.toContain(OLD_TOKEN);
    expect(res.stderr).not.toContain('+TWO'); // not printed: the diffs are data here
    const log = fs.readFileSync(doc.log, 'utf8');
    expect(log).toContain(by.get('files#3')!.diff);
    expect(log).not.toContain(TOKEN);
  });
});

describe('diffs of binary and CRLF files', () => {
  it('a binary file is one "Binary files … differ" line; a CRLF file is edited in CRLF, shown once as such, and patches', async () => {
    const home = tempHome('envkit-diff-');
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'odd.yaml': `name: odd
description: odd files
steps:
  - name: binary
    file: { path: ~/blob.dat, content: "hello\\n" }
  - name: crlf
    config: { path: ~/a.ini, set: { main.b: "2" } }
`,
    });
    fs.writeFileSync(path.join(home, 'blob.dat'), Buffer.from([0x61, 0, 0, 0xff, 0xfe, 0x0a]));
    const crlf = '[main]\r\na = 1\r\nb = 1\r\nc = 3\r\n';
    fs.writeFileSync(path.join(home, 'a.ini'), crlf);
    const cli = (...args: string[]) => runCli(['--recipes', recipes, ...args], home);
    const plan = await cli('plan', 'odd', '--diff');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`│     Binary files ${'~'}/blob.dat and ~/blob.dat differ\n`);
    expect(plan.stdout).toContain(
      '      +++ ~/a.ini\n      (CRLF line endings)\n      @@ -1,4 +1,4 @@\n       [main]\n       a = 1\n      -b = 1\n      +b = 2\n       c = 3\n',
    );
    expect(plan.stdout).not.toContain('\\x0d');
    const steps = jsonSteps((await cli('plan', 'odd', '--diff', '--json')).stdout);
    expect(steps[0]!.diff).toBe(`Binary files ${home}/blob.dat and ${home}/blob.dat differ\n`);
    const copy = path.join(tempHome('envkit-diff-copies-'), 'a.ini');
    fs.writeFileSync(copy, crlf);
    execFileSync('patch', ['-s', '-f', '--no-backup-if-mismatch', copy], { input: steps[1]!.diff });
    const run = await cli('run', 'odd');
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'a.ini'), 'utf8')).toBe('[main]\r\na = 1\r\nb = 2\r\nc = 3\r\n');
    expect(fs.readFileSync(copy, 'utf8')).toBe(fs.readFileSync(path.join(home, 'a.ini'), 'utf8'));
  });
});
