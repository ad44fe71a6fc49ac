import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempHome } from './helpers.js';

/** Temp files of envkit's beside `base`: `.envkit-tmp-<16 hex>-<name>`. */
const temps = (dir: string, base: string): string[] => fs.readdirSync(dir).filter((e) => /^\.envkit-tmp-[0-9a-f]{16}-/.test(e) && e.slice(29) === base);

describe('temp files left by a killed write', () => {
  it('are listed as they are created and removed by the next run, and nothing else is', async () => {
    const root = tempHome('envkit-sweep-');
    const script = path.join(root, 'write.mjs');
    const lib = pathToFileURL(path.join(ROOT, 'dist', 'util', 'safe-write.js')).href;
    fs.writeFileSync(script, `import { safeWrite } from ${JSON.stringify(lib)};\nprocess.stdout.write('ready\\n');\nawait safeWrite(process.argv[2], Buffer.alloc(48 << 20, 'new\\n').toString(), { backupDir: process.argv[3] });\n`);
    const home = tempHome();
    const backups = path.join(home, '.local', 'state', 'envkit', 'backups');
    const file = path.join(home, 'user.conf');
    fs.writeFileSync(path.join(home, 'user.conf.1'), 'a file of the user that looks like a temp file\n');
    // Kill the write at growing delays until one is caught with its temp file on disk.
    let left: string[] = [];
    for (let i = 0; i < 20 && !left.length; i++) {
      fs.writeFileSync(file, 'old\n');
      const child = spawn(process.execPath, [script, file, backups], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exit = new Promise((ok) => child.on('exit', ok));
      await new Promise((ok) => child.stdout.once('data', ok));
      setTimeout(() => child.kill('SIGKILL'), 20 + i * 15);
      await exit;
      left = temps(home, 'user.conf');
      const now = fs.readFileSync(file, 'utf8');
      expect(now === 'old\n' || now.startsWith('new\n'), `torn after kill ${i}`).toBe(true);
    }
    expect(left.length, 'no kill landed mid-write in 20 tries').toBeGreaterThan(0);
    const recipes = path.join(home, 'recipes');
    fs.mkdirSync(recipes);
    fs.writeFileSync(path.join(recipes, 'noop.yaml'), 'name: noop\nsteps:\n  - run: "true"\n    creates: /\n');
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, 'restored\n');
    const list = path.join(home, '.local', 'state', 'envkit', 'temp-files');
    expect(fs.existsSync(list), 'the killed write listed its temp file').toBe(true);
    const run = await runCli(['--recipes', recipes, 'run', 'noop'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/removed \d+ temp files? left by an interrupted write/);
    expect(temps(home, 'user.conf')).toEqual([]);
    expect(fs.readFileSync(path.join(home, 'user.conf.1'), 'utf8')).toContain('looks like a temp file');
    expect(fs.readFileSync(file, 'utf8')).toBe('restored\n');
    fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);
});
