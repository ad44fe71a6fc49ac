import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../helpers/archives.js';
import { expectGolden } from './golden.js';
import { ROOT, normalize, runCli, tempHome } from './helpers.js';

// Issue 18 item 4: doctor for bug reports — the header, the env-file check, statuses with exit codes,
// --check/--list-checks, --offline as skipped lines, and --json checked against schema/doctor-output.schema.json.

const RECIPES = path.join(ROOT, 'test', 'fixtures', 'e2e');
const r = (...a: string[]): string[] => ['--recipes', RECIPES, '--prefix', '~/prefix', ...a];
const BASH = { SHELL: '/bin/bash' };

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'doctor-output.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
interface Item {
  check: string;
  recipe?: string;
  label: string;
  status: string;
  message: string;
  fix?: string;
}
/** What the tests read of `doctor --json` (the schema says the rest). */
interface Doc {
  status: string;
  exitCode: number;
  header: {
    distro: string | null;
    profile: string;
    config: { exists: boolean };
    envFile: { exists: boolean; sourcedBy: string[] };
  };
  checks: string[];
  recipes: string[];
  items: Item[];
  counts: Record<string, number>;
}

/** Parses doctor's stdout and checks it against the schema; returns the document. */
function valid<T = Doc>(stdout: string): T {
  const doc = JSON.parse(stdout) as T;
  expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
  return doc;
}

/** The header's first line holds versions that change from host to host: masked for golden files. */
/** The host's own lines (CPUs, memory, tool versions, the profile's text) too. */
const masked = (text: string, home: string): string =>
  normalize(text, home)
    .replace(
      /^envkit \S+ · Node \S+ · \S+ \S+ · .* · kernel \S+$/m,
      'envkit <v> · Node <v> · <os> <arch> · <distro> · kernel <v>',
    )
    .replace(/^Host\n(?: {2}.*\n)*?(?= {2}prefix:)/m, 'Host\n  <host facts>\n');

describe('doctor for bug reports (issue 18, item 4)', { timeout: 120_000 }, () => {
  it('the header: versions, OS, shell, config, folders, profile, and whether env.sh is loaded', async () => {
    const home = tempHome();
    const res = await runCli(r('doctor', '--check', 'env-file'), home, BASH);
    expect(res.code, res.stderr).toBe(0);
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(res.stdout.split('\n')[0]).toContain(`envkit ${version} · Node ${process.version} · linux ${process.arch}`);
    expectGolden('doctor-header.txt', masked(res.stdout.slice(0, res.stdout.indexOf('\nHost\n') + 1), home));
    // Nothing but the header, the host and the one check: no recipe was checked, so no "name recipes" line.
    expect(res.stdout).not.toContain('No recipe');
    expect(res.stdout).toMatch(/✓ ~\/\.config\/envkit\/env\.sh {2}not written yet/);

    const doc = valid((await runCli(r('doctor', '--check', 'env-file', '--json'), home, BASH)).stdout);
    expect(doc.header).toMatchObject({
      envkit: version,
      node: process.version,
      os: process.platform,
      shell: '/bin/bash',
      config: { file: path.join(home, '.config', 'envkit', 'config.yaml'), exists: false },
      state: path.join(home, '.local', 'state', 'envkit'),
      cache: path.join(home, '.cache', 'envkit'),
      profile: 'default',
      envFile: { file: path.join(home, '.config', 'envkit', 'env.sh'), exists: false, sourcedBy: [] },
    });
    expect(typeof doc.header.distro).toBe('string');
    expect(doc.checks).toEqual(['env-file']);
    expect(doc.recipes).toEqual([]);

    // A config file is seen, and so is the profile it names.
    fs.mkdirSync(path.join(home, '.config', 'envkit'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config', 'envkit', 'config.yaml'), 'mirror: tuna\n');
    const conf = valid((await runCli(r('doctor', '--check', 'env-file', '--json'), home, BASH)).stdout);
    expect(conf.header.config.exists).toBe(true);
    expect(conf.header.profile).toBe('tuna');
  });

  it('env-file: loaded by the rc block a run writes; a zsh user is told the line to add; a hand-written line counts', async () => {
    const home = tempHome();
    expect((await runCli(r('run', 'tool'), home, BASH)).code).toBe(0);
    const bash = valid((await runCli(r('doctor', '--check', 'env-file', '--json'), home, BASH)).stdout);
    expect(bash.header.envFile).toMatchObject({ exists: true, sourcedBy: [path.join(home, '.bashrc')] });
    expect(bash.items).toEqual([
      { check: 'env-file', label: '~/.config/envkit/env.sh', status: 'ok', message: 'loaded by ~/.bashrc' },
    ]);

    // zsh reads none of bash's files: a warning with the line to add, exit 0 (exit 4 with --strict).
    const zsh = { SHELL: '/usr/bin/zsh' };
    const warn = await runCli(r('doctor', '--check', 'env-file'), home, zsh);
    expect(warn.code, warn.stderr).toBe(0);
    expectGolden('doctor-env-file-zsh.txt', masked(warn.stdout, home));
    const strict = await runCli(r('doctor', '--check', 'env-file', '--strict', '--json'), home, zsh);
    expect(strict.code).toBe(4);
    expect(valid(strict.stdout)).toMatchObject({ status: 'warn', exitCode: 4, counts: { warn: 1, ok: 0 } });

    // The user adds the line the fix gives (as it says, with $HOME): loaded.
    const line = /fix: add this line to ~\/\.zshrc: (.*)$/m.exec(warn.stdout)![1]!;
    expect(line).toBe('. "$HOME/.config/envkit/env.sh"');
    fs.writeFileSync(path.join(home, '.zshrc'), `# my zsh\n${line}\n`);
    const fixed = await runCli(r('doctor', '--check', 'env-file', '--strict'), home, zsh);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.stdout).toContain('loaded by ~/.zshrc');
    // A commented-out line does not count.
    fs.writeFileSync(path.join(home, '.zshrc'), `# ${line}\n`);
    expect((await runCli(r('doctor', '--check', 'env-file', '--strict'), home, zsh)).code).toBe(4);
  });

  describe('mirror hosts', () => {
    let server: Awaited<ReturnType<typeof serve>>;
    let profile = '';
    beforeAll(async () => {
      server = await serve({ '/simple/': Buffer.from('ok') });
      const dir = tempHome('envkit-doctor-profile-');
      profile = path.join(dir, 'local.yaml');
      fs.writeFileSync(profile, `name: local\npip: { index-url: "${server.base}/simple/" }\n`);
    });
    afterAll(() => server.close());

    it('a local host answers; --offline marks it skipped, shown and counted, not left out', async () => {
      const home = tempHome();
      const args = r('--mirror', profile, 'doctor', '--check', 'mirror-*', '--json');
      const online = valid((await runCli(args, home)).stdout);
      expect(online.checks).toEqual(['mirror-hosts']);
      const mine = online.items.find((i: { label: string }) => i.label.startsWith(server.base));
      expect(mine).toMatchObject({ check: 'mirror-hosts', status: 'ok' });
      expect(mine?.message).toMatch(/^answers \(\d+ ms\)$/);

      const res = await runCli([...args, '--offline'], home);
      expect(res.code).toBe(0);
      const offline = valid(res.stdout);
      expect(offline.items.length).toBe(online.items.length);
      for (const i of offline.items)
        expect(i).toMatchObject({ check: 'mirror-hosts', status: 'skipped', message: 'not asked (--offline)' });
      expect(offline.counts).toEqual({ ok: 0, warn: 0, fail: 0, skipped: offline.items.length });
      expect(offline.status).toBe('ok');

      const text = await runCli(r('--mirror', profile, 'doctor', '--check', 'mirror-hosts', '--offline'), home);
      expect(text.stdout).toContain(`- ${server.base}  not asked (--offline)`);
      expect(text.stdout).toMatch(/No problems, 0 ok, \d+ skipped\.\n$/);
      // --quiet keeps only warn and fail lines, and the counts.
      const quiet = await runCli(r('--mirror', profile, 'doctor', '--check', 'mirror-hosts', '--offline', '-q'), home);
      expect(quiet.stdout).toMatch(/^\nNo problems, 0 ok, \d+ skipped\.\n$/);
    });
  });

  it('--check picks checks by name or glob; an unknown name is one line listing the names; --list-checks', async () => {
    const home = tempHome();
    const bad = await runCli(r('doctor', '--check', 'envfile'), home);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toEqual([
      'setup: error: --check envfile: no doctor check is named so (the checks: config, env-file, mirror-hosts, bundle, steps, verify, drift) (`setup doctor --list-checks` lists them with what each one does)',
    ]);

    const list = await runCli(r('doctor', '--list-checks'), home);
    expect(list.code).toBe(0);
    expectGolden('doctor-list-checks.txt', list.stdout);
    const listed = valid<{ checks: { name: string }[] }>(
      (await runCli(r('doctor', '--list-checks', '--json'), home)).stdout,
    );
    expect(listed.checks.map((c: { name: string }) => c.name)).toEqual([
      'config',
      'env-file',
      'mirror-hosts',
      'bundle',
      'steps',
      'verify',
      'drift',
    ]);

    // Only the steps of a recipe: no verify lines, no host lines.
    const steps = valid((await runCli(r('doctor', 'tool', '--check', 'steps', '--json'), home)).stdout);
    expect(steps.checks).toEqual(['steps']);
    expect(new Set(steps.items.map((i: { check: string }) => i.check))).toEqual(new Set(['steps']));
    // An unknown recipe is still an error when no recipe check runs.
    const unknown = await runCli(r('doctor', 'nope', '--check', 'env-file'), home);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown recipe "nope"');
  });

  it('statuses and exit codes: fail 1 with a fix on every warn and fail, ok 0, drift from a lock — all valid JSON', async () => {
    const home = tempHome();
    const before = await runCli(r('doctor', 'tool', '--offline', '--json'), home, BASH);
    expect(before.code).toBe(1);
    const failed = valid(before.stdout);
    expect(failed).toMatchObject({ status: 'fail', exitCode: 1 });
    for (const i of failed.items.filter((x: { status: string }) => x.status === 'warn' || x.status === 'fail'))
      expect(i.fix, JSON.stringify(i)).toBeTruthy();

    expect((await runCli(r('run', 'tool'), home, BASH)).code).toBe(0);
    expect((await runCli(r('lock', 'tool'), home, BASH)).code).toBe(0);
    // The env var is set in the env file but not in this process: a warning, so exit 0, and 4 with --strict.
    const after = await runCli(r('doctor', 'tool', '--offline', '--json'), home, BASH);
    expect(after.code, after.stdout).toBe(0);
    const doc = valid(after.stdout);
    expect(doc).toMatchObject({ status: 'warn', exitCode: 0, lock: path.join(home, 'envkit.lock'), drift: [] });
    expect(doc.items.map((i: { check: string }) => i.check)).toEqual(
      expect.arrayContaining(['env-file', 'mirror-hosts', 'steps', 'verify']),
    );
    expect((await runCli(r('doctor', 'tool', '--offline', '--strict'), home, BASH)).code).toBe(4);
    // With the variable set as a new shell would have it: no warning, exit 0 even with --strict.
    const clean = await runCli(r('doctor', 'tool', '--offline', '--strict', '--json'), home, {
      ...BASH,
      DEMO_TOOL_VERSION: '1.2.3',
    });
    expect(clean.code, clean.stdout).toBe(0);
    expect(valid(clean.stdout)).toMatchObject({ status: 'ok', exitCode: 0 });
  });

  it('--check drift with no lock file says the check was skipped and why, never "No problems" alone', async () => {
    const home = tempHome();
    expect((await runCli(r('run', 'tool'), home, BASH)).code).toBe(0);
    const text = await runCli(r('doctor', 'tool', '--check', 'drift'), home, BASH);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      '- drift  not checked: no lock file at ~/envkit.lock (`setup lock <recipe…>` writes one; --lock FILE names another)',
    );
    expect(text.stdout).toMatch(/No problems, 0 ok, 1 skipped\.\n$/);
    const doc = valid((await runCli(r('doctor', 'tool', '--check', 'drift', '--json'), home, BASH)).stdout);
    expect(doc.items).toEqual([expect.objectContaining({ check: 'drift', label: 'drift', status: 'skipped' })]);
    expect(doc.counts).toEqual({ ok: 0, warn: 0, fail: 0, skipped: 1 });
    // With a lock, the same check runs.
    expect((await runCli(r('lock', 'tool'), home, BASH)).code).toBe(0);
    const locked = valid((await runCli(r('doctor', 'tool', '--check', 'drift', '--json'), home, BASH)).stdout);
    expect(locked.items.map((i) => `${i.check} ${i.status}`)).toEqual(['drift ok']);
  });
});
