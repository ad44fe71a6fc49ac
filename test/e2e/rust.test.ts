import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/** Fake programs on PATH: name → the line each prints for `--version`. */
function fakeBin(home: string, tools: Record<string, string>): Record<string, string> {
  const dir = path.join(home, 'fake-bin');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, line] of Object.entries(tools))
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho '${line}'\n`, { mode: 0o755 });
  return { PATH: `${dir}:${process.env.PATH}` };
}

/** dpkg says the package is installed (then the distribution's step is satisfied whatever is on PATH). */
const dpkgHas = (pkg: string): boolean => {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).includes('install ok installed');
  } catch {
    return false;
  }
};
const aptHostWithoutRust = fs.existsSync('/usr/bin/apt-get') && !dpkgHas('rustc') && !dpkgHas('cargo');

type PlanJson = { recipes: { name: string; state: string; steps: { state: string; reason: string }[] }[] };
const planOf = async (args: string[], home: string, env: Record<string, string> = {}): Promise<PlanJson> => {
  const res = await runCli([...args, '--json'], home, env);
  expect(res.stderr).not.toMatch(/error/);
  return JSON.parse(res.stdout) as PlanJson;
};

describe('rust: any rustc and cargo on PATH in range count', () => {
  it("is satisfied by new enough ones (rustup's, say), pending with older ones, and installs from the distribution only then", async () => {
    const home = tempHome();
    const fresh = fakeBin(home, {
      rustc: 'rustc 1.75.0 (82e1608df 2023-12-21)',
      cargo: 'cargo 1.75.0 (1d8b05cdd 2023-11-20)',
    });
    const ok = (await planOf(['plan', 'rust'], home, fresh)).recipes.find((r) => r.name === 'rust')!;
    expect(ok.state).toBe('satisfied');
    for (const s of ok.steps) expect(s.reason).toBe('not needed: rustc 1.75.0, cargo 1.75.0 on PATH (wants >= 1.60)');
    const text = await runCli(['plan', 'rust', '--exit-code'], home, fresh);
    expect(text.code, text.stdout).toBe(0);
    expect(text.stdout).toContain(
      '✓ rustc and cargo from the distribution  satisfied: not needed: rustc 1.75.0, cargo 1.75.0 on PATH',
    );

    // The range is a variable.
    const raised = (await planOf(['plan', 'rust', '--set', 'rust.min_version=1.80'], home, fresh)).recipes.find(
      (r) => r.name === 'rust',
    )!;
    expect(raised.state).toBe('pending');
    expect(raised.steps[1]!.reason).toBe('rustc 1.75.0 on PATH is older than 1.80');

    const old = fakeBin(home, {
      rustc: 'rustc 1.50.0 (cb75ad5db 2021-02-10)',
      cargo: 'cargo 1.50.0 (f04e7fab7 2021-02-04)',
    });
    const stale = (await planOf(['plan', 'rust'], home, old)).recipes.find((r) => r.name === 'rust')!;
    expect(stale.state).toBe('pending');
    expect(stale.steps[1]).toMatchObject({ state: 'pending', reason: 'rustc 1.50.0 on PATH is older than 1.60' });
    expect((await runCli(['plan', 'rust', '--exit-code'], home, old)).code).toBe(3);
    // Without the distribution's packages, they are what runs first.
    if (aptHostWithoutRust)
      expect(stale.steps[0]).toMatchObject({
        state: 'pending',
        reason: 'rustc 1.50.0 on PATH is older than 1.60; not installed: rustc, cargo',
      });
  });

  it('`unless:` spares any step: exit 0 is satisfied with its last line, else the step is checked as usual', async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'r'), {
      'spared.yaml': 'name: spared\nsteps:\n  - run: exit 1\n    unless: echo already here\n',
      'needed.yaml':
        'name: needed\nsteps:\n  - run: "true"\n    unless: [sh, -c, "echo not yet >&2; exit 1"]\n    creates: ~/made\n',
    });
    const plan = await planOf(['plan', 'spared', 'needed', '--recipes', dir], home);
    expect(plan.recipes.map((r) => [r.name, r.steps[0]!.state, r.steps[0]!.reason])).toEqual([
      ['spared', 'satisfied', 'not needed: already here'],
      ['needed', 'pending', `not yet; ${home}/made does not exist`],
    ]);
    const run = await runCli(['run', 'spared', '--recipes', dir], home);
    expect(run.code, run.stderr).toBe(0);
  });
});
