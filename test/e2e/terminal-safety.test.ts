import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 12, class 9: no internal errors, no raw control output. Names, descriptions, variable values
 * and step output full of control characters go through the real CLI (list, show, plan, run -v with a
 * failure report, validate's error lines); without colour no ESC, BEL, CR, backspace or other control
 * byte may reach stdout or stderr. A read-only HOME (as another user), a file where HOME should be,
 * `init --dir` naming a file and a NUL in `creates` each give one clear line and the documented exit
 * code, never "internal error".
 */

const root = tempHome('envkit-term-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Any control byte (C0 but \n and \t, DEL, C1) or bidi override: none may be printed. */
// eslint-disable-next-line no-control-regex -- the test looks for control characters
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const noRawControl = (text: string, what: string): void => {
  const m = RAW_CONTROL.exec(text);
  expect(
    m &&
      `${what}: U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 10))}`,
  ).toBeNull();
};

/** Text rich in terminal control: escape sequences (colour, clear, title, OSC 8 links), BEL, CR, BS, DEL, C1, bidi. */
const nasty = fc.string({
  unit: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '\x1b[31m',
        '\x1b[2J',
        '\x1b]0;pwned\x07',
        '\x1b]8;;http://x\x1b\\',
        '\x07',
        '\r',
        '\b',
        '\x7f',
        '\x9b',
        '\u202e',
        '\x00',
        '\x1b',
        '\x0c',
        '\x0b',
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) },
    { weight: 4, arbitrary: fc.constantFrom('a', 'b', ' ', 'é', '中', '-', '#') },
  ),
  minLength: 1,
  maxLength: 24,
});

/** A YAML double-quoted scalar holding `s` exactly (YAML escapes every control character). */
const yq = (s: string): string => JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');

describe('no raw control output (NO_COLOR, no TTY)', () => {
  let runs = 0;
  afterAll(() =>
    console.log(
      `[terminal-safety] ${runs} recipes of control-laden names, descriptions, values and output through list/show/plan/run -v/validate: 0 raw control bytes`,
    ),
  );

  it('names, descriptions, values, output lines and error lines are shown escaped', { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(nasty, nasty, nasty, nasty), { minLength: 3, maxLength: 3 }),
        async (recipes) => {
          const home = tempHome('envkit-term-home-');
          const files: Record<string, string> = {};
          // NUL is refused at load (its own test below); every other control character goes in.
          const noNul = (s: string): string => s.replaceAll('\x00', '') || 'x';
          recipes.forEach(([desc, stepName, value, output], i) => {
            const payload = path.join(home, `payload${i}.bin`);
            fs.writeFileSync(payload, `${output}\n`);
            const exit = i === recipes.length - 1 ? 3 : 0; // the last one fails: its output ends in the failure report
            files[`demo${i}.yaml`] =
              `name: demo${i}\ndescription: ${yq(noNul(desc))}\nvars:\n  v: ${yq(noNul(value))}\nsteps:\n  - name: ${yq(noNul(stepName))}\n    run: cat ${payload}; echo {{ v }}; exit ${exit}\n`;
            files[`broken${i}.yaml`] =
              `name: broken${i}\nsteps:\n  - run: echo\n    ${yq(noNul(stepName))}: 1\n  - ${yq(noNul(desc))}: x\n`;
          });
          const dir = writeRecipes(path.join(home, 'recipes'), files);
          const names = recipes.map((_, i) => `demo${i}`);
          for (const args of [
            ['list'],
            ['show', 'demo0'],
            ['plan', ...names],
            ['run', '-v', ...names],
            ['validate', dir],
          ]) {
            const r = await runCli(args[0] === 'validate' ? args : ['--recipes', dir, ...args], home);
            noRawControl(r.stdout, `stdout of ${args.join(' ')}`);
            noRawControl(r.stderr, `stderr of ${args.join(' ')}`);
            expect(r.stderr).not.toMatch(/internal error/);
            if (args[0] === 'run') expect(r.code, r.stderr).toBe(1);
            if (args[0] === 'validate') expect(r.code, r.stderr).toBe(2);
          }
          runs += recipes.length;
          fs.rmSync(home, { recursive: true, force: true });
        },
      ),
      { numRuns: 8 },
    );
  });

  it('a 1 MB output line is clipped in the failure report (the log keeps it whole)', { timeout: 60_000 }, async () => {
    const home = tempHome('envkit-term-home-');
    const dir = writeRecipes(path.join(home, 'recipes'), {
      'long.yaml': 'name: long\nsteps:\n  - run: head -c 1000000 /dev/zero | tr "\\0" x; echo; exit 4\n',
    });
    const r = await runCli(['--recipes', dir, 'run', 'long'], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`│ ${'x'.repeat(500)}… (999500 more bytes)`);
    expect(r.stderr.length).toBeLessThan(5000);
    const log = fs.readFileSync(
      fs.realpathSync(path.join(home, '.local', 'state', 'envkit', 'logs', 'latest.log')),
      'utf8',
    );
    expect(log).toContain('x'.repeat(1_000_000));
  });
});

/** `setup …` as another user (nobody), for a HOME that user cannot write; undefined when not possible here. */
function asNobody(args: string[], home: string): { code: number | null; stdout: string; stderr: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const probe = spawnSync('runuser', ['-u', 'nobody', '--', 'true']);
  if (probe.status !== 0) return undefined;
  // runuser sets HOME to the user's own; `env` puts ours back.
  const env = cliEnv(home);
  const r = spawnSync(
    'runuser',
    ['-u', 'nobody', '--', 'env', `HOME=${home}`, 'NO_COLOR=1', process.execPath, BIN, ...args],
    { env, cwd: '/', encoding: 'utf8' },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('no internal errors', () => {
  const oneLine = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim());
  const clean = (r: { stderr: string; stdout: string }): void => {
    expect(r.stderr + r.stdout).not.toMatch(/internal error|please report|^\s+at /m);
  };

  it('a HOME that cannot be written (another user, mode 555): one line naming the folder, exit 1', () => {
    const home = path.join(root, 'ro-home');
    fs.mkdirSync(home);
    fs.chmodSync(home, 0o555);
    fs.chmodSync(root, 0o755);
    const run = asNobody(['run', 'prefix-env'], home);
    if (!run) return void console.log('[terminal-safety] skipped the read-only HOME case: needs root and runuser');
    expect(run.code, run.stderr).toBe(1);
    expect(oneLine(run.stderr)).toEqual([
      `setup: error: cannot create the folder ${home}/.local/state/envkit: permission denied (EACCES) (check the owner and permissions of that folder, or set XDG_CONFIG_HOME, XDG_STATE_HOME and XDG_CACHE_HOME to writable folders)`,
    ]);
    clean(run);
    const init = asNobody(['init', 'mine'], home)!;
    expect(init.code, init.stderr).toBe(1);
    expect(oneLine(init.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(`^setup: error: cannot create the folder ${home}/\\.config: permission denied \\(EACCES\\)`),
      ),
    ]);
    clean(init);
    // A command's own output where the user may not write: where to write it instead, not a step's hint.
    for (const [args, hint] of [
      [['init', 'mine', '--dir', home], 'write it to a folder you may write: --dir DIR'],
      [['lock', 'prefix-env', '--lock', path.join(home, 'envkit.lock')], 'name another file: --lock FILE'],
    ] as const) {
      const writable = fs.mkdtempSync(path.join(root, 'w-home-'));
      fs.chownSync(writable, 65534, 65534);
      const r = asNobody([...args], writable)!;
      expect(r.code, r.stderr).toBe(1);
      expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^setup: error: cannot write .*: permission denied/)]);
      expect(r.stderr).toContain(hint);
      expect(r.stderr).not.toContain('root: true');
    }
    // What only reads still works.
    const plan = asNobody(['plan', 'prefix-env'], home)!;
    expect(plan.code, plan.stderr).toBe(0);
  });

  it('a file where HOME should be: one located line, exit 2', async () => {
    const file = path.join(root, 'home-is-a-file');
    fs.writeFileSync(file, '');
    for (const cmd of [['list'], ['plan', 'prefix-env'], ['run', 'prefix-env']]) {
      const p = spawnSync(process.execPath, [BIN, ...cmd], { env: cliEnv(file), cwd: root, encoding: 'utf8' });
      const r = { code: p.status, stdout: p.stdout, stderr: p.stderr };
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toEqual([
        `${file}/.config/envkit/config.yaml:1:1: error: cannot read: a file stands where a folder is needed (ENOTDIR)`,
      ]);
      clean(r);
    }
  });

  it('init --dir naming a file, or a folder under one: a bad flag, exit 2', async () => {
    const home = tempHome('envkit-term-home-');
    const file = path.join(home, 'notes.txt');
    fs.writeFileSync(file, 'mine\n');
    for (const [dir, want] of [
      [file, `setup: error: --dir ${file}: is a file, not a folder (give a folder; it is created when missing)`],
      [
        path.join(file, 'sub'),
        `setup: error: --dir ${file}/sub: ${file} is a file, not a folder (give a folder; it is created when missing)`,
      ],
    ]) {
      const r = await runCli(['init', 'mine', '--dir', dir!], home);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toEqual([want]);
      clean(r);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it('a NUL in creates: refused at load by validate, plan and run, never reaching a path', async () => {
    const home = tempHome('envkit-term-home-');
    const dir = writeRecipes(path.join(home, 'recipes'), {
      'nul.yaml': 'name: nul\nsteps:\n  - run: touch ~/ran\n    creates: "/tmp/a\\0b"\n',
    });
    for (const cmd of [
      ['validate', dir],
      ['--recipes', dir, 'plan', 'nul'],
      ['--recipes', dir, 'run', 'nul'],
    ]) {
      const r = await runCli(cmd, home);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)[0]).toBe(
        `${dir}/nul.yaml:4:14: error: this value holds a NUL character ("\\0") (remove it: no path, argument or environment variable can carry a NUL)`,
      );
      clean(r);
    }
    expect(fs.existsSync(path.join(home, 'ran'))).toBe(false);
  });
});
