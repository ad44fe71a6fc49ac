import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawTar, serve, sha256 } from '../helpers/archives.js';
import { mirrorRepo } from '../helpers/git-mirror.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 17, item 2: a later step's download starts while an earlier step builds (its file into the cache),
 * and the download step places it in its turn. Asserted by order of events, not by timings: the server sees
 * the request before the build ends. A run that fails stops its fetches: the server sees the client go.
 */
describe('setup run fetches ahead while earlier steps build', () => {
  const tar = rawTar([{ path: 'tool-1.0/bin/tool', body: '#!/bin/sh\necho tool 1.0\n', mode: 0o755 }]);

  async function slowServer(delayMs: number) {
    const seen: { getAt?: number; closedEarly?: boolean } = {};
    const server = await serve({
      '/tool-1.0.tar.gz': (req, res) => {
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-length': tar.length }).end();
          return;
        }
        seen.getAt = Date.now();
        let done = false;
        res.on('close', () => {
          if (!done) seen.closedEarly = true;
        });
        setTimeout(() => {
          done = true;
          res.writeHead(200, { 'content-length': tar.length }).end(tar);
        }, delayMs);
      },
    });
    return { server, seen };
  }

  const recipe = (url: string, build: string): string =>
    [
      'name: ahead',
      'steps:',
      '  - name: A build that takes a while',
      `    run: ${JSON.stringify(build)}`,
      '    creates: ~/built',
      '  - name: The tool',
      `    download: { url: "${url}", sha256: ${sha256(tar)}, extract: ~/tool, strip: 1 }`,
      '',
    ].join('\n');

  it('the download is asked for while the build runs; the step then places it; a second run is a no-op', async () => {
    const { server, seen } = await slowServer(300);
    try {
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'recipes'), {
        'ahead.yaml': recipe(`${server.base}/tool-1.0.tar.gz`, 'sleep 2; date +%s%3N > ~/built'),
      });
      const run = await runCli(['run', 'ahead', '--recipes', recipes], home);
      expect(run.code, run.stderr).toBe(0);
      const builtAt = Number(fs.readFileSync(path.join(home, 'built'), 'utf8').trim());
      expect(seen.getAt).toBeDefined();
      expect(seen.getAt!).toBeLessThan(builtAt); // asked for before the build ended
      expect(fs.readFileSync(path.join(home, 'tool', 'bin', 'tool'), 'utf8')).toContain('tool 1.0');
      expect(server.count('/tool-1.0.tar.gz')).toBeLessThanOrEqual(2); // one HEAD probe, one GET
      const again = await runCli(['run', 'ahead', '--recipes', recipes], home);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr + again.stdout).toContain('Nothing to do');
    } finally {
      await server.close();
    }
  });

  it('a run that fails stops the fetches it started ahead', async () => {
    const { server, seen } = await slowServer(20_000);
    try {
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'recipes'), {
        'ahead.yaml': recipe(`${server.base}/tool-1.0.tar.gz`, 'sleep 1; exit 3'),
      });
      const run = await runCli(['run', 'ahead', '--recipes', recipes], home);
      expect(run.code).toBe(1);
      expect(seen.getAt).toBeDefined(); // it had started
      expect(seen.closedEarly).toBe(true); // and setup went away without waiting for the file
      expect(fs.existsSync(path.join(home, 'tool'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  describe('a fresh git clone with submodules', () => {
    // The build waits (at most `secs`) for a clone to appear in the cache, and writes down what it saw there.
    const build = (secs: number): string =>
      `for i in $(seq ${secs * 5}); do ls ~/.cache/envkit/git-ahead 2>/dev/null | grep -q . && break; sleep 0.2; done; { ls ~/.cache/envkit/git-ahead || true; } > ~/seen 2>&1; date > ~/built`;
    const recipe = (root: string, secs: number): string =>
      [
        'name: ahead-git',
        'steps:',
        '  - name: A build that takes a while',
        `    run: ${JSON.stringify(build(secs))}`,
        '    creates: ~/built',
        '  - name: The sources',
        '    git: { repo: "https://github.com/envkit/app.git", ref: main, dest: ~/src/app, submodules: true }',
        '',
      ].join('\n');

    async function fixture(): Promise<{ home: string; args: string[] }> {
      const root = tempHome('envkit-ahead-git-');
      const lib = await mirrorRepo(root, 'envkit/lib');
      await mirrorRepo(root, 'envkit/app', [{ path: 'third_party/lib', url: lib.url, commit: lib.recorded }]);
      const profile = path.join(root, 'local.yaml');
      fs.writeFileSync(
        profile,
        `name: local\ngit: { rewrite: { "https://github.com/": "file://${root}/mirror/github.com/" } }\n`,
      );
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'recipes'), { 'ahead-git.yaml': recipe(root, 20) });
      return { home, args: ['--recipes', recipes, '--mirror', profile] };
    }

    it('is cloned in the cache while the build runs, moved into place in its turn; a second run is a no-op', async () => {
      const { home, args } = await fixture();
      const run = await runCli(['run', 'ahead-git', ...args, '-v'], home);
      expect(run.code, run.stderr).toBe(0);
      expect(fs.readFileSync(path.join(home, 'seen'), 'utf8')).toMatch(/^[0-9a-f]{16}-\d+$/m); // the clone was there
      expect(fs.readFileSync(path.join(home, 'src', 'app', 'third_party', 'lib', 'README.md'), 'utf8')).toContain(
        'envkit/lib',
      );
      expect(run.stdout + run.stderr).toContain('while earlier steps ran');
      expect(fs.readdirSync(path.join(home, '.cache', 'envkit', 'git-ahead'))).toEqual([]); // moved, not copied
      const again = await runCli(['run', 'ahead-git', ...args], home);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr + again.stdout).toContain('Nothing to do');
    });

    it('--jobs 0 clones nothing ahead: the clone is made in its turn', async () => {
      const { home, args } = await fixture();
      fs.writeFileSync(
        path.join(args[1]!, 'ahead-git.yaml'),
        fs.readFileSync(path.join(args[1]!, 'ahead-git.yaml'), 'utf8').replace('seq 100', 'seq 10'),
      );
      const run = await runCli(['run', 'ahead-git', ...args, '--jobs', '0'], home);
      expect(run.code, run.stderr).toBe(0);
      expect(fs.readFileSync(path.join(home, 'seen'), 'utf8')).not.toMatch(/^[0-9a-f]{16}-\d+$/m);
      expect(fs.readFileSync(path.join(home, 'src', 'app', 'README.md'), 'utf8')).toContain('envkit/app');
    });

    it('--jobs that is not a whole number is refused in one line (exit 2)', async () => {
      const { home, args } = await fixture();
      const run = await runCli(['run', 'ahead-git', ...args, '--jobs', 'many'], home);
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toMatch(/--jobs "many" is not a whole number from 0 to 64/);
      expect(fs.existsSync(path.join(home, 'built'))).toBe(false);
    });
  });
});
