import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliEnv, runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * A secret that an exported script writes into the env file (`env: { set: { TOKEN: "{{ secrets.TOKEN }}" } }`)
 * is written as one quoted shell word, whatever it holds: sourced by bash or sh it is exactly the secret,
 * never code, and the line sits beside references ($HOME) and later env steps' lines. The script's second
 * run and setup's own plan both find the env file as it should be.
 */
const SECRET = `a b$(touch pwned)"x'y\`id\` $HOME \\ z`;

/** The values `names` have in `shell` after it sources the env file (each on its own line, JSON). */
function sourced(shell: string, home: string, names: string[]): Record<string, string> {
  const envFile = path.join(home, '.config/envkit/env.sh');
  const print = names.map((n) => `printf '%s\\0' "\${${n}-}"`).join('; ');
  const r = spawnSync(shell, ['-c', `. "${envFile}" && ${print}`], {
    env: { HOME: home, PATH: '/usr/bin:/bin' },
    cwd: home,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const values = r.stdout.split('\0').slice(0, -1);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

describe('setup export sh: a secret in the env file', () => {
  it('is one quoted word: sourced, it is the secret exactly; a second run and setup plan find nothing to do', async () => {
    const exporter = tempHome();
    const recipes = writeRecipes(path.join(exporter, 'recipes'), {
      'tok.yaml': `name: tok
steps:
  - name: token env
    env:
      set: { TOKEN: "{{ secrets.TOKEN }}", BOTH: "$HOME/x-{{ secrets.TOKEN }}-y", PLAIN: "p q" }
  - name: more env
    env:
      set: { OTHER: plain }
      path: ["{{ dirs.home }}/bin"]
`,
    });
    const script = path.join(exporter, 'tok.sh');
    const exp = await runCli(['--recipes', recipes, 'export', 'sh', 'tok', '-o', script], exporter);
    expect(exp.code, exp.stderr).toBe(0);
    expect(fs.readFileSync(script, 'utf8')).not.toContain(SECRET);

    const home = tempHome();
    const run = (): ReturnType<typeof spawnSync> =>
      spawnSync('bash', [script], { env: cliEnv(home, { TOKEN: SECRET }), cwd: home, encoding: 'utf8' });
    const first = run();
    expect(first.status, `${String(first.stdout)}${String(first.stderr)}`).toBe(0);
    const envFile = path.join(home, '.config/envkit/env.sh');
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
    const want = { TOKEN: SECRET, BOTH: `${home}/x-${SECRET}-y`, PLAIN: 'p q', OTHER: 'plain' };
    for (const shell of ['bash', 'sh']) expect(sourced(shell, home, Object.keys(want))).toEqual(want);
    expect(fs.existsSync(path.join(home, 'pwned'))).toBe(false);

    const second = run();
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('2 steps: 2 satisfied, 0 ran');

    const plan = await runCli(['--recipes', recipes, 'plan', 'tok', '--exit-code'], home, { TOKEN: SECRET });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain(SECRET);

    // setup run in another HOME writes the values the same (its own spelling of the words).
    const other = tempHome();
    const byRun = await runCli(['--recipes', recipes, 'run', 'tok'], other, { TOKEN: SECRET });
    expect(byRun.code, byRun.stderr).toBe(0);
    expect(sourced('bash', other, Object.keys(want))).toEqual({ ...want, BOTH: `${other}/x-${SECRET}-y` });
  });
});

/**
 * A secret in a json or yaml file an exported script writes (`config` steps) is escaped for that file where
 * the script runs: the file parses, and reads back the secret exactly; the json file is byte for byte the
 * one setup writes. Without the escaping, a `"` or `\` in the secret broke the file (and `: ` the yaml).
 */
describe('setup export sh: a secret in a json or yaml config file', () => {
  it('reads back exactly; json is the bytes setup writes; a second run and setup plan find nothing to do', async () => {
    const secret = `${SECRET}\t: #x\u0001é`;
    const exporter = tempHome();
    const recipes = writeRecipes(path.join(exporter, 'recipes'), {
      'cfg.yaml': `name: cfg
steps:
  - name: json
    config:
      path: ~/.cfg/a.json
      set: { auth.token: "{{ secrets.TOKEN }}", auth.header: "Bearer {{ secrets.TOKEN }}", auth.list: ["x", "{{ secrets.TOKEN }}"] }
  - name: yaml
    config:
      path: ~/.cfg/b.yaml
      set: { auth.token: "{{ secrets.TOKEN }}", auth.header: "Bearer {{ secrets.TOKEN }}", auth.list: ["x", "{{ secrets.TOKEN }}"] }
`,
    });
    const script = path.join(exporter, 'cfg.sh');
    const exp = await runCli(['--recipes', recipes, 'export', 'sh', 'cfg', '-o', script], exporter);
    expect(exp.code, exp.stderr).toBe(0);

    const home = tempHome();
    const run = (): ReturnType<typeof spawnSync> =>
      spawnSync('bash', [script], { env: cliEnv(home, { TOKEN: secret }), cwd: home, encoding: 'utf8' });
    const first = run();
    expect(first.status, `${String(first.stdout)}${String(first.stderr)}`).toBe(0);
    const want = { auth: { token: secret, header: `Bearer ${secret}`, list: ['x', secret] } };
    const jsonText = fs.readFileSync(path.join(home, '.cfg/a.json'), 'utf8');
    expect(JSON.parse(jsonText)).toEqual(want);
    expect(parse(fs.readFileSync(path.join(home, '.cfg/b.yaml'), 'utf8'))).toEqual(want);
    expect(fs.existsSync(path.join(home, 'pwned'))).toBe(false);
    for (const f of ['a.json', 'b.yaml']) expect(fs.statSync(path.join(home, '.cfg', f)).mode & 0o777).toBe(0o600);

    expect(run().stdout).toContain('2 steps: 2 satisfied, 0 ran');
    const plan = await runCli(['--recipes', recipes, 'plan', 'cfg', '--exit-code'], home, { TOKEN: secret });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);

    const other = tempHome();
    const byRun = await runCli(['--recipes', recipes, 'run', 'cfg'], other, { TOKEN: secret });
    expect(byRun.code, byRun.stderr).toBe(0);
    expect(fs.readFileSync(path.join(other, '.cfg/a.json'), 'utf8')).toBe(jsonText);
  });
});
