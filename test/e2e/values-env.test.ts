import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 12: template values reach shell commands as environment variables, so a secret (or any value) is never
 * part of a process's argv — `ps` shows every user the argv of every process. While real `plan` and `run`
 * commands check and run a step whose `check:` and `run:` use a secret, every /proc/<pid>/cmdline is sampled.
 */

const root = tempHome('envkit-values-env-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every process's argv (NUL-separated, as the kernel keeps it) that holds `needle`, sampled until `done`. */
async function sampleArgv(needle: string, done: Promise<unknown>): Promise<{ hits: string[]; samples: number }> {
  const hits = new Set<string>();
  let finished = false;
  void done.finally(() => (finished = true));
  let samples = 0;
  while (!finished) {
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let argv: string;
      try {
        argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      } catch {
        continue;
      }
      if (argv.includes(needle)) hits.add(argv.replace(/\0/g, ' ').trim());
    }
    samples++;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { hits: [...hits], samples };
}

describe('a secret or a value in a shell command is never in any argv', () => {
  const SECRET = 'tok-3f9a7c21e5b8-SECRET';
  const recipes = writeRecipes(path.join(root, 'recipes'), {
    'sec.yaml':
      [
        'name: sec',
        'description: a secret in check and run',
        'steps:',
        '  - name: uses the token',
        '    run: sleep 1; echo {{ secrets.API_TOKEN }} "{{ secrets.API_TOKEN }}" > ~/token-used',
        '    check: sleep 1; test -f ~/token-used && test "$(cat ~/token-used)" = "{{ secrets.API_TOKEN }} {{ secrets.API_TOKEN }}"',
        'verify:',
        '  - command: sleep 1; test "$(cat ~/token-used)" = "{{ secrets.API_TOKEN }} {{ secrets.API_TOKEN }}"',
      ].join('\n') + '\n',
  });

  it('the sampler finds a value that is in an argv (it can fail)', async () => {
    const p = spawn('bash', ['-c', 'sleep 1; true', SECRET.replace('SECRET', 'CONTROL')], { stdio: 'ignore' });
    const done = new Promise((r) => p.on('exit', r));
    const { hits } = await sampleArgv(SECRET.replace('SECRET', 'CONTROL'), done);
    expect(hits.length).toBeGreaterThan(0);
  });

  it('plan, run, a re-plan and doctor: 0 argv hits, and the secret did reach the commands', async () => {
    const home = fs.mkdtempSync(path.join(root, 'home-'));
    let total = 0;
    for (const args of [
      ['plan', 'sec'],
      ['run', 'sec'],
      ['plan', 'sec', '--exit-code'],
      ['doctor', 'sec'],
    ]) {
      const child = startCli(['--recipes', recipes, ...args], home, { API_TOKEN: SECRET });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const exited = new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((res) =>
        child.on('close', (exitCode) => res({ exitCode, stdout, stderr })),
      );
      const { hits, samples } = await sampleArgv(SECRET, exited);
      const r = await exited;
      expect(r.exitCode, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(hits, args.join(' ')).toEqual([]);
      expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
      total += samples;
    }
    expect(fs.readFileSync(path.join(home, 'token-used'), 'utf8')).toBe(`${SECRET} ${SECRET}\n`);
    console.log(`values-env: ${total} samples of every /proc/*/cmdline during plan, run, plan, doctor: 0 hits`);
  });
});

describe('typed variables are checked wherever a value comes from', () => {
  const recipes = writeRecipes(path.join(root, 'typed'), {
    'typed.yaml':
      'name: typed\ndescription: typed vars\nvars:\n  jobs: { default: 2, type: int }\n  arch: { default: A, type: enum, values: [A, B] }\nsteps:\n  - run: echo $(( {{ jobs }} * 2 )) {{ arch }} > ~/out\n    creates: ~/out\n',
  });

  it('a bad --set or config.yaml value exits 2 before anything runs, naming where it came from', async () => {
    const home = fs.mkdtempSync(path.join(root, 'home-'));
    for (const [set, want] of [
      ['jobs=a[$(touch ~/PWNED)]', /--set jobs: "a\[\$\(touch ~\/PWNED\)\]" is not an int/],
      ['typed.arch=C', /--set typed\.arch: "C" is not one of A, B \(typed declares arch as enum \(A, B\)\)/],
    ] as const) {
      for (const cmd of ['plan', 'run']) {
        const r = await runCli(['--recipes', recipes, cmd, 'typed', '--set', set], home);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(want);
      }
    }
    fs.mkdirSync(path.join(home, '.config', 'envkit'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config', 'envkit', 'config.yaml'), 'vars:\n  typed:\n    jobs: many\n');
    const r = await runCli(['--recipes', recipes, 'run', 'typed'], home);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/config\.yaml vars\.typed\.jobs: "many" is not an int/);
    const ok = await runCli(['--recipes', recipes, 'run', 'typed', '--set', 'jobs=21', '--set', 'arch=B'], home);
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'out'), 'utf8')).toBe('42 B\n');
    expect(fs.existsSync(path.join(home, 'PWNED'))).toBe(false);
  });
});

describe('a secret that would reach an argv some other way is refused, not run', () => {
  it('a make variable holding a secret (NAME=value is an argument): the step fails before make starts', async () => {
    const home = fs.mkdtempSync(path.join(root, 'home-'));
    fs.mkdirSync(path.join(home, 'mk'));
    fs.writeFileSync(path.join(home, 'mk', 'Makefile'), 'all: ; @echo made > made\n');
    const recipes = writeRecipes(path.join(root, 'mk-secret'), {
      'mks.yaml':
        'name: mks\ndescription: a secret as a make variable\nsteps:\n  - make: { dir: ~/mk, vars: { TOKEN: "{{ secrets.MK_TOKEN }}" } }\n    creates: ~/mk/made\n',
    });
    const r = await runCli(['--recipes', recipes, 'run', 'mks'], home, { MK_TOKEN: 'mk-token-7f3a9c' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/make: not started: a secret would be in its arguments/);
    expect(r.stderr).not.toContain('mk-token-7f3a9c');
    expect(fs.existsSync(path.join(home, 'mk', 'made'))).toBe(false);
  });
});
