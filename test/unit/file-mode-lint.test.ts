import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/catalog/load.js';
import { lintRecipe } from '../../src/catalog/lint.js';

const load = (mode: string) => {
  const { recipe, problems } = parseRecipe(
    '/virtual/m.yaml',
    Buffer.from(
      `name: m\ndescription: d\nsteps:\n  - file:\n      path: /tmp/x\n      content: hi\n      mode: "${mode}"\n`,
    ),
  );
  expect(problems).toEqual([]);
  return recipe!;
};

describe('a file step whose mode sets setuid, setgid or sticky bits', () => {
  it('loads (plan and run are not refused) and validate warns at the mode, naming the bits', () => {
    expect(lintRecipe(load('7777'))).toEqual([
      {
        severity: 'warning',
        loc: { file: '/virtual/m.yaml', line: 7, col: 13 },
        message: 'mode 7777 sets the setuid, setgid, sticky bits on a file this step writes',
        hint: 'a setuid/setgid file runs as its owner or group; write mode 0777 unless that is meant',
      },
    ]);
    expect(lintRecipe(load('4755')).map((p) => p.message)).toEqual([
      'mode 4755 sets the setuid bit on a file this step writes',
    ]);
  });
  it('says nothing of an ordinary mode', () => {
    for (const m of ['0644', '755', '0o600', '0777']) expect(lintRecipe(load(m)), m).toEqual([]);
  });
});
