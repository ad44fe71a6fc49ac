import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptInstalled, aptWhyNot, purgeApt } from '../helpers/apt.js';
import { serve, sha256 } from '../helpers/archives.js';
import { git, mirrorRepo } from '../helpers/git-mirror.js';
import { localProfile } from '../helpers/local-profile.js';
import { makeIndex } from '../helpers/pip-index.js';
import { which } from '../../src/util/which.js';
import { BIN, cliEnv, tempHome, writeRecipes } from './helpers.js';
import { hostHasVenv, pipCli, python3 } from './pip-cli.js';

/**
 * Issue 15: `setup export sh` writes one bash script for a machine with neither Node nor Ansible. Run twice
 * in a fresh HOME it does nothing the second time, and it leaves the same files as `setup run` of the same
 * recipes in another fresh HOME: the clone and its submodules at the same commits, the same file contents
 * and modes, the same distributions in the venv, the same rc, env and config files. A failing step stops it
 * with the step's name; a secret missing from the environment stops it before any step.
 */

/** A small Debian package no other test installs (bundle.test.ts uses hello, apt-bundle.test.ts fortune-mod). */
const APT_PKG = 'sl';
const aptSkip = aptWhyNot(APT_PKG);
if (aptSkip) console.warn(`[export-sh] the apt step is left out: ${aptSkip}`);

/** The secret the recipes read: the script must never hold it. */
const TOKEN = 'export-sh-token-8d1e44';

/**
 * Runs the script with bash in `home`, with no PIP_* of the host (as pipCli gives setup). Asynchronously:
 * the HTTP server the download comes from runs in this process.
 */
function bash(
  script: string,
  home: string,
  extra: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = cliEnv(home, { PIP_CACHE_DIR: path.join(home, 'pip-cache'), PIP_CONFIG_FILE: '/dev/null', ...extra });
  for (const k of Object.keys(env))
    if (k.startsWith('PIP_') && k !== 'PIP_CACHE_DIR' && k !== 'PIP_CONFIG_FILE') delete env[k];
  return new Promise((resolve) => {
    execFile('bash', [script], { env, cwd: home, timeout: 180_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
    });
  });
}

/** What a HOME holds that a recipe wrote: relative path → mode and content (the HOME written `~`); not setup's own state, caches, venvs or .git folders. */
function tree(home: string): Record<string, string> {
  const out: Record<string, string> = {};
  const skip = new Set(['.local/state', '.cache', 'pip-cache', 'venvs', 'export.sh']);
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(home, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.has(r) || e.name === '.git') continue;
      const st = fs.lstatSync(path.join(home, r));
      if (e.isDirectory()) walk(r);
      else
        out[r] = `${(st.mode & 0o7777).toString(8)} ${
          e.isSymbolicLink() ? fs.readlinkSync(path.join(home, r)) : fs.readFileSync(path.join(home, r), 'utf8')
        }`
          .split(home)
          .join('~');
    }
  };
  walk('');
  return out;
}

const headOf = (dir: string): string =>
  execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const subsOf = (dir: string): string =>
  execFileSync('git', ['-C', dir, 'submodule', 'status', '--recursive'], { encoding: 'utf8' });
const freeze = (venv: string): string =>
  execFileSync(
    path.join(venv, 'bin', 'python'),
    ['-m', 'pip', 'list', '--format=freeze', '--disable-pip-version-check'],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PIP_CONFIG_FILE: '/dev/null' },
    },
  );

describe.skipIf(!hostHasVenv || !which('curl'))('setup export sh', { timeout: 400_000 }, () => {
  const root = tempHome('envkit-export-sh-');
  const recipes = path.join(root, 'recipes');
  const profile = path.join(root, 'local.yaml');
  let server: Awaited<ReturnType<typeof serve>>;
  let blob: Buffer;

  beforeAll(async () => {
    blob = Buffer.from('#!/bin/sh\necho a release asset\n'.repeat(50));
    server = await serve({ '/dl/tool.sh': blob });
    // A project on "github.com" with a submodule written git@github.com:, served from file:// bare repos.
    const lib = await mirrorRepo(root, 'envkit/sh-lib');
    const app = await mirrorRepo(root, 'envkit/app', [
      { path: 'third_party/lib', url: 'git@github.com:envkit/sh-lib.git', commit: lib.recorded },
    ]);
    await git(root, ['-C', app.bare, 'tag', 'v1.0', app.recorded]);
    makeIndex(python3!, path.join(root, 'index'));
    fs.writeFileSync(profile, localProfile(root, server.base));
    writeRecipes(recipes, {
      'base.yaml': `name: base
description: a system package and a file with a secret in it
vars:
  motto: "it's \\"$HOME\\" \`not run\`"
steps:
${aptSkip ? '' : `  - name: a package\n    packages: [${APT_PKG}]\n`}  - name: motto file
    file: { path: ~/etc/motto.txt, content: "{{ motto }}\\ntoken={{ secrets.EXPORT_SH_TOKEN }}\\n", mode: "0600" }
`,
      'app.yaml': `name: app
description: a clone with a submodule, a download, a venv with packages, config, env
requires: [base]
vars:
  motto: 'a marker''s "text"'
steps:
  - name: sources
    git: { repo: "https://github.com/envkit/app.git", ref: v1.0, dest: ~/src/app, submodules: true }
  - name: the tool
    download: { url: "https://downloads.example.invalid/tool.sh", sha256: "${sha256(blob)}", dest: ~/opt/bin/tool, mode: "0755" }
  - venv: { path: ~/venvs/app }
  - name: packages
    pip: { venv: ~/venvs/app, packages: ["envkit-demo-b>=0.5"], imports: [envkit_demo_b] }
  - name: pip config
    config: { path: ~/.config/pip/pip.conf, set: { global.timeout: 60, global.index-url: "{{ mirror.pip.index-url }}" } }
  - name: tool on PATH
    env: { path: [~/opt/bin], set: { APP_HOME: ~/src/app, APP_MOTTO: "a b 'c'" } }
  - name: a marker
    run: mkdir -p ~/state && printf '%s\\n' "{{ motto }}" > ~/state/marker
    creates: ~/state/marker
  - name: more env
    env: { set: { APP_MORE: "yes" } }
`,
      'unverified.yaml': `name: unverified
description: a download with no checksum, never exported
steps:
  - download: { url: "https://downloads.example.invalid/tool.sh", dest: ~/tool, insecure: true }
`,
      'rooted.yaml': `name: rooted
description: a step as the user, then one that needs root
steps:
  - name: user file
    file: { path: ~/user.txt, content: "u\\n" }
  - name: root marker
    run: touch ${path.join(root, 'root-marker')}
    creates: ${path.join(root, 'root-marker')}
    root: true
`,
      'slow.yaml': `name: slow
description: a step whose command catches Ctrl-C and exits 1, with retries left
steps:
  - name: catches ctrl-c
    run: trap 'exit 1' INT; sleep 3 & wait
    creates: ~/never
    retries: 2
  - name: after
    file: { path: ~/after.txt, content: "x\\n" }
`,
      'slow-timeout.yaml': `name: slow-timeout
description: a long step with a timeout (timeout runs it in its own process group)
steps:
  - name: long
    run: sleep 41.5
    creates: ~/never
    timeout: 10m
`,
      'broken.yaml': `name: broken
description: a step that fails between two that work
steps:
  - name: first
    file: { path: ~/first.txt, content: "1\\n" }
  - name: break here
    run: echo about to fail; exit 3
  - name: never
    file: { path: ~/never.txt, content: "no\\n" }
`,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (!aptSkip) purgeApt(APT_PKG);
  });

  it('runs twice in a fresh HOME, the second time doing nothing, and leaves what setup run leaves', async () => {
    const exporter = tempHome();
    const script = path.join(exporter, 'export.sh');
    const args = ['--recipes', recipes, '--mirror', profile];
    const exp = await pipCli([...args, 'export', 'sh', 'app', '-o', script], exporter, { EXPORT_SH_TOKEN: TOKEN });
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stderr).toContain('EXPORT_SH_TOKEN');
    expect(exp.stderr).toContain('not as setup does it');
    const text = fs.readFileSync(script, 'utf8');
    expect(fs.statSync(script).mode & 0o777).toBe(0o755);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(exporter); // the home folder is $HOME
    expect(text).toContain('# Secrets, read from the environment (never written here): EXPORT_SH_TOKEN');
    expect(text).toContain('# Not as setup does it:');
    expect(text).toContain(`file://${root}/mirror/github.com/`); // the profile, applied when exporting
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);

    const json = await pipCli([...args, 'export', 'sh', 'app', '--json'], exporter);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { file: null; script: string; secrets: string[]; steps: unknown[] };
    expect(doc.file).toBeNull();
    expect(doc.script).toBe(text);
    expect(doc.secrets).toEqual(['EXPORT_SH_TOKEN']);

    // A secret missing from the environment: stopped before any step.
    const bare = tempHome();
    const noSecret = await bash(script, bare);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toContain('set EXPORT_SH_TOKEN');
    expect(noSecret.stdout).toBe('');
    expect(fs.readdirSync(bare)).toEqual([]);

    const a = tempHome();
    const first = await bash(script, a, { EXPORT_SH_TOKEN: TOKEN });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/done +app#1 sources/);
    expect(first.stdout).toMatch(/done +base#\d motto file/);
    const second = await bash(script, a, { EXPORT_SH_TOKEN: TOKEN });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const stepLines = second.stdout.split('\n').filter((l) => /^(ok|run|done) /.test(l));
    expect(stepLines.length).toBe(doc.steps.length);
    for (const l of stepLines) expect(l).toMatch(/^ok .*: satisfied$/);
    expect(second.stdout).toContain(`${doc.steps.length} steps: ${doc.steps.length} satisfied, 0 ran`);

    // setup run of the same recipes in another fresh HOME leaves the same files.
    const b = tempHome();
    const run = await pipCli([...args, 'run', 'app'], b, { EXPORT_SH_TOKEN: TOKEN });
    expect(run.code, run.stderr).toBe(0);
    const [ta, tb] = [tree(a), tree(b)];
    const norm = (t: Record<string, string>, home: string) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.split(home).join('~')]));
    expect(norm(ta, a)).toEqual(norm(tb, b));
    expect(Object.keys(ta)).toEqual(
      expect.arrayContaining([
        'etc/motto.txt',
        'opt/bin/tool',
        'src/app/README.md',
        'src/app/third_party/lib/README.md',
        '.bashrc',
        '.config/pip/pip.conf',
        'state/marker',
      ]),
    );
    expect(ta['etc/motto.txt']).toContain(`600 it's "$HOME" \`not run\`\ntoken=${TOKEN}\n`);
    expect(headOf(path.join(a, 'src/app'))).toBe(headOf(path.join(b, 'src/app')));
    expect(subsOf(path.join(a, 'src/app'))).toBe(subsOf(path.join(b, 'src/app')));
    expect(freeze(path.join(a, 'venvs/app'))).toBe(freeze(path.join(b, 'venvs/app')));
    expect(freeze(path.join(a, 'venvs/app'))).toContain('envkit-demo-b==0.5');
    if (!aptSkip) expect(aptInstalled(APT_PKG)).toBe(true);

    // And setup, asked about the HOME the script set up, finds nothing to do.
    const plan = await pipCli([...args, 'plan', 'app', '--exit-code', '--no-resolve'], a, { EXPORT_SH_TOKEN: TOKEN });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('stops at the first failing step, naming it', async () => {
    const exporter = tempHome();
    const script = path.join(exporter, 'export.sh');
    const exp = await pipCli(['--recipes', recipes, 'export', 'sh', 'broken', '-o', script], exporter);
    expect(exp.code, exp.stderr).toBe(0);
    const home = tempHome();
    const r = await bash(script, home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('setup: step broken#2 (break here) failed: exited 3');
    expect(r.stdout).toContain('about to fail');
    expect(fs.existsSync(path.join(home, 'first.txt'))).toBe(true);
    expect(fs.existsSync(path.join(home, 'never.txt'))).toBe(false);
  });

  // As setup run does: a root step that would run, where root cannot be had, stops the script before any step.
  it.skipIf(process.getuid?.() !== 0 || spawnSync('runuser', ['-u', 'nobody', '--', 'true']).status !== 0)(
    'as a user with neither root nor sudo -n: a root step that would run stops the script before any step; -o where it may not write says so',
    async () => {
      const exporter = tempHome();
      const script = path.join(exporter, 'export.sh');
      const exp = await pipCli(['--recipes', recipes, 'export', 'sh', 'rooted', '-o', script], exporter);
      expect(exp.code, exp.stderr).toBe(0);
      const home = tempHome();
      fs.copyFileSync(script, path.join(home, 'rooted.sh'));
      fs.chownSync(home, 65534, 65534);
      fs.chmodSync(home, 0o755);
      const r = spawnSync(
        'runuser',
        ['-u', 'nobody', '--', 'env', `HOME=${home}`, 'bash', path.join(home, 'rooted.sh')],
        {
          encoding: 'utf8',
          cwd: home,
        },
      );
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(
        'setup: step rooted#2 (root marker) needs root: run this script as root, or allow nobody passwordless sudo (sudo -n)',
      );
      expect(r.stderr).toContain('nothing was run');
      expect(r.stdout).toBe('');
      expect(fs.readdirSync(home)).toEqual(['rooted.sh']);
      // -o where this user may not write: said as such, with what to do (not a step's hint), nothing written.
      const exportAs = (out: string) =>
        spawnSync(
          'runuser',
          [
            '-u',
            'nobody',
            '--',
            'env',
            `HOME=${home}`,
            'NO_COLOR=1',
            process.execPath,
            BIN,
            'export',
            'sh',
            'pip-mirror',
            '-o',
            out,
          ],
          { env: cliEnv(home), cwd: '/', encoding: 'utf8' },
        );
      const open = tempHome();
      fs.chmodSync(open, 0o755); // root's, readable by all
      const denied = exportAs(path.join(open, 'x.sh'));
      expect(denied.status, denied.stderr).toBe(1);
      expect(denied.stderr).toMatch(
        /cannot write .*x\.sh: permission denied.*write the script to a folder you may write: -o FILE/,
      );
      expect(denied.stderr).not.toContain('root: true');
      const hidden = exportAs(path.join(exporter, 'sub', 'x.sh')); // root's folder, 0700
      expect(hidden.status, hidden.stderr).toBe(2);
      expect(hidden.stderr).toContain(`cannot look into ${exporter}: permission denied`);
      expect(hidden.stderr).not.toMatch(/XDG_|^\s+at /m);
      expect(fs.readdirSync(open)).toEqual([]);
      // As root the same script runs both steps.
      const asRoot = await bash(script, tempHome());
      expect(asRoot.code, asRoot.stdout + asRoot.stderr).toBe(0);
      expect(asRoot.stdout).toMatch(/done +rooted#2 root marker/);
      expect(fs.existsSync(path.join(root, 'root-marker'))).toBe(true);
    },
  );

  /**
   * Exports `recipe`, runs the script in its own process group (as a terminal's foreground job: Ctrl-C reaches
   * the script and the step alike), and sends SIGINT once step `id` has started. `ms`: from the signal to exit.
   */
  async function interrupt(
    recipe: string,
    id: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; home: string }> {
    const exporter = tempHome();
    const script = path.join(exporter, 'export.sh');
    const exp = await pipCli(['--recipes', recipes, 'export', 'sh', recipe, '-o', script], exporter);
    expect(exp.code, exp.stderr).toBe(0);
    const home = tempHome();
    const child = spawn('bash', [script], { env: cliEnv(home), cwd: home, detached: true });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const started = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes(`run      ${id}`)) resolve();
      }),
    );
    let exitedAt = 0;
    child.on('exit', () => (exitedAt = Date.now()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await started;
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    const code = await closed;
    return { code, stdout, stderr, ms: exitedAt - t0, home };
  }

  it('stops at Ctrl-C naming the step, exit 130, even when the step caught it and exited 1 (no retry)', async () => {
    const { code, stdout, stderr, home } = await interrupt('slow', 'slow#1');
    expect(code, stdout + stderr).toBe(130);
    expect(stderr).toContain('setup: interrupted during step slow#1 (catches ctrl-c): run the script again to go on');
    expect(stdout).not.toContain('retry');
    expect(stderr).not.toContain('failed');
    expect(fs.existsSync(path.join(home, 'after.txt'))).toBe(false);
  });

  it('stops at Ctrl-C at once in a step with a timeout (its own process group), and stops the step', async () => {
    const { code, stdout, stderr, ms } = await interrupt('slow-timeout', 'slow-timeout#1');
    expect(code, stdout + stderr).toBe(130);
    expect(ms).toBeLessThan(10_000);
    expect(spawnSync('pgrep', ['-f', 'sleep 41.5']).status).toBe(1); // the step is gone too
  });

  it('refuses what it cannot write, saying where, and writes nothing', async () => {
    const exporter = tempHome();
    const script = path.join(exporter, 'export.sh');
    const r = await pipCli(['--recipes', recipes, 'export', 'sh', 'unverified', '-o', script], exporter);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unverified\.yaml:4:\d+: error: unverified#1 download: cannot be exported to sh: .*nothing is downloaded unverified/,
    );
    expect(r.stderr).not.toContain('    at ');
    expect(fs.existsSync(script)).toBe(false);
    const nowhere = await pipCli(
      ['--recipes', recipes, 'export', 'sh', 'broken', '-o', path.join(exporter, 'no', 'x.sh')],
      exporter,
    );
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('no folder');
    // Onto a file of the user's (a typo for the script's name): refused, the file as it was.
    const notes = path.join(exporter, 'notes.txt');
    fs.writeFileSync(notes, 'my notes\n');
    const onto = await pipCli(['--recipes', recipes, 'export', 'sh', 'broken', '-o', notes], exporter);
    expect(onto.code).toBe(2);
    expect(onto.stderr).toContain(`-o ${notes} exists and is not a script setup export sh wrote; nothing written`);
    expect(fs.readFileSync(notes, 'utf8')).toBe('my notes\n');
    // An earlier export, or an empty file, is written over.
    for (const text of ['', null]) {
      if (text !== null) fs.writeFileSync(script, text);
      const again = await pipCli(['--recipes', recipes, 'export', 'sh', 'broken', '-o', script], exporter);
      expect(again.code, again.stderr).toBe(0);
    }
  });
});
