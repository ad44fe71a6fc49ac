import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, sha256 } from '../helpers/archives.js';
import { mirrorRepo } from '../helpers/git-mirror.js';
import { localProfile } from '../helpers/local-profile.js';
import { makeIndex } from '../helpers/pip-index.js';
import { canBuildSea, ensureSeaBinary } from '../helpers/sea.js';
import { which } from '../../src/util/which.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 15, item 1's done-when: `setup export ansible` over a real sshd on 127.0.0.1 (its own port, config,
 * host key and pid file) with four users as four hosts. Three converge (apt, git with submodules through
 * the mirror profile, a download with a secret in its URL, pip from a local wheel index, config, env, and a
 * per-host --set from the inventory); a second play changes nothing; the fourth, whose mirror profile points
 * at a missing git mirror, fails alone with envkit's own failure text; each host's doctor report is fetched;
 * --check changes nothing. Installs ansible and openssh-server from Debian itself (CI runs on a fresh machine).
 */
const isRoot = process.getuid?.() === 0;
const aptGet = which('apt-get');

function sh(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** Installs what the test needs from Debian when it is missing; ansible-lint only where it is installable. */
function install(): boolean {
  const want = [
    ['ansible-playbook', 'ansible'],
    ['sshd', 'openssh-server'],
  ].filter(([bin]) => !which(bin!) && !fs.existsSync(`/usr/sbin/${bin}`));
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    if (want.length) sh('apt-get', ['install', '-y', '--no-install-recommends', ...want.map(([, p]) => p!)], { env });
  } catch {
    return false;
  }
  if (!which('ansible-lint'))
    try {
      sh('apt-get', ['install', '-y', '--no-install-recommends', 'ansible-lint'], { env });
    } catch {
      /* optional: the generated files are still syntax-checked */
    }
  return true;
}

/** ansible-playbook's result: exit code and stdout+stderr. */
function playbook(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string; recap: Map<string, Record<string, number>> }> {
  return new Promise((resolve) => {
    execFile(
      'ansible-playbook',
      args,
      { cwd: dir, env, maxBuffer: 64 << 20, timeout: 300_000 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number }) | null;
        const out = stdout + stderr;
        const recap = new Map<string, Record<string, number>>();
        for (const m of out.matchAll(/^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$/gm))
          recap.set(m[1]!, Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1]!, Number(x[2])])));
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out, recap });
      },
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Every file under a home (but envkit's own folder and Ansible's temp folder), with its bytes: --check's proof. */
function homeFiles(home: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (p === path.join(home, '.ansible') || p === path.join(home, '.local/share/envkit-ansible')) continue;
      if (e.isDirectory()) walk(p);
      else out[p] = e.isFile() ? sha256(fs.readFileSync(p)) : 'special';
    }
  };
  walk(home);
  return out;
}

const TOKEN = 'ansible-token-7c1e9b';
const tag = `ea${process.pid.toString(36)}`;
const users = [1, 2, 3, 4].map((i) => `${tag}u${i}`);

describe.skipIf(!isRoot || !aptGet)('setup export ansible over sshd', { timeout: 900_000 }, () => {
  const root = tempHome('envkit-ansible-');
  const sshDir = path.join(root, 'ssh');
  const exportDir = path.join(root, 'fleet');
  const inventory = path.join(root, 'inventory.yml');
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  let sshdPid: number | undefined;
  let ready = false;
  let env: NodeJS.ProcessEnv = {};
  const homes = users.map((u) => `/home/${u}`);

  beforeAll(async () => {
    const t0 = Date.now();
    if (!install()) return;
    // The users read the mirrors, the index and the recipes under root: a mkdtemp folder is 0700.
    fs.chmodSync(root, 0o755);
    const blob = Buffer.from('a release asset\n'.repeat(64));
    server = await serve({ '/dl/asset.bin': blob });
    // A project on "github.com" with a submodule, from bare repos through the mirror profile.
    const lib = await mirrorRepo(root, 'envkit/ans-lib');
    await mirrorRepo(root, 'envkit/app', [
      { path: 'third_party/lib', url: 'https://github.com/envkit/ans-lib.git', commit: lib.recorded },
    ]);
    makeIndex(which('python3')!, path.join(root, 'index'));
    const profile = path.join(root, 'local.yaml');
    fs.writeFileSync(profile, localProfile(root, server.base));
    writeRecipes(path.join(root, 'recipes'), {
      'ans-base.yaml': `name: ans-base
description: a system package and an env value
steps:
  - packages: [coreutils]
  - env: { set: { ANS_BASE: "yes" } }
`,
      'ans-app.yaml': `name: ans-app
description: a clone with a submodule, a download with a secret, a venv with packages, a config file
requires: [ans-base]
vars:
  greeting: hello
steps:
  - name: sources
    git: { repo: "https://github.com/envkit/app.git", ref: main, dest: ~/src/app, submodules: true }
  - download: { url: "https://downloads.example.invalid/asset.bin?token={{ secrets.ENVKIT_ANS_TOKEN }}", sha256: "${sha256(blob)}", dest: ~/opt/asset.bin }
  - venv: { path: ~/venvs/app }
  - pip: { venv: ~/venvs/app, packages: ["envkit-demo-b>=0.5"], imports: [envkit_demo_b] }
  - config: { path: ~/.config/ans/app.ini, set: { app.greeting: "{{ greeting }}" } }
verify:
  - file: ~/src/app/third_party/lib/README.md
`,
    });

    // sshd: its own port, config, host key, pid file and authorized keys; no PAM, keys only.
    fs.mkdirSync(path.join(sshDir, 'keys'), { recursive: true });
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(sshDir, 'host_key')]);
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(sshDir, 'client_key')]);
    const pub = fs.readFileSync(path.join(sshDir, 'client_key.pub'), 'utf8');
    for (const [i, u] of users.entries()) {
      sh('useradd', ['-m', '-s', '/bin/bash', u]);
      // Without a password the account is locked, and sshd without PAM refuses it: `*` is "no password".
      sh('usermod', ['-p', '*', u]);
      fs.writeFileSync(path.join(sshDir, 'keys', u), pub);
      // Their git reads mirrors root owns.
      fs.writeFileSync(path.join(homes[i]!, '.gitconfig'), '[safe]\n\tdirectory = *\n');
      sh('chown', [`${u}:${u}`, path.join(homes[i]!, '.gitconfig')]);
    }
    // The fourth host's mirror profile points git at a mirror that does not exist.
    const broken = path.join(homes[3]!, 'broken.yaml');
    fs.writeFileSync(
      broken,
      fs.readFileSync(profile, 'utf8').replace(`file://${root}/mirror/github.com/`, `file://${root}/no-mirror/`),
    );
    sh('chown', [`${users[3]}:${users[3]}`, broken]);
    const port = await freePort();
    const config = path.join(sshDir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(sshDir, 'host_key')}`,
        `PidFile ${path.join(sshDir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(sshDir, 'keys')}/%u`,
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'StrictModes no',
        `AllowUsers ${users.join(' ')}`,
        'MaxStartups 100',
        'MaxSessions 100',
        'Subsystem sftp /usr/lib/openssh/sftp-server',
        '',
      ].join('\n'),
    );
    fs.mkdirSync('/run/sshd', { recursive: true });
    sh('/usr/sbin/sshd', ['-f', config, '-E', path.join(sshDir, 'sshd.log')]);
    // sshd forks into the background: its pid file comes a moment after the command returns.
    const pidFile = path.join(sshDir, 'sshd.pid');
    for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    sshdPid = Number(fs.readFileSync(pidFile, 'utf8'));

    const controlHome = path.join(root, 'control-home');
    fs.mkdirSync(controlHome);
    env = {
      PATH: process.env.PATH,
      HOME: controlHome,
      LANG: 'C.UTF-8',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_FORKS: '8',
    };
    const host = (u: string, extra: Record<string, unknown> = {}) => ({ ansible_user: u, ...extra });
    fs.writeFileSync(
      inventory,
      JSON.stringify({
        all: {
          vars: {
            ansible_host: '127.0.0.1',
            ansible_port: port,
            ansible_python_interpreter: '/usr/bin/python3',
            ansible_ssh_private_key_file: path.join(sshDir, 'client_key'),
            ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
            envkit_secrets: { ENVKIT_ANS_TOKEN: TOKEN },
          },
          hosts: {
            h1: host(users[0]!),
            h2: host(users[1]!, { envkit_vars: { greeting: 'hi-h2' } }),
            // The single-file setup where it can be built (it is on this host's Node otherwise).
            h3: host(users[2]!, canBuildSea ? { envkit_use_binary: true } : {}),
            h4: host(users[3]!, { envkit_mirror: broken }),
          },
        },
      }),
    );
    // The export carries the single-file setup when it is built (npm test builds it here: h3 runs it).
    if (canBuildSea) ensureSeaBinary();
    ready = true;
    console.log(`export-ansible: setup (apt, users, sshd, fixtures) took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    const pidFile = path.join(sshDir, 'sshd.pid');
    if (!sshdPid && fs.existsSync(pidFile)) sshdPid = Number(fs.readFileSync(pidFile, 'utf8'));
    if (sshdPid)
      try {
        process.kill(sshdPid, 'SIGTERM');
      } catch {
        /* gone already */
      }
    for (const u of users)
      try {
        // Ansible's ssh masters keep a session open a while (ControlPersist): the test users' processes end now.
        execFileSync('pkill', ['-KILL', '-u', u], { stdio: 'ignore' });
      } catch {
        /* none left */
      }
    for (const u of users)
      try {
        execFileSync('userdel', ['-r', '-f', u], { stdio: 'ignore' });
      } catch {
        /* not created */
      }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('exports, converges three hosts, fails the fourth alone, and changes nothing the second time', async (ctx) => {
    if (!ready) ctx.skip();
    const recipes = path.join(root, 'recipes');
    const profile = path.join(root, 'local.yaml');
    // An export of a recipe that does not load: exit 2, the folder untouched.
    const bad = await runCli(['export', 'ansible', 'no-such', '-o', exportDir, '--recipes', recipes], root);
    expect(bad.code, bad.stderr).toBe(2);
    // A folder that is not an earlier export is refused.
    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine\n');
    const refused = await runCli(['export', 'ansible', 'ans-app', '-o', other, '--recipes', recipes], root);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('not an earlier Ansible export');
    expect(fs.readdirSync(other)).toEqual(['notes.txt']);

    const t0 = Date.now();
    const exp = await runCli(
      ['export', 'ansible', 'ans-app', '-o', exportDir, '--recipes', recipes, '--mirror', profile, '--json'],
      root,
    );
    expect(exp.code, exp.stderr).toBe(0);
    const summary = JSON.parse(exp.stdout) as { recipes: string[]; secrets: string[]; binary: string | null };
    expect(summary.recipes).toEqual(['ans-base', 'ans-app']);
    expect(summary.secrets).toEqual(['ENVKIT_ANS_TOKEN']);
    // Exported again over the first: what the export does not write (an inventory, group_vars/) stays.
    fs.writeFileSync(path.join(exportDir, 'notes.txt'), 'mine\n');
    const again = await runCli(
      ['export', 'ansible', 'ans-app', '-o', exportDir, '--recipes', recipes, '--mirror', profile],
      root,
    );
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readFileSync(path.join(exportDir, 'notes.txt'), 'utf8')).toBe('mine\n');
    console.log(`export-ansible: export took ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const syntax = await playbook(exportDir, ['-i', inventory, 'site.yml', '--syntax-check'], env);
    expect(syntax.code, syntax.out).toBe(0);
    if (which('ansible-lint')) {
      const lint = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile('ansible-lint', ['site.yml'], { cwd: exportDir, env }, (err, so, se) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: so + se }),
        ),
      );
      expect(lint.code, lint.out).toBe(0);
    }

    // --check --diff: the plan only, shown; nothing the recipes manage is touched.
    const before = homeFiles(homes[0]!);
    const t1 = Date.now();
    const check = await playbook(exportDir, ['-i', inventory, 'site.yml', '--check', '--diff', '--limit', 'h1'], env);
    console.log(`export-ansible: --check on one host took ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    expect(check.code, check.out).toBe(0);
    expect(check.recap.get('h1')?.failed).toBe(0);
    expect(check.out).toMatch(/will run/);
    expect(homeFiles(homes[0]!)).toEqual(before);

    // A host made to use the single-file setup, where the export has none, stops and says how to get one.
    if (summary.binary === null) {
      const nobin = await playbook(
        exportDir,
        ['-i', inventory, 'site.yml', '--limit', 'h3', '-e', '{"envkit_use_binary": true}'],
        env,
      );
      expect(nobin.recap.get('h3')?.failed, nobin.out).toBe(1);
      expect(nobin.out).toContain('npm run build:sea');
    }

    if (canBuildSea) expect(summary.binary).not.toBeNull();
    const t2 = Date.now();
    const first = await playbook(exportDir, ['-i', inventory, 'site.yml'], env);
    console.log(`export-ansible: first play (4 hosts) took ${((Date.now() - t2) / 1000).toFixed(1)} s`);
    expect(first.code, first.out).not.toBe(0);
    for (const h of ['h1', 'h2', 'h3']) {
      expect(first.recap.get(h), first.out).toMatchObject({ failed: 0, unreachable: 0 });
      expect(first.recap.get(h)!.changed).toBeGreaterThan(0);
    }
    expect(first.recap.get('h4')?.failed, first.out).toBe(1);
    // envkit's own failure text, in Ansible's output, for the fourth host only.
    const h4 = first.out.split('\n').filter((l) => l.includes('[h4]'));
    expect(h4.join('\n'), first.out).toMatch(/setup run failed \(exit 1\).*sources/s);
    expect(first.out).not.toContain(TOKEN);

    for (const [i, h] of homes.slice(0, 3).entries()) {
      expect(fs.readFileSync(path.join(h, 'src/app/third_party/lib/README.md'), 'utf8')).toContain('ans-lib');
      expect(fs.existsSync(path.join(h, 'opt/asset.bin'))).toBe(true);
      expect(fs.existsSync(path.join(h, 'venvs/app/bin/python'))).toBe(true);
      expect(fs.readFileSync(path.join(h, '.config/ans/app.ini'), 'utf8')).toContain(i === 1 ? 'hi-h2' : 'hello');
      expect(fs.readFileSync(path.join(h, '.config/envkit/env.sh'), 'utf8')).toContain('ANS_BASE');
      const report = JSON.parse(fs.readFileSync(path.join(exportDir, 'reports', `h${i + 1}.json`), 'utf8')) as {
        kind: string;
        counts: { fail: number };
        items: { recipe?: string; label: string; message: string }[];
      };
      expect(report.kind).toBe('doctor');
      expect(report.counts.fail).toBe(0);
      expect(report.items).toContainEqual(expect.objectContaining({ recipe: 'ans-app', label: 'steps' }));
    }
    expect(fs.existsSync(path.join(exportDir, 'reports', 'h4.json'))).toBe(false);
    // h3 ran the single-file setup, not the JS tree.
    if (canBuildSea) {
      const onHost = fs.readdirSync(path.join(homes[2]!, '.local/share/envkit-ansible'));
      expect(onHost).toContain('setup-linux-x64');
      expect(onHost.some((f) => f.startsWith('envkit-js-'))).toBe(false);
    }

    // The second play changes nothing on the three converged hosts.
    const t3 = Date.now();
    // -vvv shows every remote command line: the secret is on none of them.
    const second = await playbook(exportDir, ['-i', inventory, 'site.yml', '--limit', 'h1,h2,h3', '-vvv'], env);
    console.log(`export-ansible: second play (3 hosts) took ${((Date.now() - t3) / 1000).toFixed(1)} s`);
    expect(second.code, second.out).toBe(0);
    for (const h of ['h1', 'h2', 'h3'])
      expect(second.recap.get(h), second.out).toMatchObject({ changed: 0, failed: 0 });
    expect(second.out).toContain('EXEC');
    expect(second.out).not.toContain(TOKEN);

    // The secret is in no file the export wrote.
    const grep = (d: string): boolean =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .some((e) =>
          e.isDirectory() ? grep(path.join(d, e.name)) : fs.readFileSync(path.join(d, e.name)).includes(TOKEN),
        );
    expect(grep(exportDir)).toBe(false);
  });
});
