import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome } from './helpers.js';

describe('setup validate FILE', () => {
  it('knows a mirror profile outside a profiles/ folder by its content', async () => {
    const home = tempHome();
    const good = path.join(home, 'my-mirror.yaml');
    fs.writeFileSync(good, 'name: my-mirror\npip: { index-url: "http://127.0.0.1:8080/simple" }\ngo: { proxy: "http://127.0.0.1:8081,direct" }\n');
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
});
