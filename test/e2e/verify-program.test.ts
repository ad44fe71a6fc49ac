import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { which } from '../../src/util/which.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/** `program:` verify items, built with the host's real compiler: what proves a library works, and each way it can fail. */
describe.skipIf(!which('cc'))('program: verify items (real cc)', () => {
  it('builds, runs and compares the output; says which stage failed and why', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'smoke.yaml': `name: smoke
steps: []
verify:
  - name: prints the answer
    program: |
      #include <stdio.h>
      int main(void) { printf("answer=%d\\n", 6 * 7); return 0; }
    expect: "answer=42"
  - name: wrong answer
    program: |
      #include <stdio.h>
      int main(void) { printf("answer=41\\n"); return 0; }
    expect: "answer=42"
  - name: missing header
    program: |
      #include <nosuch_envkit.h>
      int main(void) { return 0; }
  - name: exits non-zero
    program: |
      #include <stdio.h>
      int main(void) { fprintf(stderr, "cannot open device\\n"); return 3; }
  - name: flags reach the compiler as arguments
    program: |
      #include <stdio.h>
      int main(void) { printf("%s\\n", GREETING); return 0; }
    flags: ['-DGREETING="hello; $(touch pwned)"']
    expect: "hello; $(touch pwned)"
  - name: C++
    language: c++
    program: |
      #include <iostream>
      #include <vector>
      int main() { std::vector<int> v{1, 2, 3}; std::cout << v.size() << std::endl; }
    expect: "3"
`,
    });
    const r = await runCli(['--recipes', recipes, 'doctor', 'smoke', '--offline', '--json'], home);
    const items = (
      JSON.parse(r.stdout) as { items: { label: string; status: string; message: string; fix?: string }[] }
    ).items;
    const by = (label: string) => items.find((i) => i.label === label)!;
    expect(by('prints the answer')).toMatchObject({ status: 'ok', message: 'builds, runs, prints "answer=42"' });
    expect(by('wrong answer')).toMatchObject({
      status: 'fail',
      message: 'runs, but printed "answer=41", wants "answer=42"',
    });
    expect(by('missing header').status).toBe('fail');
    expect(by('missing header').message).toMatch(/^does not build: .*nosuch_envkit\.h: No such file or directory/);
    expect(by('exits non-zero')).toMatchObject({ status: 'fail', message: 'builds, but exited 3: cannot open device' });
    expect(by('flags reach the compiler as arguments')).toMatchObject({ status: 'ok' });
    expect(by('C++')).toMatchObject({ status: 'ok', message: 'builds, runs, prints "3"' });
    expect(r.code).toBe(1);
    // Nothing left behind: the program is built outside HOME and removed.
    expect(fs.existsSync(path.join(home, 'pwned'))).toBe(false);
  });
});
