import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/** npm's environment without what `npm test` adds (npm_config_prefix, npm_lifecycle_*…), so nothing leaks into the installs. */
function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !/^npm_config_(cache|registry|userconfig)$/i.test(k)) continue;
    if (k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k.startsWith('XDG_')) continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

const npm = (args: string[], cwd: string, env = npmEnv()): string =>
  execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('npm pack → npm install -g → setup', () => {
  it(
    'packs a tarball built by the lifecycle scripts, installs it into a prefix from the registry, and runs from there',
    { timeout: 300_000 },
    () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-pack-'));

      // A copy of the checkout without dist/ (so `prepare` must build it) and without tests; node_modules
      // linked, for the build tools.
      const src = path.join(tmp, 'src');
      const skip = new Set(['node_modules', 'dist', '.git', 'test', 'coverage', 'bench']);
      fs.cpSync(ROOT, src, { recursive: true, filter: (p) => !skip.has(path.relative(ROOT, p).split(path.sep)[0]!) });
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'), 'dir');
      const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        files: string[];
      };

      const out = npm(['pack', '--pack-destination', tmp], src);
      const tarball = path.join(tmp, out.trim().split('\n').pop()!);
      expect(tarball).toBe(path.join(tmp, `${pkg.name}-${pkg.version}.tgz`));

      // What the tarball holds: the built CLI, recipes, profiles, schemas, docs; no sources or tests.
      const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
      for (const f of [
        'package/package.json',
        'package/bin/setup',
        'package/recipes/pip-mirror.yaml',
        'package/recipes/ml-stack.yaml',
        'package/recipes/profiles/tuna.yaml',
        'package/schema/recipe.schema.json',
        'package/schema/profile.schema.json',
        'package/schema/config.schema.json',
        'package/docs/recipes.md',
        'package/docs/cli.md',
        'package/CHANGELOG.md',
        'package/README.md',
      ]) {
        expect(files, f).toContain(f);
      }
      expect(files.some((f) => f.startsWith('package/dist/') && f.endsWith('.js'))).toBe(true);
      expect(files.filter((f) => /^package\/(src|test|node_modules|bench)\//.test(f))).toEqual([]);

      // The runtime dependencies come from the npm registry as for any user (`--prefer-offline`: npm's cache
      // first, where an earlier install filled it); `npm ci` leaves no metadata for an `--offline` install.
      const prefix = path.join(tmp, 'prefix');
      npm(['install', '-g', '--prefer-offline', '--prefix', prefix, tarball], tmp);
      const installed = path.join(prefix, 'lib', 'node_modules', pkg.name);
      const setup = path.join(prefix, 'bin', 'setup');
      expect(fs.existsSync(setup)).toBe(true);
      // No dev dependency was installed, and none is needed below.
      for (const dev of ['typescript', 'vitest', 'esbuild', 'ajv', '@types'])
        expect(fs.existsSync(path.join(installed, 'node_modules', dev)), dev).toBe(false);

      // Run it the way a user would: a fresh HOME, no checkout on any path, only node on PATH.
      const home = path.join(tmp, 'home');
      fs.mkdirSync(home);
      const env = {
        PATH: `${path.join(prefix, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: home,
        NO_COLOR: '1',
        LANG: 'C.UTF-8',
      };
      const run = (args: string[]) =>
        execFileSync('setup', args, { cwd: home, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

      expect(run(['--version']).trim()).toBe(pkg.version);
      const plan = run(['plan', 'pip-mirror']);
      expect(plan).toMatch(/^pip-mirror\s/m);
      expect(plan).toContain('pip.conf');
      expect(run(['plan', 'pip-mirror', '--mirror', 'tuna'])).toContain('https://pypi.tuna.tsinghua.edu.cn/simple');
      expect(JSON.parse(run(['list', '--no-state', '--json'])).recipes.length).toBe(
        fs.readdirSync(path.join(ROOT, 'recipes')).filter((f) => f.endsWith('.yaml')).length,
      );
      execFileSync('setup', ['validate'], { cwd: home, env, stdio: 'ignore' });

      // `setup init` points new recipes at the schema of this installation.
      const file = run(['init', 'from-package']).trim();
      const first = fs.readFileSync(file, 'utf8').split('\n')[0]!;
      const schema = fileURLToPath(first.slice(first.indexOf('=') + 1));
      expect(schema).toBe(path.join(fs.realpathSync(installed), 'schema', 'recipe.schema.json'));
      expect(fs.existsSync(schema)).toBe(true);
    },
  );

  it("`npx setup` runs the checkout's own command from inside the checkout", () => {
    const out = execFileSync('npx', ['--offline', 'setup', 'plan', 'pip-mirror', '--graph'], {
      cwd: path.join(ROOT, 'recipes'),
      env: npmEnv({ HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-npx-')), NO_COLOR: '1' }),
      encoding: 'utf8',
    });
    expect(out).toContain('"pip-mirror"');
  });
});
