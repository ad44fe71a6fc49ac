import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome } from './helpers.js';

describe('doctor with a config.yaml that does not read', () => {
  it('runs, and reports the file as a failed check at file:line:col with a fix (exit 1)', async () => {
    const home = tempHome('envkit-badconfig-');
    const file = path.join(home, '.config', 'envkit', 'config.yaml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'mirror: default\nprefix: [unclosed\n');
    const text = await runCli(['doctor', '--check', 'config', '--check', 'env-file'], home, { SHELL: '/bin/bash' });
    expect(text.code, text.stderr).toBe(1);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(
      /^ {2}✗ ~\/\.config\/envkit\/config\.yaml {2}~\/\.config\/envkit\/config\.yaml:2:\d+: error: .*; checked with the defaults instead$/m,
    );
    expect(text.stdout).toContain(
      'fix: correct ~/.config/envkit/config.yaml (`setup validate` checks it), or move it aside to use the defaults',
    );
    expect(text.stdout).toMatch(/1 problem, \d+ ok\.\n$/);
    const json = await runCli(['doctor', '--check', 'config', '--json'], home);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { items: { check: string; status: string; message: string }[] };
    expect(doc.items).toEqual([
      expect.objectContaining({ check: 'config', status: 'fail', message: expect.stringContaining(`${file}:2:`) }),
    ]);
    // Other commands still refuse it (exit 2).
    expect((await runCli(['plan'], home)).code).toBe(2);
  });
});
