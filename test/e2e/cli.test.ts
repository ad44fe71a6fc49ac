import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';
import { ROOT, normalize, runCli, snapshotTree, startCli, tempHome, writeRecipes } from './helpers.js';

const RECIPES = path.join(ROOT, 'test', 'fixtures', 'e2e');
const r = (...a: string[]): string[] => ['--recipes', RECIPES, '--prefix', '~/prefix', ...a];

/** A process that still runs (a zombie waiting for a reaper does not count: it has exited). */
const alive = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
};

describe('plan → run → plan', () => {
  it('converges a recipe with requires, then has nothing to do', async () => {
    const home = tempHome();
    const before = await runCli(r('plan', 'tool', '--exit-code'), home);
    expect(before.code, before.stderr).toBe(3);
    expectGolden('plan-tool.txt', normalize(before.stdout, home));

    const run = await runCli(r('run', 'tool'), home);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Done: 3 steps run/);
    expect(fs.readFileSync(path.join(home, 'work', 'base.txt'), 'utf8')).toBe('base linux\n');
    expect(fs.statSync(path.join(home, 'work', 'base.txt')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(home, 'prefix', 'bin', 'envkit-demo-tool'), 'utf8')).toContain('echo tool 1.2.3');

    const after = await runCli(r('plan', 'tool', '--exit-code'), home);
    expect(after.code, after.stdout).toBe(0);
    expectGolden('plan-tool-done.txt', normalize(after.stdout, home));

    const again = await runCli(r('run', 'tool'), home);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Nothing to do: 3 steps already satisfied/);

    // The env step wired the shell: a login bash sees the tool and the variable.
    const bashrc = fs.readFileSync(path.join(home, '.bashrc'), 'utf8');
    expect(bashrc.match(/>>> envkit >>>/g)).toHaveLength(1);
  });

  it('plan and doctor write nothing at all', async () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, '.bashrc'), '# mine\n');
    const snap = snapshotTree(home);
    expect((await runCli(r('plan'), home)).code).toBe(0);
    expect((await runCli(r('plan', '--json'), home)).code).toBe(0);
    await runCli(r('doctor', 'tool', '--offline'), home);
    await runCli(r('show', 'tool'), home);
    await runCli(r('list'), home);
    expect(snapshotTree(home)).toEqual(snap);
  });
});

describe('failures', () => {
  it('a failing step reports step, command, exit code, last lines, log and stops', async () => {
    const home = tempHome();
    const res = await runCli(r('run', 'broken'), home);
    expect(res.code).toBe(1);
    const err = normalize(res.stderr, home);
    expect(err).toContain('✗ broken › Compile everything failed: command exited 3');
    expect(err).toMatch(/step: +broken#2 \(.*broken\.yaml:7:5\)/);
    expect(err).toContain('exit:    3');
    expect(err).toContain('│ fatal: unit 31 does not compile');
    expect(err).toContain('│ compiling unit 30');
    expect(err).not.toContain('│ compiling unit 10\n');
    const log = /^ {2}log: +(\S+)/m.exec(res.stderr)![1]!;
    const logText = fs.readFileSync(log, 'utf8');
    expect(logText).toContain('compiling unit 1\n');
    expect(logText).toContain('fatal: unit 31 does not compile');
    expect(fs.existsSync(path.join(home, 'never-reached'))).toBe(false);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    const journal = fs
      .readFileSync(path.join(home, '.local', 'state', 'envkit', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(journal.map((e) => e.event)).toEqual(['run-start', 'step-ok', 'step-failed', 'run-end']);
    expectGolden('run-failure.txt', err.replace(/^\d+ steps to run.*\n/, '').replace(/log: +\S+/, 'log: <log>'));
  });

  it('a step whose command succeeds but whose check still fails is a failure', async () => {
    const home = tempHome();
    const res = await runCli(r('run', 'liar'), home);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('the step finished but is still not satisfied');
    expect(res.stderr).toContain('promised.txt does not exist');
  });

  it('unknown recipe: exit 2, one line, a suggestion', async () => {
    const home = tempHome();
    const res = await runCli(r('plan', 'tol'), home);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown recipe "tol" (did you mean "tool"?)');
    expect(res.stdout).toBe('');
  });

  it('a timeout stops the step and its children', async () => {
    const home = tempHome();
    const t0 = Date.now();
    const res = await runCli(r('run', 'timeout'), home);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('timed out after 1.0s');
    expect(Date.now() - t0).toBeLessThan(60_000); // the step sleeps 300 s: this proves the 1 s timeout stopped it
    const child = Number(fs.readFileSync(path.join(home, 'timeout-child.pid'), 'utf8'));
    await new Promise((ok) => setTimeout(ok, 300));
    expect(alive(child)).toBe(false);
  });

  /** `setup run slow`, once its step's shell and background child are running. */
  async function startSlowRun(home: string): Promise<{ p: ReturnType<typeof startCli>; child: number; shell: number }> {
    const p = startCli(r('run', 'slow'), home);
    const pidFile = path.join(home, 'slow-child.pid');
    for (let i = 0; i < 200 && !fs.existsSync(pidFile); i++) await new Promise((ok) => setTimeout(ok, 50));
    await new Promise((ok) => setTimeout(ok, 200));
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    const shell = Number(fs.readFileSync(path.join(home, 'slow.pid'), 'utf8'));
    expect(alive(child)).toBe(true);
    return { p, child, shell };
  }

  it('Ctrl-C stops the whole step, journals it, exits 130, and the next run goes on', async () => {
    const home = tempHome();
    const { p, child, shell } = await startSlowRun(home);
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.kill('SIGINT');
    const code = await new Promise<number | null>((ok) => p.on('exit', ok));
    expect(code, err).toBe(130);
    expect(err).toContain('interrupted');
    await new Promise((ok) => setTimeout(ok, 300));
    expect(alive(child)).toBe(false);
    expect(alive(shell)).toBe(false);
    const journal = fs.readFileSync(path.join(home, '.local', 'state', 'envkit', 'journal.jsonl'), 'utf8');
    expect(journal).toContain('"event":"step-interrupted"');
    const plan = await runCli(r('plan', 'slow', '--exit-code'), home);
    expect(plan.code).toBe(3);
  });

  it('a SIGKILL of setup itself still stops the running step and its children (the watchdog)', async () => {
    const home = tempHome();
    const { p, child, shell } = await startSlowRun(home);
    p.kill('SIGKILL');
    await new Promise((ok) => p.on('exit', ok));
    // Nothing of setup runs any more: only the watchdog it left can stop them (SIGTERM at once).
    for (let i = 0; i < 100 && (alive(child) || alive(shell)); i++) await new Promise((ok) => setTimeout(ok, 50));
    expect(alive(child)).toBe(false);
    expect(alive(shell)).toBe(false);
  }, 30_000);

  it('the watchdog SIGKILLs a step that ignores SIGTERM, after the grace', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'stubborn.yaml':
        'name: stubborn\ndescription: ignores SIGTERM\nsteps:\n  - run: |\n      trap "" TERM\n      sleep 300 &\n      echo $! > ~/stubborn.pid\n      wait\n    creates: ~/never\n',
    });
    const p = startCli(['--recipes', recipes, 'run', 'stubborn'], home);
    const pidFile = path.join(home, 'stubborn.pid');
    for (let i = 0; i < 200 && !fs.existsSync(pidFile); i++) await new Promise((ok) => setTimeout(ok, 50));
    await new Promise((ok) => setTimeout(ok, 100));
    const sleeper = Number(fs.readFileSync(pidFile, 'utf8'));
    p.kill('SIGKILL');
    await new Promise((ok) => p.on('exit', ok));
    await new Promise((ok) => setTimeout(ok, 1000));
    expect(alive(sleeper), 'SIGTERM is ignored: still running within the grace').toBe(true);
    for (let i = 0; i < 100 && alive(sleeper); i++) await new Promise((ok) => setTimeout(ok, 50));
    expect(alive(sleeper)).toBe(false);
  }, 30_000);
});

describe('variables', () => {
  it('--set overrides, globally and per recipe, and values stay literal', async () => {
    const home = tempHome();
    const evil = '$(touch pwned); `touch pwned2` \'quoted\' "dq" ; echo done\nnext line';
    const res = await runCli(r('run', 'quoting', '--set', `quoting.message=${evil}`), home);
    expect(res.code, res.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'message.txt'), 'utf8')).toBe(evil);
    expect(fs.existsSync(path.join(home, 'pwned'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'pwned2'))).toBe(false);
    const plan = await runCli(r('plan', 'quoting', '--exit-code', '--set', `message=${evil}`), home);
    expect(plan.code).toBe(0);

    const show = await runCli(r('show', 'tool', '--set', 'tool.version=9.9', '--json'), home);
    const doc = JSON.parse(show.stdout);
    expect(doc.kind).toBe('show');
    expect(doc.vars).toContainEqual({ name: 'version', value: '9.9', source: '--set' });
    expect(doc.vars).toContainEqual({ name: 'dest', value: path.join(home, 'prefix', 'bin'), source: 'default' });
  });

  it('--set of a variable no recipe has is an error before anything runs', async () => {
    const home = tempHome();
    const res = await runCli(r('run', 'tool', '--set', 'verison=2'), home);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--set verison: no recipe here has a variable "verison" (did you mean "version"?)');
    expect(fs.existsSync(path.join(home, 'work'))).toBe(false);
  });
});

describe('doctor', () => {
  it('--json: only JSON on stdout, ✗ with a fix, exit 1 until installed', async () => {
    const home = tempHome();
    const res = await runCli(r('doctor', 'tool', '--json', '--offline'), home);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ kind: 'doctor', version: 1, status: 'fail', recipes: ['tool'] });
    expect(typeof doc.facts.distro).toBe('string');
    expect(typeof doc.facts.cpus).toBe('number');
    const failing = doc.items.filter((i: { status: string }) => i.status === 'fail');
    expect(failing.length).toBeGreaterThan(0);
    for (const i of failing) expect(i.fix).toBe('setup run tool');

    expect((await runCli(r('run', 'tool'), home)).code).toBe(0);
    const ok = await runCli(r('doctor', 'tool', '--offline'), home);
    expect(ok.code, ok.stdout).toBe(0);
    const section = normalize(ok.stdout.slice(ok.stdout.indexOf('\ntool\n') + 1), home);
    expectGolden('doctor-tool.txt', section);
    // Default: every fully installed recipe.
    const all = await runCli(r('doctor', '--json', '--offline'), home);
    expect(JSON.parse(all.stdout).recipes).toEqual(expect.arrayContaining(['base', 'tool']));
  });
});

describe('json everywhere', () => {
  it('list, show, plan, validate print one JSON document on stdout', async () => {
    const home = tempHome();
    for (const args of [
      r('list', '--json'),
      r('show', 'base', '--json'),
      r('plan', 'base', '--json'),
      ['validate', RECIPES, '--json'],
    ]) {
      const res = await runCli(args, home);
      expect(() => JSON.parse(res.stdout), args.join(' ')).not.toThrow();
      expect(JSON.parse(res.stdout).version).toBe(1);
    }
  });
});

describe('doctor and the mirror profile', () => {
  it('reports the active profile and whether each of its hosts answers', async () => {
    const http = await import('node:http');
    const server = http.createServer((_q, s) => s.end('ok'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const home = tempHome();
      const profile = path.join(home, 'local.yaml');
      fs.writeFileSync(
        profile,
        `name: local\ndescription: a local test mirror\npip: { index-url: "http://127.0.0.1:${port}/simple" }\ngo: { proxy: "http://127.0.0.1:1/,direct" }\n`,
      );
      const res = await runCli(r('doctor', '--mirror', profile, '--json'), home);
      const doc = JSON.parse(res.stdout);
      expect(doc.profile).toEqual({ name: 'local', description: 'a local test mirror' });
      const hosts = doc.items.filter((i: { recipe?: string }) => !i.recipe);
      expect(hosts).toContainEqual(expect.objectContaining({ label: `http://127.0.0.1:${port}`, status: 'ok' }));
      expect(hosts).toContainEqual(expect.objectContaining({ label: 'http://127.0.0.1:1', status: 'warn' }));
      const offline = JSON.parse((await runCli(r('doctor', '--mirror', profile, '--json', '--offline'), home)).stdout);
      // Offline, the hosts are not asked, and each says so (issue 18: skipped, not left out).
      const skipped = offline.items.filter((i: { check: string }) => i.check === 'mirror-hosts');
      expect(skipped.map((i: { label: string }) => i.label)).toEqual(
        expect.arrayContaining([`http://127.0.0.1:${port}`, 'http://127.0.0.1:1']),
      );
      for (const i of skipped) expect(i).toMatchObject({ status: 'skipped', message: 'not asked (--offline)' });
      expect(offline.counts.skipped).toBe(skipped.length);
    } finally {
      server.close();
    }
  });
});

describe('one run at a time', () => {
  it("a second run waits for the first (or fails with --no-wait), and a killed holder's lock is taken over", async () => {
    const home = tempHome();
    const first = startCli(r('run', 'slow'), home);
    const pidFile = path.join(home, 'slow-child.pid');
    for (let i = 0; i < 200 && !fs.existsSync(pidFile); i++) await new Promise((ok) => setTimeout(ok, 50));
    const nowait = await runCli(r('run', 'base', '--no-wait'), home);
    expect(nowait.code).toBe(1);
    expect(nowait.stderr).toMatch(/another setup run holds the lock \(pid \d+: `setup run slow`/);

    const second = startCli(r('run', 'base'), home);
    let err = '';
    second.stderr.on('data', (d) => (err += d));
    for (let i = 0; i < 100 && !err.includes('waiting for another setup run'); i++)
      await new Promise((ok) => setTimeout(ok, 50));
    expect(err).toContain('waiting for another setup run to finish (pid');
    expect(fs.existsSync(path.join(home, 'work', 'base.txt'))).toBe(false);

    // The holder dies without cleaning up (SIGKILL): its lock goes stale and the waiting run proceeds.
    first.kill('SIGKILL');
    const code = await new Promise<number | null>((ok) => second.on('exit', ok));
    expect(code, err).toBe(0);
    expect(fs.existsSync(path.join(home, 'work', 'base.txt'))).toBe(true);
    // Its step's children are stopped by the watchdog; make sure of it for the test's sake.
    try {
      process.kill(-Number(fs.readFileSync(path.join(home, 'slow.pid'), 'utf8')), 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 60_000);
});

describe('secrets', () => {
  const SECRET = 'hunter2-Sup3r$ecret';
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));

  it('never appear in plan, show, --json, logs, journal or failure reports', async () => {
    const home = tempHome();
    const env = { DEMO_TOKEN: SECRET };
    const outputs: string[] = [];
    for (const args of [
      r('plan', 'secretive'),
      r('plan', 'secretive', '--json'),
      r('show', 'secretive'),
      r('show', 'secretive', '--json'),
      r('run', 'secretive', '-v'),
      r('run', 'secretive', '--set', 'secretive.code=3'),
    ]) {
      const res = await runCli(args, home, env);
      outputs.push(res.stdout, res.stderr);
    }
    const failed = outputs.join('\n');
    expect(failed).toContain('bad token ***');
    expect(failed).toContain('token is *** for envkit');
    for (const text of outputs) expect(text).not.toContain(SECRET);
    for (const file of walk(home)) expect(fs.readFileSync(file, 'utf8'), file).not.toContain(SECRET);
    // The command itself got the real value.
    const sha = (await import('node:crypto')).createHash('sha256').update(SECRET).digest('hex');
    expect(fs.readFileSync(path.join(home, 'token.sha'), 'utf8')).toContain(sha);
  });

  it('a missing secret stops run before anything runs, with where it is used; plan still works', async () => {
    const home = tempHome();
    const plan = await runCli(r('plan', 'secretive'), home);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('<secret DEMO_TOKEN not set>');
    const run = await runCli(r('run', 'secretive'), home);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /secretive\.yaml:\d+:\d+: error: secret DEMO_TOKEN is not set \(recipe secretive needs it\)/,
    );
    expect(fs.existsSync(path.join(home, 'token.sha'))).toBe(false);
  });

  it('can come from the secrets file named in config.yaml', async () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, '.config', 'envkit'), { recursive: true });
    fs.writeFileSync(path.join(home, 'secrets.env'), `# tokens\nDEMO_TOKEN="${SECRET}"\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(home, '.config', 'envkit', 'config.yaml'), 'secrets: ~/secrets.env\n');
    const run = await runCli(r('run', 'secretive'), home);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain(SECRET);
  });
});

describe('verify items', () => {
  it('python, pip, apt, url, file, env and command items each pass and fail for real', async () => {
    const http = await import('node:http');
    const server = http.createServer((_q, s) => s.end('ok'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const home = tempHome();
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/health`;
      const res = await runCli(r('doctor', 'checks', '--json', '--offline'), home, { CHECK_URL: url });
      const doc = JSON.parse(res.stdout);
      const by = (label: string): { status: string; message: string } =>
        doc.items.find((i: { label: string }) => i.label === label);
      expect(by('import json').status).toBe('ok');
      expect(by('import no_such_module_envkit')).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('ModuleNotFoundError'),
      });
      expect(by('pip pip>=1').status).toBe('ok');
      expect(by('pip envkit-no-such-dist>=1')).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('not installed'),
      });
      if (fs.existsSync('/var/lib/dpkg/status')) {
        expect(by('package coreutils').status).toBe('ok');
        expect(by('package envkit-no-such-package').status).toBe('fail');
      }
      expect(by('***').status).toBe('ok'); // the URL came from a secret: masked even as a label
      expect(by('/').status).toBe('ok');
      expect(by('$HOME').status).toBe('ok');
      expect(by('git --version >=2').status).toBe('ok');
      expect(res.code).toBe(1);
    } finally {
      server.close();
    }
  });
});
