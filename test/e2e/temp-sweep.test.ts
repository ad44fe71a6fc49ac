import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempHome, writeRecipes } from './helpers.js';

/** Temp files of envkit's beside `base`: `.envkit-tmp-<16 hex>-<name>`. */
const temps = (dir: string, base: string): string[] =>
  fs.readdirSync(dir).filter((e) => /^\.envkit-tmp-[0-9a-f]{16}-/.test(e) && e.slice(29) === base);

const NOOP = 'name: noop\nsteps:\n  - run: "true"\n    creates: /\n';

describe('temp files left by a killed write', () => {
  it('are listed as they are created and removed by the next run, and nothing else is', async () => {
    const root = tempHome('envkit-sweep-');
    const script = path.join(root, 'write.mjs');
    const lib = pathToFileURL(path.join(ROOT, 'dist', 'util', 'safe-write.js')).href;
    fs.writeFileSync(
      script,
      `import { safeWrite } from ${JSON.stringify(lib)};\nprocess.stdout.write('ready\\n');\nawait safeWrite(process.argv[2], Buffer.alloc(48 << 20, 'new\\n').toString(), { backupDir: process.argv[3] });\n`,
    );
    const home = tempHome();
    const backups = path.join(home, '.local', 'state', 'envkit', 'backups');
    const file = path.join(home, 'user.conf');
    fs.writeFileSync(path.join(home, 'user.conf.1'), 'a file of the user that looks like a temp file\n');
    // Kill the write the moment its temp file shows up beside the user's file: a kill mid-write, every time.
    fs.writeFileSync(file, 'old\n');
    const child = spawn(process.execPath, [script, file, backups], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exit = new Promise((ok) => child.on('exit', ok));
    await new Promise((ok) => child.stdout.once('data', ok));
    const poll = setInterval(() => temps(home, 'user.conf').length && child.kill('SIGKILL'), 1);
    await exit;
    clearInterval(poll);
    const left = temps(home, 'user.conf');
    expect(fs.readFileSync(file, 'utf8')).toBe('old\n');
    expect(left.length, 'the write finished before its temp file was seen').toBe(1);
    const recipes = writeRecipes(path.join(home, 'recipes'), { 'noop.yaml': NOOP });
    fs.writeFileSync(file, 'restored\n');
    const list = path.join(home, '.local', 'state', 'envkit', 'temp-files');
    expect(fs.existsSync(list), 'the killed write listed its temp file').toBe(true);
    const run = await runCli(['--recipes', recipes, 'run', 'noop'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/removed 1 temp file left by an interrupted write/);
    expect(run.stderr).not.toMatch(/left alone/);
    expect(temps(home, 'user.conf')).toEqual([]);
    expect(fs.readFileSync(path.join(home, 'user.conf.1'), 'utf8')).toContain('looks like a temp file');
    expect(fs.readFileSync(file, 'utf8')).toBe('restored\n');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }, 120_000);
});

/**
 * Issue 12, class 6: the temp-file list lives in the state folder, so anyone who can write there could
 * name any file in it. Forged lines of every shape — user files by absolute path, `..`, symlinks and hard
 * links named like envkit's temp files, names one character off envkit's pattern, true-looking temp names
 * beside files envkit never wrote, temps in another folder than their file, old bare-path lines, garbage —
 * must delete nothing, through the real `setup run`. The victims sit beside `user.conf`, a file envkit
 * really wrote (it has a sealed backup), so the refusals come from the rules, not from a missing backup.
 */
describe('a forged temp-file list', () => {
  const HEX = fc.stringMatching(/^[0-9a-f]{16}$/);
  type Forge = (home: string, hex: string, n: number) => { line: string; victims: string[]; refused: number };
  const entry = (file: string, target: string, temp: string): string => JSON.stringify({ file, target, temp });
  const victim = (p: string, text = `victim ${p}\n`): string => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  };
  const FORGES: Record<string, Forge> = {
    'a user file by absolute path': (h) => {
      const v = victim(path.join(h, 'precious.txt'));
      return { line: entry(v, v, v), victims: [v], refused: 1 };
    },
    'a bare path (the old list format)': (h) => {
      const v = victim(path.join(h, 'bare.txt'));
      return { line: v, victims: [v], refused: 1 };
    },
    '`..` out of the folder': (h, hex) => {
      const v = victim(path.join(h, `.envkit-tmp-${hex}-user.conf`));
      // Spelt out: path.join would take the `..` away.
      const [t, f] = [`${h}/sub/../.envkit-tmp-${hex}-user.conf`, `${h}/sub/../user.conf`];
      return { line: entry(f, f, t), victims: [v], refused: 1 };
    },
    'a symlink named like a temp file, to a user file': (h, hex, n) => {
      const v = victim(path.join(h, `linked-${n}.txt`));
      const t = path.join(h, `.envkit-tmp-${hex}-user.conf`);
      fs.rmSync(t, { force: true });
      fs.symlinkSync(v, t);
      return { line: entry(path.join(h, 'user.conf'), path.join(h, 'user.conf'), t), victims: [v, t], refused: 1 };
    },
    'a hard link named like a temp file, to a user file': (h, hex, n) => {
      const v = victim(path.join(h, `hard-${n}.txt`));
      const t = path.join(h, `.envkit-tmp-${hex}-user.conf`);
      fs.rmSync(t, { force: true });
      fs.linkSync(v, t);
      return { line: entry(path.join(h, 'user.conf'), path.join(h, 'user.conf'), t), victims: [v], refused: 1 };
    },
    'a name one off the pattern': (h, hex, n) => {
      const near = [
        `.envkit-tmp-${hex.slice(1)}-user.conf`,
        `.envkit-tmp-${hex.toUpperCase().replace(/^[0-9]/, 'A')}-user.conf`,
        `envkit-tmp-${hex}-user.conf`,
        `.envkit-tmp-${hex}-user.conf~`,
        `.envkit-tmp-${hex}user.conf`,
        `.envkit-tmp-${hex}-user.con`,
        `.envkit-tmp-${hex}0-user.conf`,
        `.envkit-temp-${hex}-user.conf`,
      ][n % 8]!;
      const v = victim(path.join(h, near));
      return { line: entry(path.join(h, 'user.conf'), path.join(h, 'user.conf'), v), victims: [v], refused: 1 };
    },
    'a true temp name beside a file envkit never wrote': (h, hex) => {
      victim(path.join(h, 'other.conf'));
      const v = victim(path.join(h, `.envkit-tmp-${hex}-other.conf`));
      return {
        line: entry(path.join(h, 'other.conf'), path.join(h, 'other.conf'), v),
        victims: [v, path.join(h, 'other.conf')],
        refused: 1,
      };
    },
    'a temp in another folder than its file': (h, hex) => {
      const v = victim(path.join(h, 'elsewhere', `.envkit-tmp-${hex}-user.conf`));
      return { line: entry(path.join(h, 'user.conf'), path.join(h, 'user.conf'), v), victims: [v], refused: 1 };
    },
    'a relative path': (h, hex) => {
      const v = victim(path.join(h, `.envkit-tmp-${hex}-user.conf`));
      return { line: entry('user.conf', 'user.conf', `.envkit-tmp-${hex}-user.conf`), victims: [v], refused: 1 };
    },
    'garbage JSON': () => ({ line: '{"file": 1, "target": [], "temp": null}', victims: [], refused: 1 }),
  };
  const KINDS = Object.keys(FORGES);
  /** What a victim is: a symlink's target, or a file's content. */
  const look = (p: string): string =>
    fs.lstatSync(p).isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : fs.readFileSync(p, 'utf8');

  it('deletes nothing, whatever lines it holds (fast-check, through the real CLI)', async () => {
    const home = tempHome('envkit-forge-');
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'noop.yaml': NOOP,
      'mine.yaml': 'name: mine\nsteps:\n  - file: { path: ~/user.conf, content: "envkit wrote this\\n" }\n',
    });
    fs.writeFileSync(path.join(home, 'user.conf'), 'the user original\n');
    const first = await runCli(['--recipes', recipes, 'run', 'mine'], home);
    expect(first.code, first.stderr).toBe(0);
    const list = path.join(home, '.local', 'state', 'envkit', 'temp-files');
    let lines = 0;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ kind: fc.constantFrom(...KINDS), hex: HEX }), { minLength: 1, maxLength: 6 }),
        async (forged) => {
          // The index in the random part keeps two lines of one run from naming the same file.
          const made = forged.map((f, n) =>
            FORGES[f.kind]!(home, f.hex.slice(0, 14) + n.toString(16).padStart(2, '0'), n),
          );
          const before = new Map(made.flatMap((m) => m.victims).map((v) => [v, look(v)]));
          fs.writeFileSync(list, made.map((m) => m.line).join('\n') + '\n');
          const r = await runCli(['--recipes', recipes, 'run', 'noop'], home);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stderr).not.toMatch(/removed \d+ temp file/);
          const refused = made.reduce((n, m) => n + m.refused, 0);
          expect(r.stderr).toContain(`left alone ${new Set(made.map((m) => m.line)).size} line`);
          for (const [v, was] of before) expect(look(v), v).toBe(was);
          expect(fs.readFileSync(path.join(home, 'user.conf'), 'utf8')).toBe('envkit wrote this\n');
          lines += refused;
          forged.forEach((f) => seen.add(f.kind));
        },
      ),
      { numRuns: 25, seed: 0x5eed },
    );
    console.log(
      `forged temp lists: 25 runs of the real CLI, ${lines} forged lines of ${seen.size} kinds, 0 files deleted`,
    );
    expect(seen.size).toBe(KINDS.length);
    fs.rmSync(home, { recursive: true, force: true });
  }, 300_000);
});
