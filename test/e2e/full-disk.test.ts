import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { serve } from '../helpers/archives.js';
import { runCli, tempHome, writeRecipes, type CliResult } from './helpers.js';

/**
 * Issue 12, class 1: a full disk never destroys a file. Real 64 kB tmpfs mounts (root only), filled to a
 * random level, and the real CLI writing onto them: the target on the full disk (a `file` step, `config`
 * merges into INI, JSON and YAML, the env file), the backups folder on the full disk, and a disk so
 * nearly full that the temp file fits only in part. Whatever the sizes, a run either writes the whole new
 * content after a whole backup, or fails with exit 1, one clear "no space left on <mount>" line and its
 * hint, no stack, no "Done", and every original byte-identical with no temp file left; once space is
 * freed, the next run succeeds and the backup is the original (a backup an earlier failure left unsealed
 * is made again, not trusted).
 */

const mounts: string[] = [];
const KB = 64;

function mountDisk(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${KB}k,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  mounts.push(dir);
  return dir;
}
function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'pipe' });
  mounts.splice(mounts.indexOf(dir), 1);
  fs.rmdirSync(dir);
}
afterAll(() => [...mounts].forEach(unmount));

/** Why the tests cannot run here (not root, or no tmpfs), or undefined when they can. */
const cannot = ((): string | undefined => {
  if (process.getuid?.() !== 0) return 'not root: mounting a small tmpfs needs root';
  try {
    unmount(mountDisk());
    return undefined;
  } catch (e) {
    return `cannot mount a tmpfs: ${(e as Error).message.split('\n')[0]}`;
  }
})();
if (cannot) console.log(`full-disk tests skipped: ${cannot}`);

/** Fills `disk` until about `free` bytes are left. */
function fill(disk: string, free: number): void {
  const st = fs.statfsSync(disk);
  const take = Math.max(0, st.bavail * st.bsize - free);
  if (take) fs.writeFileSync(path.join(disk, 'filler'), Buffer.alloc(take, 'f'));
}

/** The text of `n` bytes of new content, in lines (so a truncation shows at any length). */
const content = (n: number, tag: string): string => {
  const line = `${tag} ${'z'.repeat(60)}\n`;
  return line.repeat(Math.ceil(n / line.length)).slice(0, n - 1) + '\n';
};

type Kind = 'file' | 'ini' | 'json' | 'yaml' | 'env';
const KINDS: Kind[] = ['file', 'ini', 'json', 'yaml', 'env'];
const NAME: Record<Kind, string> = {
  file: 'target.txt',
  ini: 'pip.conf',
  json: 'settings.json',
  yaml: '.condarc',
  env: 'config/envkit/env.sh',
};
const ORIGINAL: Record<Exclude<Kind, 'env'>, (n: number) => string> = {
  file: (n) => content(n, 'original'),
  ini: (n) => `# mine\n[global]\ntimeout = 60\n# ${'o'.repeat(n)}\n`,
  json: (n) => JSON.stringify({ mine: 'o'.repeat(n) }, null, 2) + '\n',
  yaml: (n) => `# mine\nchannels:\n  - defaults\nnote: ${'o'.repeat(n)}\n`,
};

/** A recipe writing `size` bytes of new content into the kind's file at `file`. */
function recipe(kind: Kind, file: string, size: number): string {
  const big = 'n'.repeat(size);
  const step: Record<Kind, string> = {
    file: `  - file:\n      path: ${file}\n      content: |\n${content(size, 'new')
      .trimEnd()
      .split('\n')
      .map((l) => `        ${l}`)
      .join('\n')}\n`,
    ini: `  - config: { path: ${file}, set: { global.big: "${big}" } }\n`,
    json: `  - config: { path: ${file}, set: { app.big: "${big}" } }\n`,
    yaml: `  - config: { path: ${file}, set: { big: "${big}" } }\n`,
    env: `  - env: { set: { EK_BIG: "${big}" } }\n`,
  };
  return `name: big\nsteps:\n${step[kind]}`;
}

/** Whether the kind's file holds the new content (parsed the way its format is). */
function hasNew(kind: Kind, text: string, size: number): boolean {
  const big = 'n'.repeat(size);
  if (kind === 'file') return text === content(size, 'new');
  if (kind === 'ini') return text.includes(`big = ${big}\n`) && text.includes('timeout = 60');
  if (kind === 'json') return (JSON.parse(text) as { app?: { big?: string } }).app?.big === big;
  if (kind === 'yaml') return (parseYaml(text) as { big?: string }).big === big;
  return text.includes(big);
}

const leftovers = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((e) => e.startsWith('.envkit-tmp-')) : [];

/** The checks every failed run must pass: one clear located line, its hint, exit 1, no stack, no Done. */
function expectClearFailure(r: CliResult, disk: string): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain(`no space left on ${disk}`);
  expect(r.stderr).toContain(`free some space on ${disk}`);
  expect(r.stderr + r.stdout).not.toMatch(/\bDone\b|internal error|^\s+at /m);
}

describe.skipIf(!!cannot)('a full disk never destroys a file', () => {
  it('the target on the full disk: whole new content or the original untouched, for every kind and fill level (fast-check)', async () => {
    const tally = { runs: 0, failed: 0, partial: 0, wrote: 0, reruns: 0, tooBig: 0, kinds: new Set<Kind>() };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...KINDS),
        fc.integer({ min: 200, max: 12_000 }),
        fc.oneof(fc.integer({ min: 2_000, max: 40_000 }), fc.integer({ min: 40_000, max: 200_000 })),
        fc.integer({ min: 0, max: 56_000 }),
        async (kind, origSize, newSize, free) => {
          const disk = mountDisk();
          const home = tempHome('envkit-full-');
          try {
            const file = path.join(disk, NAME[kind]);
            const env = { XDG_CONFIG_HOME: path.join(disk, 'config') };
            const recipes = path.join(home, 'recipes');
            if (kind === 'env') {
              // The env file is envkit's own: an earlier run made it, before the disk filled up.
              writeRecipes(recipes, {
                'small.yaml': `name: small\nsteps:\n  - env: { set: { EK_SMALL: "${'s'.repeat(origSize)}" } }\n`,
              });
              const r = await runCli(['--recipes', recipes, 'run', 'small'], home, env);
              expect(r.code, r.stderr).toBe(0);
            } else fs.writeFileSync(file, ORIGINAL[kind](origSize), { mode: 0o640 });
            const original = fs.readFileSync(file);
            writeRecipes(recipes, { 'big.yaml': recipe(kind, file, newSize) });
            fill(disk, free);
            const r = await runCli(['--recipes', recipes, 'run', 'big'], home, env);
            tally.runs++;
            tally.kinds.add(kind);
            expect(leftovers(path.dirname(file)), 'temp file left').toEqual([]);
            if (r.code === 0) {
              tally.wrote++;
              expect(
                hasNew(kind, fs.readFileSync(file, 'utf8'), newSize),
                'exit 0 but the new content is not whole',
              ).toBe(true);
              return;
            }
            tally.failed++;
            if (free >= 4096) tally.partial++; // part of the temp file fitted before the disk filled
            expectClearFailure(r, disk);
            expect(r.stderr).toContain(`cannot write ${file}`);
            expect(fs.readFileSync(file).equals(original), `${kind}: the original changed`).toBe(true);
            if (kind !== 'env') expect(fs.statSync(file).mode & 0o777).toBe(0o640);
            // Space freed: the next run writes it all and the backup is the original — where old and new fit
            // side by side (an atomic write needs both at once); where they cannot, it fails the same clear way.
            fs.rmSync(path.join(disk, 'filler'), { force: true });
            const again = await runCli(['--recipes', recipes, 'run', 'big'], home, env);
            tally.reruns++;
            if (newSize + original.length + 8192 > KB * 1024) {
              expectClearFailure(again, disk);
              expect(fs.readFileSync(file).equals(original)).toBe(true);
              tally.tooBig++;
              return;
            }
            expect(again.code, again.stderr).toBe(0);
            expect(hasNew(kind, fs.readFileSync(file, 'utf8'), newSize)).toBe(true);
            if (kind !== 'env')
              expect(
                fs.readFileSync(path.join(home, '.local', 'state', 'envkit', 'backups', file)).equals(original),
              ).toBe(true);
          } finally {
            unmount(disk);
            fs.rmSync(home, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40, seed: 0xd15c },
    );
    console.log(
      `full disk, target: ${tally.runs} runs of the real CLI over ${tally.kinds.size} kinds; ${tally.failed} refused (${tally.partial} after part of the temp file fitted; original byte-identical, clear message), ${tally.wrote} wrote it whole; ${tally.reruns} re-runs after freeing space: ${tally.reruns - tally.tooBig} whole with the original backed up, ${tally.tooBig} still too big for the disk and refused again`,
    );
    expect(tally.failed).toBeGreaterThan(tally.runs / 3);
    expect(tally.kinds.size).toBe(KINDS.length);
  }, 600_000);

  it('the backups folder on the full disk: the backup is whole and sealed before the original is touched, and a torn one is made again (fast-check)', async () => {
    const tally = { runs: 0, failed: 0, wrote: 0, planted: 0, remade: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 500, max: 24_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.option(fc.double({ min: 0, max: 0.99, noNaN: true }), { nil: undefined }),
        async (origSize, free, torn) => {
          const disk = mountDisk();
          const home = tempHome('envkit-full-');
          try {
            const env = { XDG_STATE_HOME: path.join(disk, 'state') };
            const file = path.join(home, 'user.conf');
            const original = Buffer.from(content(origSize, 'original'));
            fs.writeFileSync(file, original, { mode: 0o600 });
            const backup = path.join(disk, 'state', 'envkit', 'backups', file);
            const seal = `${backup}.envkit-sha256`;
            const sealed = (): boolean =>
              fs.existsSync(seal) &&
              fs.readFileSync(seal, 'utf8') ===
                `${createHash('sha256').update(fs.readFileSync(backup)).digest('hex')} ${fs.statSync(backup).size}\n`;
            if (torn !== undefined) {
              // What the old write left: a backup cut short by a full disk, with the original still in place.
              fs.mkdirSync(path.dirname(backup), { recursive: true });
              fs.writeFileSync(backup, original.subarray(0, Math.floor(torn * original.length)));
              tally.planted++;
            }
            const recipes = writeRecipes(path.join(home, 'recipes'), {
              'w.yaml': `name: w\nsteps:\n  - file: { path: ${file}, content: "new\\n" }\n`,
            });
            fill(disk, free);
            const r = await runCli(['--recipes', recipes, 'run', 'w'], home, env);
            tally.runs++;
            expect(leftovers(home)).toEqual([]);
            // Never a sealed backup that is not the original.
            if (sealed())
              expect(fs.readFileSync(backup).equals(original), 'a sealed backup that is not the original').toBe(true);
            if (r.code === 0) {
              tally.wrote++;
              expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
              expect(
                fs.readFileSync(backup).equals(original) && sealed(),
                'exit 0 without a whole, sealed backup',
              ).toBe(true);
            } else {
              tally.failed++;
              expectClearFailure(r, disk);
              expect(fs.readFileSync(file).equals(original), 'the original changed').toBe(true);
              fs.rmSync(path.join(disk, 'filler'), { force: true });
              const again = await runCli(['--recipes', recipes, 'run', 'w'], home, env);
              expect(again.code, again.stderr).toBe(0);
              expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
              expect(fs.readFileSync(backup).equals(original) && sealed(), 'the backup was not made again whole').toBe(
                true,
              );
            }
            expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
            if (torn !== undefined) {
              tally.remade++;
              expect(
                fs
                  .readFileSync(`${backup}.unverified`)
                  .equals(original.subarray(0, Math.floor(torn * original.length))),
              ).toBe(true);
            }
          } finally {
            unmount(disk);
            fs.rmSync(home, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 30, seed: 0xbac0 },
    );
    console.log(
      `full disk, backups: ${tally.runs} runs of the real CLI; ${tally.failed} refused (original byte-identical, then whole after freeing space), ${tally.wrote} wrote with a whole sealed backup; ${tally.planted} torn backups planted, ${tally.remade} made again and the torn one set aside`,
    );
    expect(tally.failed).toBeGreaterThan(tally.runs / 4);
    expect(tally.planted).toBeGreaterThan(0);
  }, 600_000);

  it('a download placed onto the full disk: the whole file or the old one untouched, over fill levels (real HTTP on 127.0.0.1)', async () => {
    const payload = randomBytes(40_000);
    const srv = await serve({ '/blob.bin': payload });
    const tally = { runs: 0, failed: 0 };
    try {
      for (const free of [0, 4096, 12_288, 20_480, 32_768, 45_056, 56_000]) {
        const disk = mountDisk();
        const home = tempHome('envkit-full-');
        try {
          const dest = path.join(disk, 'blob.bin');
          const old = Buffer.from(content(6000, 'old'));
          fs.writeFileSync(dest, old);
          const recipes = writeRecipes(path.join(home, 'recipes'), {
            'dl.yaml': `name: dl\nsteps:\n  - download: { url: "${srv.base}/blob.bin", sha256: ${createHash('sha256').update(payload).digest('hex')}, dest: ${dest} }\n`,
          });
          fill(disk, free);
          const r = await runCli(['--recipes', recipes, 'run', 'dl'], home);
          tally.runs++;
          expect(fs.readdirSync(disk).sort(), 'a temp file was left').toEqual([
            'blob.bin',
            ...(fs.existsSync(path.join(disk, 'filler')) ? ['filler'] : []),
          ]);
          if (r.code === 0) expect(fs.readFileSync(dest).equals(payload)).toBe(true);
          else {
            tally.failed++;
            expectClearFailure(r, disk);
            expect(fs.readFileSync(dest).equals(old), 'the old file changed').toBe(true);
          }
        } finally {
          unmount(disk);
          fs.rmSync(home, { recursive: true, force: true });
        }
      }
    } finally {
      await srv.close();
    }
    console.log(
      `full disk, download: ${tally.runs} fill levels, ${tally.failed} refused with the old file byte-identical, ${tally.runs - tally.failed} placed whole`,
    );
    expect(tally.failed).toBeGreaterThan(0);
    expect(tally.failed).toBeLessThan(tally.runs);
  }, 300_000);
});
