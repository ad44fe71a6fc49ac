import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, tempHome, writeRecipes } from './helpers.js';

/** A run of the CLI that may not hang: killed (and so failing the test) after `ms`. */
function runWithin(
  args: string[],
  home: string,
  ms = 10_000,
): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: cliEnv(home), cwd: home, timeout: ms, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          killed: !!e?.killed,
          stdout,
          stderr,
          seconds: (performance.now() - t0) / 1000,
        });
      },
    );
  });
}

const servers: net.Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

/** Special files a user might name by mistake, each put at `p`, with what the refusal says. */
const SPECIALS: { name: string; make: (p: string) => Promise<void> | void; says: RegExp }[] = [
  { name: 'a FIFO', make: (p) => void execFileSync('mkfifo', [p]), says: /a FIFO \(named pipe\), not a regular file/ },
  { name: '/dev/zero', make: (p) => fs.symlinkSync('/dev/zero', p), says: /a character device, not a regular file/ },
  { name: 'a folder', make: (p) => fs.mkdirSync(p), says: /a folder, not a regular file/ },
  {
    name: 'a socket',
    make: (p) =>
      new Promise<void>((ok) => {
        const s = net.createServer().listen(p, () => ok());
        servers.push(s);
      }),
    says: /a socket.*not a regular file/,
  },
];

const RECIPE = 'name: demo\ndescription: demo\nsteps:\n  - run: "true"\n';

/** Every place setup reads a file a user named: how to put the special file there, and the command that reads it. */
const PLACES: {
  place: string;
  setup: (home: string) => string;
  args: (home: string, p: string) => string[];
  code: number;
  located?: boolean;
}[] = [
  {
    place: 'validate <path>',
    setup: (h) => path.join(h, 'input.yaml'),
    args: (_h, p) => ['validate', p],
    code: 2,
    located: true,
  },
  {
    place: 'a recipe in a recipe folder (validate)',
    setup: (h) => (writeRecipes(path.join(h, 'r'), { 'demo.yaml': RECIPE }), path.join(h, 'r', 'bad.yaml')),
    args: (h) => ['validate', path.join(h, 'r')],
    code: 2,
    located: true,
  },
  {
    place: 'the recipe asked for (plan)',
    setup: (h) => (writeRecipes(path.join(h, 'r'), { 'demo.yaml': RECIPE }), path.join(h, 'r', 'bad.yaml')),
    args: (h) => ['--recipes', path.join(h, 'r'), 'plan', 'bad'],
    code: 2,
    located: true,
  },
  {
    place: '--mirror <file>',
    setup: (h) => (writeRecipes(path.join(h, 'r'), { 'demo.yaml': RECIPE }), path.join(h, 'mirror.yaml')),
    args: (h, p) => ['--recipes', path.join(h, 'r'), '--mirror', p, 'plan', 'demo'],
    code: 2,
    located: true,
  },
  {
    place: 'a profile in profiles/ (validate)',
    setup: (h) => (
      writeRecipes(path.join(h, 'r'), { 'demo.yaml': RECIPE }),
      fs.mkdirSync(path.join(h, 'r', 'profiles')),
      path.join(h, 'r', 'profiles', 'cn.yaml')
    ),
    args: (h) => ['validate', path.join(h, 'r')],
    code: 2,
    located: true,
  },
  {
    place: 'config.yaml (validate)',
    setup: (h) => (
      fs.mkdirSync(path.join(h, '.config', 'envkit'), { recursive: true }),
      path.join(h, '.config', 'envkit', 'config.yaml')
    ),
    args: () => ['validate'],
    code: 2,
    located: true,
  },
  {
    place: 'config.yaml (plan)',
    setup: (h) => (
      writeRecipes(path.join(h, 'r'), { 'demo.yaml': RECIPE }),
      fs.mkdirSync(path.join(h, '.config', 'envkit'), { recursive: true }),
      path.join(h, '.config', 'envkit', 'config.yaml')
    ),
    args: (h) => ['--recipes', path.join(h, 'r'), 'plan', 'demo'],
    code: 2,
    located: true,
  },
  {
    place: 'the secrets file (plan)',
    setup: (h) => {
      writeRecipes(path.join(h, 'r'), { 'demo.yaml': RECIPE });
      writeRecipes(path.join(h, '.config', 'envkit'), { 'config.yaml': 'secrets: ~/secrets.env\n' });
      return path.join(h, 'secrets.env');
    },
    args: (h) => ['--recipes', path.join(h, 'r'), 'plan', 'demo'],
    code: 2,
    located: true,
  },
  {
    place: 'the secrets file (validate)',
    setup: (h) => (
      writeRecipes(path.join(h, '.config', 'envkit'), { 'config.yaml': 'secrets: ~/secrets.env\n' }),
      path.join(h, 'secrets.env')
    ),
    args: () => ['validate'],
    code: 2,
    located: true,
  },
  {
    place: '~/.bashrc (plan of an env step)',
    setup: (h) => (
      writeRecipes(path.join(h, 'r'), {
        'demo.yaml': 'name: demo\ndescription: d\nsteps:\n  - env: { set: { FOO: bar } }\n',
      }),
      path.join(h, '.bashrc')
    ),
    args: (h) => ['--recipes', path.join(h, 'r'), 'plan', 'demo'],
    code: 0,
  },
  {
    place: "the env step's env file (plan)",
    setup: (h) => (
      writeRecipes(path.join(h, 'r'), {
        'demo.yaml': 'name: demo\ndescription: d\nsteps:\n  - env: { set: { FOO: bar } }\n',
      }),
      fs.mkdirSync(path.join(h, '.config', 'envkit'), { recursive: true }),
      path.join(h, '.config', 'envkit', 'env.sh')
    ),
    args: (h) => ['--recipes', path.join(h, 'r'), 'plan', 'demo'],
    code: 0,
  },
  {
    place: 'a file target (plan)',
    setup: (h) => (
      writeRecipes(path.join(h, 'r'), {
        'demo.yaml': 'name: demo\ndescription: d\nsteps:\n  - file: { path: ~/target, content: hi }\n',
      }),
      path.join(h, 'target')
    ),
    args: (h) => ['--recipes', path.join(h, 'r'), 'plan', 'demo'],
    code: 0,
  },
  {
    place: 'a file target (run: not replaced)',
    setup: (h) => (
      writeRecipes(path.join(h, 'r'), {
        'demo.yaml': 'name: demo\ndescription: d\nsteps:\n  - file: { path: ~/target, content: hi }\n',
      }),
      path.join(h, 'target')
    ),
    args: (h) => ['--recipes', path.join(h, 'r'), 'run', 'demo'],
    code: 1,
  },
  {
    place: 'a config target (plan)',
    setup: (h) => (
      writeRecipes(path.join(h, 'r'), {
        'demo.yaml':
          'name: demo\ndescription: d\nsteps:\n  - config: { path: ~/target.ini, format: ini, set: { a.b: c } }\n',
      }),
      path.join(h, 'target.ini')
    ),
    args: (h) => ['--recipes', path.join(h, 'r'), 'plan', 'demo'],
    code: 0,
  },
];

// A folder named on validate's command line is a recipe folder: that one pair is not a mistake.
const CASES = PLACES.flatMap((p) =>
  SPECIALS.map((s) => ({ ...p, special: s, title: `${s.name} as ${p.place}` })),
).filter((c) => !(c.place === 'validate <path>' && c.special.name === 'a folder'));

describe('special files are refused, never opened blocking or read', () => {
  const times: number[] = [];
  afterAll(() =>
    console.log(
      `special files: ${times.length} cases (${PLACES.length} places × ${SPECIALS.length} kinds, less a folder for validate), slowest ${Math.max(...times).toFixed(2)} s`,
    ),
  );

  it.each(CASES)(
    '$title',
    async (c) => {
      const home = tempHome();
      const p = c.setup(home);
      await c.special.make(p);
      const res = await runWithin(c.args(home, p), home);
      times.push(res.seconds);
      expect(res.killed, 'it hung').toBe(false);
      expect(res.code, res.stderr + res.stdout).toBe(c.code);
      const out = res.stderr + res.stdout;
      expect(out).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
      expect(out).toMatch(c.special.says);
      if (c.located) expect(res.stderr).toContain(`${p}:1:1: error: `);
      // Never replaced: a run leaves the special file as it was.
      expect(fs.lstatSync(p).isFile()).toBe(false);
    },
    20_000,
  );
});
