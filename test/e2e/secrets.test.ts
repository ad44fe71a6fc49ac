import { execFile, execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCmdlines, startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { BIN, cliEnv, runCli, tempHome, writeRecipes } from './helpers.js';

/** Every regular file under a folder. */
const walk = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []))
    : [];

/** The forms of a secret the tool itself writes: raw, shell-quoted (`'\''`), JSON-escaped, make's `$$`, URL-encoded. */
function encodings(s: string): string[] {
  const shell = s.replace(/'/g, `'\\''`);
  return [...new Set([s, shell, JSON.stringify(s).slice(1, -1), s.replace(/\$/g, '$$$$'), encodeURIComponent(s)])];
}

/** Files under `dir` (all but `except`) and texts that hold any needle: [where, needle]. */
function leaks(
  needles: readonly string[],
  texts: Record<string, string>,
  dir?: string,
  except: (f: string) => boolean = () => false,
): string[] {
  const found: string[] = [];
  const look = (where: string, text: string): void => {
    for (const n of needles) if (text.includes(n)) found.push(`${where} holds ${JSON.stringify(n)}`);
  };
  for (const [k, t] of Object.entries(texts)) look(k, t);
  if (dir) for (const f of walk(dir)) if (!except(f)) look(f, fs.readFileSync(f, 'utf8'));
  return found;
}

describe('a secret shorter than 4 characters', () => {
  const recipe = {
    'tiny.yaml': 'name: tiny\ndescription: uses a secret\nsteps:\n  - run: printf "%s" {{ secrets.TINY }} > ~/ran\n',
  };

  it('is refused by plan and run, from the environment, naming it and where it came from; nothing runs', async () => {
    for (const value of ['', 'a', 'ab', 'abc']) {
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'recipes'), recipe);
      for (const args of [
        ['plan', 'tiny'],
        ['run', 'tiny'],
        ['show', 'tiny'],
        ['validate', recipes],
      ]) {
        const res = await runCli(['--recipes', recipes, ...args], home, { TINY: value });
        expect(res.code, res.stderr).toBe(2);
        expect(res.stderr).toMatch(
          new RegExp(
            `tiny\\.yaml:4:\\d+: error: secret TINY \\(from the environment variable TINY\\) is ${value.length} characters? long: secrets must have at least 4`,
          ),
        );
        expect(res.stderr).not.toMatch(/\n\s+at /); // no stack
      }
      expect(fs.existsSync(path.join(home, 'ran'))).toBe(false);
    }
  });

  it('a multi-line secret with a line under 4 characters is refused too (output is shown line by line)', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), recipe);
    const res = await runCli(['--recipes', recipes, 'run', 'tiny'], home, { TINY: 'long enough\nab\nand more' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /tiny\.yaml:4:\d+: error: secret TINY \(from the environment variable TINY\) has a line of 2 characters/,
    );
    expect(fs.existsSync(path.join(home, 'ran'))).toBe(false);
  });

  it('is refused when it comes from the secrets file, with the file and line', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), recipe);
    fs.mkdirSync(path.join(home, '.config', 'envkit'), { recursive: true });
    fs.writeFileSync(path.join(home, 'secrets.env'), '# tokens\nOTHER=x\nTINY="ab"\n', { mode: 0o600 });
    fs.writeFileSync(
      path.join(home, '.config', 'envkit', 'config.yaml'),
      'secrets: ~/secrets.env\nrecipes: [~/recipes]\n',
    );
    for (const args of [['--recipes', recipes, 'run', 'tiny'], ['--recipes', recipes, 'plan', 'tiny'], ['validate']]) {
      const res = await runCli(args, home);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(
        `secret TINY (from the secrets file ${path.join(home, 'secrets.env')}:3) is 2 characters long`,
      );
    }
    expect(fs.existsSync(path.join(home, 'ran'))).toBe(false);
    // 4 characters is enough.
    const ok = await runCli(['--recipes', recipes, 'run', 'tiny'], home, { TINY: 'abcd' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'ran'), 'utf8')).toBe('abcd');
  });
});

describe('env.sh', () => {
  it('is 0600 when a value came from a secret, stays so on later writes; 0644 (umask) otherwise', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'plain.yaml': 'name: plain\ndescription: d\nsteps:\n  - env: { set: { PLAIN: hello } }\n',
      'tok.yaml': 'name: tok\ndescription: d\nsteps:\n  - env: { set: { API_TOKEN: "{{ secrets.API_TOKEN }}" } }\n',
      'more.yaml': 'name: more\ndescription: d\nsteps:\n  - env: { set: { MORE: world } }\n',
    });
    const envFile = path.join(home, '.config', 'envkit', 'env.sh');
    const mode = (): string => (fs.statSync(envFile).mode & 0o777).toString(8);
    const run = async (name: string): Promise<void> => {
      const r = await runCli(['--recipes', recipes, 'run', name], home, { API_TOKEN: 'tok-1234-secret' });
      expect(r.code, r.stderr).toBe(0);
    };
    await run('plain');
    expect(fs.existsSync(envFile), 'env file path').toBe(true);
    expect(mode()).toBe('644');
    await run('tok');
    expect(mode()).toBe('600');
    expect(fs.readFileSync(envFile, 'utf8')).toContain('export API_TOKEN=tok-1234-secret');
    await run('more'); // knows no secret, writes the file again
    expect(fs.readFileSync(envFile, 'utf8')).toContain('export MORE=world');
    expect(mode()).toBe('600');
  });
});

describe('masking covers every encoding the tool writes', () => {
  const MAKEFILE = 'export SECRET_VAR\nall:\n\t@printf "make got %s\\n" "$$SECRET_VAR"\n';
  const RECIPE = `name: leaky
description: a secret through env, shell, argv, make vars, a config file and a failing command
steps:
  - name: shell text
    run: printf 'shell %s\\n' {{ secrets.FUZZ }}
  - name: double quotes
    run: printf 'dq %s\\n' "{{ secrets.FUZZ }}"
  - name: step env
    run: printf 'env %s\\n' "$TOKEN"; printf '%s' "$TOKEN" | od -c | head -3
    env: { TOKEN: "{{ secrets.FUZZ }}" }
  # A make variable refuses a template value a Makefile's shell line would run (most of these secrets):
  # make gets it from the environment instead.
  - name: make vars
    make: { dir: "{{ dirs.home }}/mk" }
    env: { SECRET_VAR: "{{ secrets.FUZZ }}" }
  - name: config file (written on purpose)
    config: { path: ~/out/conf.json, set: { token: "{{ secrets.FUZZ }}" } }
  - name: echo and fail
    run: echo "bad token $TOKEN"; echo {{ secrets.FUZZ }} >&2; exit 3
    env: { TOKEN: "{{ secrets.FUZZ }}" }
`;
  // Quotes, $, backslashes, backticks, newlines, tabs, unicode — and letters, so some are plain words.
  const piece = fc.oneof(
    fc.constantFrom(
      "'",
      '"',
      '$',
      '$$',
      '\\',
      '`',
      '\n',
      '\t',
      ' ',
      '%',
      '{{',
      '$(',
      'é',
      '€',
      '😀',
      '中',
      '&',
      ';',
      '=',
      '#',
      '!',
    ),
    fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
      minLength: 1,
      maxLength: 4,
    }),
  );
  // Each line of a multi-line secret has at least 4 characters (shorter ones are refused: see below).
  const secret = fc
    .array(piece, { minLength: 4, maxLength: 12 })
    .map((p) => ('Zq' + p.join('')).replace(/(^|\n)([^\n]{1,3})(?=\n|$)/g, '$1$2Zq!'))
    .filter((s) => s.trim().length >= 4);
  const RUNS = Number(process.env.ENVKIT_FUZZ_RUNS ?? 20);

  it(`${RUNS} random secrets: no output, log, journal, --json or state file holds one in any encoding`, async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(secret, async (s) => {
        const home = tempHome('envkit-mask-');
        const recipes = writeRecipes(path.join(home, 'recipes'), { 'leaky.yaml': RECIPE });
        fs.mkdirSync(path.join(home, 'mk'));
        fs.writeFileSync(path.join(home, 'mk', 'Makefile'), MAKEFILE);
        const env = { FUZZ: s };
        const texts: Record<string, string> = {};
        for (const args of [
          ['plan', 'leaky', '--diff'],
          ['plan', 'leaky', '--json', '--diff'],
          ['show', 'leaky'],
          ['show', 'leaky', '--json'],
          ['run', 'leaky', '-v', '--diff'],
          ['run', 'leaky', '--json', '--report', 'report.xml'],
        ]) {
          const r = await runCli(['--recipes', recipes, ...args], home, env);
          texts[`${args.filter((a) => a !== '--diff').join(' ')} stdout`] = r.stdout;
          texts[`${args.filter((a) => a !== '--diff').join(' ')} stderr`] = r.stderr;
          if (args.includes('--report')) texts['report.xml'] = fs.readFileSync(path.join(home, 'report.xml'), 'utf8');
          if (args[0] === 'run') expect(r.code, r.stderr).toBe(1); // the last step fails
        }
        // The steps ran with the real value: the config step wrote it, the failure was reported (masked).
        expect(JSON.parse(fs.readFileSync(path.join(home, 'out', 'conf.json'), 'utf8')).token).toBe(s);
        expect(texts['run leaky -v stderr']).toContain('bad token ***');
        // --diff showed the config file the secret goes into (masked: `leaks` below looks for it).
        expect(texts['plan leaky stdout']).toMatch(/\+\+\+ \S*out\/conf\.json\n/);
        expect(texts['run leaky -v stderr']).toMatch(/\+\+\+ \S*out\/conf\.json\n/);
        const found = leaks(
          encodings(s),
          texts,
          home,
          (f) =>
            f === path.join(home, 'out', 'conf.json') ||
            f.startsWith(path.join(home, 'recipes')) ||
            f.startsWith(path.join(home, 'mk')),
        );
        expect(found, JSON.stringify(s)).toEqual([]);
        // --json outputs still parse (masks laid over data, not over JSON text).
        for (const k of [
          'plan leaky --json stdout',
          'show leaky --json stdout',
          'run leaky --json --report report.xml stdout',
        ])
          expect(() => JSON.parse(texts[k]!), k).not.toThrow();
        for (const line of fs
          .readFileSync(path.join(home, '.local', 'state', 'envkit', 'journal.jsonl'), 'utf8')
          .trim()
          .split('\n'))
          JSON.parse(line);
        checked++;
        fs.rmSync(home, { recursive: true, force: true });
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(checked).toBe(RUNS);
  }, 900_000);
});

describe('git credentials never reach argv or .git/config', () => {
  const USER = 'envkit';
  const PASSWORD = `ghp_${crypto.randomBytes(12).toString('hex')}@x`; // '@' must be percent-encoded in a URL
  const WRITTEN = encodeURIComponent(PASSWORD);
  const BASE64 = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const NEEDLES = [PASSWORD, WRITTEN, BASE64];
  let root: string;
  let server: GitHttpServer;

  const g = (cwd: string, ...args: string[]): string =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-gitauth-')));
    const srv = path.join(root, 'srv', 'org');
    fs.mkdirSync(srv, { recursive: true });
    const work = path.join(root, 'work');
    // sub.git: one file. main.git: a file and sub as a submodule at a relative URL (../sub.git).
    for (const name of ['sub', 'main']) {
      const w = path.join(work, name);
      fs.mkdirSync(w, { recursive: true });
      g(w, 'init', '-q', '-b', 'main');
      fs.writeFileSync(path.join(w, `${name}.txt`), `${name}\n`);
      g(w, 'add', '.');
      if (name === 'main') {
        const subSha = g(path.join(work, 'sub'), 'rev-parse', 'HEAD');
        fs.writeFileSync(path.join(w, '.gitmodules'), '[submodule "sub"]\n\tpath = sub\n\turl = ../sub.git\n');
        g(w, 'add', '.gitmodules');
        g(w, 'update-index', '--add', '--cacheinfo', `160000,${subSha},sub`);
      }
      g(w, 'commit', '-q', '-m', name);
      g(w, 'tag', 'v1');
      g(root, 'clone', '-q', '--bare', w, path.join(srv, `${name}.git`));
    }
    server = await startGitHttpServer(path.join(root, 'srv'), USER, PASSWORD);
  });

  afterAll(async () => {
    await server?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  /** Runs plan and run, sampling every process's argv meanwhile; checks the clone and every file and output. */
  async function cloneAndCheck(home: string, args: string[], env: Record<string, string>): Promise<void> {
    const plan = await runCli([...args, 'plan', 'src'], home, env);
    expect(plan.code, plan.stderr).toBe(0);
    const refusedBefore = server.refused;
    const sampler = sampleCmdlines(fs, NEEDLES, /\bgit\b.*(clone|fetch|submodule|remote-http|ls-remote)/);
    const run = await runCli([...args, 'run', 'src', '-v'], home, env);
    const sampled = sampler.stop();
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const dest = path.join(home, 'main');
    expect(fs.readFileSync(path.join(dest, 'main.txt'), 'utf8')).toBe('main\n');
    expect(fs.readFileSync(path.join(dest, 'sub', 'sub.txt'), 'utf8')).toBe('sub\n');
    expect(server.refused - refusedBefore, 'requests without the credential').toBe(0);
    expect(sampled.seen, 'the sampler saw git at work').toBeGreaterThan(0);
    expect(sampled.hits, 'argv holding the credential').toEqual([]);
    // Nothing under HOME (the clone's .git/config, its submodules' configs, logs, journal, state) holds it.
    const again = await runCli([...args, 'plan', 'src', '--json'], home, env);
    expect(
      leaks(
        NEEDLES,
        { plan: plan.stdout + plan.stderr, run: run.stdout + run.stderr, again: again.stdout },
        home,
        (f) => f.startsWith(path.join(home, 'recipes')),
      ),
    ).toEqual([]);
    expect(JSON.parse(again.stdout).counts?.run ?? 0).toBe(0);
    expect(g(dest, 'config', 'remote.origin.url')).not.toContain('@');
    console.log(
      `git credentials: ${sampled.samples} /proc samples, ${sampled.seen} git argvs seen, 0 holding the credential; ${server.served} authenticated requests`,
    );
  }

  it('a token in the mirror profile: clone and submodule through the rewrite, credential only in the environment', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'src.yaml':
        'name: src\ndescription: d\nsteps:\n  - git: { repo: "https://github.com/org/main.git", ref: v1, dest: ~/main, submodules: true }\n',
    });
    const profile = path.join(home, 'recipes', 'mirror.yaml');
    fs.writeFileSync(
      profile,
      `name: authmirror\ngit:\n  rewrite:\n    "https://github.com/": "${server.url.replace('http://', `http://${USER}:${WRITTEN}@`)}"\n`,
    );
    await cloneAndCheck(home, ['--recipes', recipes, '--mirror', profile], {});
    const g2 = g(path.join(home, 'main'), 'config', 'remote.origin.url');
    expect(g2).toBe('https://github.com/org/main.git');
  }, 120_000);

  it('a token from a secret in the recipe URL: origin recorded without it; relative submodules on the same host', async () => {
    const home = tempHome();
    const host = server.url.replace('http://', '');
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'src.yaml': `name: src\ndescription: d\nsteps:\n  - git: { repo: "http://${USER}:{{ secrets.GIT_TOKEN }}@${host}org/main.git", ref: v1, dest: ~/main, submodules: true }\n`,
    });
    await cloneAndCheck(home, ['--recipes', recipes], { GIT_TOKEN: WRITTEN });
    const dest = path.join(home, 'main');
    expect(g(dest, 'config', 'remote.origin.url')).toBe(`${server.url}org/main.git`);
    // A clone whose origin holds the token (made by an older envkit, or by hand): plan says so, run takes it out.
    g(dest, 'remote', 'set-url', 'origin', `http://${USER}:${WRITTEN}@${host}org/main.git`);
    const plan = await runCli(['--recipes', recipes, 'plan', 'src'], home, { GIT_TOKEN: WRITTEN });
    expect(plan.stdout).toContain('holds a credential');
    expect(leaks(NEEDLES, { plan: plan.stdout + plan.stderr })).toEqual([]);
    const run = await runCli(['--recipes', recipes, 'run', 'src'], home, { GIT_TOKEN: WRITTEN });
    expect(run.code, run.stderr).toBe(0);
    expect(g(dest, 'config', 'remote.origin.url')).toBe(`${server.url}org/main.git`);
    expect(leaks(NEEDLES, {}, dest)).toEqual([]);
  }, 120_000);
});

/** Root steps as a user with passwordless sudo: the step's env must never be in any argv. */
describe('root steps through sudo', () => {
  const USER = 'envkit-sudo-t';
  const SUDOERS = '/etc/sudoers.d/envkit-sudo-test';
  const SECRET = `pg-${crypto.randomBytes(10).toString('hex')}-'q"$`;
  let why = '';
  let home = '';

  beforeAll(() => {
    if (process.getuid?.() !== 0) return void (why = 'needs root to create a user and a sudoers file');
    if (!fs.existsSync('/usr/bin/sudo')) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
      spawnSync('apt-get', ['install', '-y', '-qq', 'sudo'], {
        stdio: 'ignore',
        timeout: 300_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      if (!fs.existsSync('/usr/bin/sudo')) return void (why = 'sudo is not installed and apt-get could not install it');
    }
    spawnSync('userdel', ['-r', USER], { stdio: 'ignore' });
    if (spawnSync('useradd', ['-m', '-s', '/bin/bash', USER]).status !== 0) return void (why = 'useradd failed');
    fs.writeFileSync(SUDOERS, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-sudo-'));
    fs.chmodSync(home, 0o755);
  });

  afterAll(() => {
    if (fs.existsSync(SUDOERS)) fs.rmSync(SUDOERS);
    spawnSync('userdel', ['-r', USER], { stdio: 'ignore' });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('a root: true step with a secret in env: not in any argv while it runs; the command gets it; the env file is gone', async (ctx) => {
    if (why) {
      console.log(`skipped: ${why}`);
      return ctx.skip();
    }
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'pg.yaml': `name: pg
description: d
steps:
  - name: as root with a secret
    run: test "$(id -u)" = 0; printf '%s' "$PGPASSWORD" | sha256sum > ${home}/out/sha; printf '%s' "$PLAIN" > ${home}/out/plain; sleep 2
    env: { PGPASSWORD: "{{ secrets.PG_PASSWORD }}", PLAIN: "two words" }
    root: true
`,
    });
    fs.mkdirSync(path.join(home, 'out'));
    execFileSync('chown', ['-R', `${USER}:${USER}`, home]);
    const sampler = sampleCmdlines(fs, [SECRET], /^(sudo -n|bash -c \. |bash -e -o pipefail|sleep 2)/);
    // Asynchronously: the sampler runs on this process's event loop while the CLI works.
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'runuser',
        ['-u', USER, '--', process.execPath, BIN, '--recipes', recipes, 'run', 'pg', '-v'],
        { env: { ...cliEnv(home), HOME: home, PG_PASSWORD: SECRET, USER }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
    const sampled = sampler.stop();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(fs.readFileSync(path.join(home, 'out', 'sha'), 'utf8')).toContain(
      crypto.createHash('sha256').update(SECRET).digest('hex'),
    );
    expect(fs.readFileSync(path.join(home, 'out', 'plain'), 'utf8')).toBe('two words');
    expect(sampled.seen, 'the sampler saw the step').toBeGreaterThan(0);
    expect(sampled.hits).toEqual([]);
    // The private env file is gone; nothing the tool wrote holds the secret.
    expect(
      walk(path.join(home, '.local', 'state', 'envkit')).filter((f) =>
        path.basename(path.dirname(f)).startsWith('envkit-root-'),
      ),
    ).toEqual([]);
    expect(leaks([SECRET], { out: r.stdout + r.stderr }, path.join(home, '.local'))).toEqual([]);
    console.log(`sudo: ${sampled.samples} /proc samples, ${sampled.seen} argvs of the step seen, 0 holding the secret`);
  }, 120_000);
});

describe('a secret that changed', () => {
  const OLD = 'old-token-9876';
  const NEW = 'new-token-1234';
  const recipe = `name: rot
description: a rotated token, in every kind that compares values
steps:
  - name: ini
    config: { path: ~/a.ini, set: { main.token: "{{ secrets.API_TOKEN }}" } }
  - name: json
    config: { path: ~/a.json, set: { token: "{{ secrets.API_TOKEN }}" } }
  - name: yaml
    config: { path: ~/a.yaml, set: { token: "{{ secrets.API_TOKEN }}" } }
  - name: env
    env: { set: { API_TOKEN: "{{ secrets.API_TOKEN }}" } }
verify:
  - env: TOOL_TOKEN
    value: "{{ secrets.API_TOKEN }}"
`;

  it('shows neither the old value nor the new in plan, doctor, --json, --diff or the run log', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), { 'rot.yaml': recipe });
    const put = (rel: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
      fs.writeFileSync(path.join(home, rel), text);
    };
    put('a.ini', `[main]\ntoken = ${OLD}\n`);
    // On one line with another key: the diff cannot find it by the line's key.
    put('a.json', `{"a": 1, "token": "${OLD}"}\n`);
    put('a.yaml', `token: ${OLD}\n`);
    put('.config/envkit/env.sh', `export API_TOKEN=${OLD}\n`);
    const env = { API_TOKEN: NEW };
    const cli = (...args: string[]) => runCli(['--recipes', recipes, ...args], home, env);
    const outputs: Record<string, string> = {};
    for (const args of [
      ['plan', 'rot'],
      ['plan', 'rot', '--json'],
      ['plan', 'rot', '--diff'],
      ['plan', 'rot', '--diff', '--json'],
      ['doctor', 'rot'],
      ['doctor', 'rot', '--json'],
    ]) {
      const r = await cli(...args);
      outputs[args.join(' ')] = r.stdout + r.stderr;
    }
    // The shell still holds the old token: doctor's verify item compares it with the secret.
    const doctorShell = await runCli(['--recipes', recipes, 'doctor', 'rot', '--json'], home, {
      ...env,
      TOOL_TOKEN: OLD,
    });
    expect(doctorShell.stdout).toContain('differs from the secret it wants (values not shown)');
    outputs['doctor (old token in the shell)'] = doctorShell.stdout + doctorShell.stderr;
    const run = await cli('run', 'rot', '--diff');
    expect(run.code, run.stderr).toBe(0);
    outputs['run --diff'] = run.stdout + run.stderr;
    const logs = path.join(home, '.local', 'state', 'envkit', 'logs');
    for (const f of walk(logs)) outputs[f] = fs.readFileSync(f, 'utf8');

    expect(outputs['plan rot']).toContain('main.token differs from the secret it wants (values not shown)');
    expect(outputs['plan rot']).toContain('API_TOKEN differs from the secret it wants (values not shown)');
    expect(outputs['doctor rot']).toContain('differs from the secret it wants (values not shown)');
    expect(outputs['plan rot --diff']).toMatch(/-\{"a": 1, "token": "\*\*\*"\}/);
    expect(leaks([...encodings(OLD), ...encodings(NEW)], outputs)).toEqual([]);
  });
});
