import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome } from './helpers.js';

describe('setup validate FILE', () => {
  it('knows a mirror profile outside a profiles/ folder by its content', async () => {
    const home = tempHome();
    const good = path.join(home, 'my-mirror.yaml');
    fs.writeFileSync(
      good,
      'name: my-mirror\npip: { index-url: "http://127.0.0.1:8080/simple" }\ngo: { proxy: "http://127.0.0.1:8081,direct" }\n',
    );
    const ok = await runCli(['validate', good], home);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('0 recipes, 1 profile: 0 errors, 0 warnings');

    // Checked as a profile: its own mistakes, not "missing key steps".
    const bad = path.join(home, 'typo.yaml');
    fs.writeFileSync(bad, 'name: typo\nconda: { channel: [defaults] }\n');
    const res = await runCli(['validate', bad], home);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${bad}:2:10: error: unknown key "channel" (did you mean "channels"?)`);
    expect(res.stderr).not.toContain('steps');

    // A recipe stays a recipe, even with a profile-looking key.
    const recipe = path.join(home, 'tool.yaml');
    fs.writeFileSync(recipe, 'name: tool\npip: {}\nsteps: []\n');
    expect((await runCli(['validate', recipe], home)).stderr).toMatch(/unknown key "pip"[^\n]*\n1 recipe, 0 profiles/);
  });

  it("reads a recipe written with `apt:` (the packages kind's earlier name): a warning, exit 0, the same step as `packages:`", async () => {
    const home = tempHome();
    const dir = path.join(home, 'recipes');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'old.yaml'),
      'name: old\ndescription: written for setup 0.1.0\nsteps:\n  - name: Tools\n    apt: [coreutils]\n',
    );
    const res = await runCli(['validate', path.join(dir, 'old.yaml')], home);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      `${path.join(dir, 'old.yaml')}:5:5: warning: \`apt:\` is the earlier name of \`packages:\`; it still works and means the same`,
    );
    expect(res.stderr).toContain('1 recipe, 0 profiles: 0 errors, 1 warning');
    const shown = await runCli(['--recipes', dir, 'show', 'old', '--json'], home);
    expect(shown.code, shown.stderr).toBe(0);
    expect(
      (JSON.parse(shown.stdout) as { steps: { id: string; kind: string }[] }).steps.map((s) => [s.id, s.kind]),
    ).toEqual([['old#1', 'packages']]);
  });
});
