import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, tempHome, type CliResult } from '../e2e/helpers.js';

/**
 * Real Python stacks against the machine's own package index (this image ships one: `pip config list`
 * shows its file:// indexes and wheel folder). envkit passes pip only what the profile says
 * (PIP_CONFIG_FILE=/dev/null, no PIP_* variables): the host's pip config must not make a test pass.
 */
const ACCOUNT_HOME = os.userInfo().homedir;

function localIndex(): { index: string[]; findLinks: string[] } | string {
  let text: string;
  try {
    // The account's own pip config, even when the tests run under a temporary HOME (as CI's check does).
    text = execFileSync('python3', ['-m', 'pip', 'config', 'list'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, HOME: ACCOUNT_HOME },
    });
  } catch {
    return 'python3 -m pip config list failed';
  }
  const values = (key: string): string[] =>
    [...text.matchAll(new RegExp(`^\\S*\\.${key}='([^']*)'`, 'gm'))].flatMap((m) => m[1]!.split(/\s+/)).filter(Boolean);
  const index = [...new Set([...values('index-url'), ...values('extra-index-url')])].filter(
    (u) => u.startsWith('file://') && fs.existsSync(new URL(u).pathname),
  );
  const findLinks = [...new Set(values('find-links'))].filter((f) => fs.existsSync(f.replace(/^file:\/\//, '')));
  return index.length ? { index, findLinks } : 'pip config list shows no file:// index on this machine';
}

const found = localIndex();
if (typeof found === 'string') console.warn(`[test:real] skipped the Python stacks: ${found}`);
const isRoot = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');
if (!isRoot)
  console.warn(
    '[test:real] skipped the Python stacks: the python and rust recipes install with apt-get, which needs root',
  );

/**
 * The machine's own Rust toolchain, where rustup installed one: its proxies on PATH need their homes,
 * which a temporary HOME would hide (the rust recipe is then satisfied by rustc on PATH, as for a user).
 */
const rustHomes: Record<string, string> = fs.existsSync(path.join(ACCOUNT_HOME, '.rustup'))
  ? {
      RUSTUP_HOME: process.env.RUSTUP_HOME ?? path.join(ACCOUNT_HOME, '.rustup'),
      CARGO_HOME: process.env.CARGO_HOME ?? path.join(ACCOUNT_HOME, '.cargo'),
    }
  : {};

/** `setup …` with pip told nothing but what envkit passes. */
function setup(args: string[], home: string, extra: Record<string, string> = {}): Promise<CliResult> {
  const env = cliEnv(home, { PIP_CONFIG_FILE: '/dev/null', ...rustHomes, ...extra });
  for (const k of Object.keys(env)) if (k.startsWith('PIP_') && k !== 'PIP_CONFIG_FILE') delete env[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env, cwd: home, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

const seconds = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

describe.skipIf(typeof found === 'string' || !isRoot)("Python stacks against the machine's package index", () => {
  // A skipped describe is still collected: nothing here may assume an index was found (beforeAll writes).
  const idx = typeof found === 'string' ? { index: [], findLinks: [] } : found;
  const home = tempHome('envkit-real-py-');
  const profile = path.join(home, 'local.yaml');
  const config = path.join(home, '.config', 'envkit', 'config.yaml');
  const py = path.join(home, 'venvs', 'ml', 'bin', 'python');
  beforeAll(() => {
    fs.writeFileSync(
      profile,
      [
        'name: local',
        'pip:',
        `  index-url: ${idx.index[0]}`,
        ...(idx.index.length > 1 ? [`  extra-index-url: ${idx.index.slice(1).join(' ')}`] : []),
        ...(idx.findLinks.length ? [`  find-links: ${idx.findLinks.join(' ')}`] : []),
        'urls:',
        '  rewrite:',
        // The pytorch recipe's own CPU wheel index, served here by the local index too.
        `    "https://download.pytorch.org/whl/cpu": "${idx.index[0]}"`,
        '',
      ].join('\n'),
    );
    // Versions the index has, kept in config.yaml: plan, run and doctor agree without --set.
    fs.mkdirSync(path.dirname(config), { recursive: true });
    fs.writeFileSync(config, `mirror: ${profile}\nvars:\n  transformers: { version: 5.17.0 }\n`);
  });

  it(
    'jupyter and transformers converge; doctor is all ✓; the re-run is a no-op',
    { timeout: 30 * 60_000 },
    async () => {
      const plan = await setup(['plan', 'jupyter', 'transformers'], home);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/would install .*transformers 5\.17\.0/);
      let t0 = performance.now();
      const run = await setup(['run', 'jupyter', 'transformers'], home);
      console.log(`[test:real] setup run jupyter transformers: ${seconds(t0)} (exit ${run.code})`);
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect((await setup(['plan', 'jupyter', 'transformers', '--exit-code'], home)).code).toBe(0);
      t0 = performance.now();
      const again = await setup(['run', 'jupyter', 'transformers'], home);
      console.log(`[test:real] no-op re-run: ${seconds(t0)}`);
      expect(again.stderr).toContain('Nothing to do');
      const doctor = await setup(['doctor', 'jupyter', 'transformers', '--offline', '--json'], home);
      const report = JSON.parse(doctor.stdout) as {
        items: { recipe?: string; label: string; status: string; message: string }[];
      };
      for (const i of report.items.filter((x) => x.recipe))
        expect(i.status, `${i.recipe}: ${i.label}: ${i.message}`).toBe('ok');
      expect(doctor.code).toBe(0);
    },
  );

  it(
    'a forced incompatible version: plan shows work, doctor ✗ names the fix, the run repairs it',
    { timeout: 20 * 60_000 },
    async () => {
      // Break the venv the way people do: an older tokenizers over transformers' requirement.
      execFileSync(
        py,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--no-deps',
          '--index-url',
          idx.index[0]!,
          ...idx.index.slice(1).flatMap((u) => ['--extra-index-url', u]),
          'tokenizers==0.22.2',
        ],
        { env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' }, stdio: 'pipe' },
      );
      const plan = await setup(['plan', 'transformers', '--exit-code', '--no-resolve'], home);
      expect(plan.code).toBe(3);
      expect(plan.stdout).toMatch(
        /broken requirements \(pip check\): transformers 5\.17\.0 requires tokenizers<0\.24\.0,>=0\.23\.1, but tokenizers 0\.22\.2 is installed/,
      );
      const doctor = await setup(['doctor', 'transformers', '--offline', '--json'], home);
      expect(doctor.code).toBe(1);
      const bad = (JSON.parse(doctor.stdout) as { items: { status: string; fix?: string }[] }).items.filter(
        (i) => i.status === 'fail',
      );
      expect(bad.length).toBeGreaterThan(0);
      // Whenever doctor sends the user to `setup run X`, the plan of X shows work (checked just above).
      for (const i of bad) expect(i.fix).toBe('setup run transformers');
      const run = await setup(['run', 'transformers'], home);
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect((await setup(['plan', 'transformers', '--exit-code'], home)).code).toBe(0);
      expect((await setup(['doctor', 'transformers', '--offline'], home)).code).toBe(0);
    },
  );

  it(
    'a venv whose imports fail is never converged: torchvision built for another torch',
    { timeout: 20 * 60_000 },
    async () => {
      // On this index torchvision 0.28.0 is a CUDA build and torch 2.13.0 a CPU one: pip is content, the import is not.
      const set = [
        '--set',
        'pytorch.torch=2.13.0',
        '--set',
        'pytorch.torchvision=0.28.0',
        '--set',
        'pytorch.venv=~/venvs/torch',
      ];
      const run = await setup([...set, 'run', 'pytorch'], home);
      const plan = await setup([...set, 'plan', 'pytorch', '--exit-code', '--no-resolve'], home);
      const doctor = await setup([...set, 'doctor', 'pytorch', '--offline'], home);
      // run, plan and doctor agree, whichever way: all say done, or none does.
      expect(
        { run: run.code === 0, plan: plan.code === 0, doctor: doctor.code === 0 },
        `${run.stderr.slice(-1500)}\n${plan.stdout}\n${doctor.stdout}`,
      ).toEqual(run.code === 0 ? { run: true, plan: true, doctor: true } : { run: false, plan: false, doctor: false });
      if (run.code === 0) return; // an index whose builds match: converged for real
      // This image's index: pip is content, the import is not, and each of the three says why.
      expect(run.stderr).toMatch(/import torchvision fails: RuntimeError: operator torchvision::nms does not exist/);
      expect(plan.stdout).toMatch(
        /will run: import torchvision fails: RuntimeError: operator torchvision::nms does not exist/,
      );
      expect(doctor.stdout).toMatch(
        /✗ torchvision runs an operator on a tensor .*operator torchvision::nms does not exist/,
      );
      expect(doctor.stdout).toContain('fix: setup run pytorch');
    },
  );

  it(
    'plan lists every pin the index lacks at once, with the --set that picks one',
    { timeout: 10 * 60_000 },
    async () => {
      const plan = await setup(['plan', 'modelscope'], home);
      expect(plan.stdout).toMatch(/blocked: 3 pinned versions( and \d+ packages?)? are not in the indexes file:\/\//);
      for (const pin of ['datasets==2.13.0', 'dill==0.3.6', 'multiprocess==0.70.14'])
        expect(plan.stdout).toContain(`${pin}: the index has`);
      expect(plan.stdout).toMatch(/--set modelscope\.\S+=\S+/);
    },
  );
});
