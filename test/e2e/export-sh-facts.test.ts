import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { which } from '../../src/util/which.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * The script's "decided with this machine's …" limit names only the facts a recipe reads in `when:` or a
 * `{{ host.* }}` value: the `ccache` fact cmake and make steps read to compile through ccache decides nothing
 * the exported script says (it adds no launcher), so a cmake recipe is not said to depend on it.
 */
describe.skipIf(!which('ccache'))('setup export sh: the facts the script was decided with', () => {
  it('a cmake recipe is not said to be decided with the ccache fact; a when: on a fact still is', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'lib.yaml': [
        'name: lib',
        'steps:',
        '  - name: Configure',
        '    cmake: { source: ~/src, build: ~/build }',
        '  - name: Only with ccache',
        '    run: "true"',
        '    when: { ccache: ">=1" }',
        '',
      ].join('\n'),
    });
    const plain = writeRecipes(path.join(home, 'plain'), {
      'lib.yaml': [
        'name: lib',
        'steps:',
        '  - name: Configure',
        '    cmake: { source: ~/src, build: ~/build }',
        '',
      ].join('\n'),
    });
    const r = await runCli(['--recipes', plain, 'export', 'sh', 'lib', '--json'], home);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { limits: { text: string }[]; script: string };
    expect(doc.limits.map((l) => l.text).join('\n')).not.toMatch(/ccache/);
    expect(doc.script).not.toMatch(/decided with this machine/);

    const w = await runCli(['--recipes', recipes, 'export', 'sh', 'lib', '--json'], home);
    expect(w.code, w.stderr).toBe(0);
    const wdoc = JSON.parse(w.stdout) as { limits: { text: string }[] };
    expect(wdoc.limits.map((l) => l.text).join('\n')).toMatch(/decided with this machine's ccache=/);
  });
});
