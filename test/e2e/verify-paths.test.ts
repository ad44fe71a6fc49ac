import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

describe('verify items expand a leading ~/ in every path', () => {
  it('file, venv, program flags, argv and template values in a command string', async () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, 'inc'));
    fs.writeFileSync(path.join(home, 'inc', 'envkit_tilde.h'), '#define ENVKIT_TILDE "from-home"\n');
    fs.mkdirSync(path.join(home, 'venv', 'bin'), { recursive: true });
    fs.symlinkSync(
      execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
      path.join(home, 'venv', 'bin', 'python'),
    );
    fs.mkdirSync(path.join(home, 'bin'));
    fs.writeFileSync(path.join(home, 'bin', 'hello'), '#!/bin/sh\necho hello 1.0\n', { mode: 0o755 });
    fs.writeFileSync(path.join(home, 'marker'), '');
    const dir = writeRecipes(path.join(home, 'r'), {
      'tilde.yaml': [
        'name: tilde',
        'vars: { tools: ~/bin }',
        'steps: [{ run: "true", check: "true" }]',
        'verify:',
        '  - { name: file, file: ~/marker }',
        '  - { name: python venv, python: json, venv: ~/venv }',
        '  - { name: pip venv, pip: "pip>=1", venv: ~/venv }',
        '  - name: program flags',
        '    program: "#include <stdio.h>\\n#include <envkit_tilde.h>\\nint main(void) { puts(ENVKIT_TILDE); return 0; }\\n"',
        '    flags: [-I, ~/inc]',
        '    expect: from-home',
        '  - { name: argv, command: [~/bin/hello], version: ">=1" }',
        '  - { name: command string, command: "{{ tools }}/hello", version: ">=1" }',
        '',
      ].join('\n'),
    });
    const res = await runCli(['doctor', 'tilde', '--recipes', dir, '--offline', '--json'], home);
    const items = (
      JSON.parse(res.stdout).items as { check: string; label: string; status: string; message: string }[]
    ).filter((i) => i.check === 'verify');
    expect(
      items.map((i) => `${i.label}: ${i.status}`),
      JSON.stringify(items),
    ).toEqual(['file: ok', 'python venv: ok', 'pip venv: ok', 'program flags: ok', 'argv: ok', 'command string: ok']);
  });
});
