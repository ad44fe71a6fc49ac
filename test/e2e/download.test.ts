import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { halfThenDrop, rawTar, rawZip, serve, sha256, type Route } from '../helpers/archives.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/** Archives of one small tree (`pkg-1.0/bin/tool`, a symlink, a doc), made by the real tar and zip programs. */
const A: Record<'tgz' | 'txz' | 'tbz' | 'zip', Buffer> = {} as never;
const SUM = {} as Record<keyof typeof A, string>;

beforeAll(() => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-dl-src-'));
  const pkg = path.join(d, 'pkg-1.0');
  fs.mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(pkg, 'share'));
  fs.writeFileSync(path.join(pkg, 'bin', 'tool'), '#!/bin/sh\necho tool 1.0\n', { mode: 0o755 });
  fs.symlinkSync('tool', path.join(pkg, 'bin', 't'));
  fs.writeFileSync(path.join(pkg, 'share', 'doc.txt'), 'docs\n');
  execFileSync('tar', ['czf', 'a.tgz', 'pkg-1.0'], { cwd: d });
  execFileSync('tar', ['cJf', 'a.txz', 'pkg-1.0'], { cwd: d });
  execFileSync('tar', ['cjf', 'a.tbz', 'pkg-1.0'], { cwd: d });
  execFileSync('zip', ['-qry', 'a.zip', 'pkg-1.0'], { cwd: d });
  for (const k of ['tgz', 'txz', 'tbz', 'zip'] as const) {
    A[k] = fs.readFileSync(path.join(d, `a.${k}`));
    SUM[k] = sha256(A[k]);
  }
});

/** A recipe with download steps (each a YAML flow map). */
const recipe = (name: string, ...steps: string[]): string =>
  `name: ${name}\nsteps:\n${steps.map((s) => `  - download: ${s}\n`).join('')}`;

/** A fresh HOME with recipes, the args to reach them, and a way to run `setup`. */
function setup(recipes: Record<string, string>, extra: string[] = []) {
  const home = tempHome('envkit-dl-');
  const dir = writeRecipes(
    path.join(home, 'recipes'),
    Object.fromEntries(Object.entries(recipes).map(([n, t]) => [`${n}.yaml`, t])),
  );
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['--recipes', dir, ...extra, ...args], home, env);
  return { home, cli };
}

const cacheFiles = (home: string): string[] => {
  const d = path.join(home, '.cache', 'envkit', 'sha256');
  return fs.existsSync(d) ? fs.readdirSync(d) : [];
};

/** Every path under `dir` whose name contains "evil" or an envkit temp folder: what a refused archive must not leave. */
function leftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (/evil|envkit-tmp|envkit-old|\.part$/.test(e.name)) out.push(p);
      if (e.isDirectory() && !e.isSymbolicLink()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe.concurrent('download steps', () => {
  it('converge; a second recipe and a re-run download nothing; the cache restores a deleted folder', async () => {
    const srv = await serve({ '/pkg.tar.gz': A.tgz, '/other/name.tgz': A.tgz });
    const { home, cli } = setup({
      pkg: recipe('pkg', `{ url: "${srv.base}/pkg.tar.gz", sha256: ${SUM.tgz}, extract: ~/opt/pkg, strip: 1 }`),
      'pkg-copy': recipe(
        'pkg-copy',
        `{ url: "${srv.base}/other/name.tgz", sha256: ${SUM.tgz}, dest: ~/dl/pkg.tgz, mode: "0600" }`,
      ),
    });
    try {
      const plan = await cli(['plan', 'pkg', '--exit-code']);
      expect(plan.code, plan.stderr).toBe(3);
      expect(plan.stdout).toContain(`url ${srv.base}/pkg.tar.gz`);
      expect(plan.stdout).toContain(
        `plain http: ${srv.base}/pkg.tar.gz is not encrypted (the sha256 still verifies the file)`,
      );
      expect(plan.stdout).toContain('~/opt/pkg is not unpacked yet');

      // Two recipes, two URLs, one sha256: the second is served from the cache the first filled.
      const run = await cli(['run', 'pkg', 'pkg-copy']);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(execFileSync(path.join(home, 'opt', 'pkg', 'bin', 'tool'), { encoding: 'utf8' })).toBe('tool 1.0\n');
      expect(fs.readlinkSync(path.join(home, 'opt', 'pkg', 'bin', 't'))).toBe('tool');
      expect(fs.readFileSync(path.join(home, 'opt', 'pkg', 'share', 'doc.txt'), 'utf8')).toBe('docs\n');
      expect(fs.readFileSync(path.join(home, 'opt', 'pkg', '.envkit-extracted'), 'utf8').split('\n')[0]).toBe(SUM.tgz);
      expect(fs.readdirSync(path.join(home, 'opt'))).toEqual(['pkg']); // no temp folder left beside it
      expect(cacheFiles(home)).toEqual([SUM.tgz]);
      expect(fs.readFileSync(path.join(home, 'dl', 'pkg.tgz')).equals(A.tgz)).toBe(true);
      expect(fs.statSync(path.join(home, 'dl', 'pkg.tgz')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(home, '.cache', 'envkit', 'sha256', SUM.tgz)).mode & 0o777).not.toBe(0o600); // a copy, not the cache file
      expect((await cli(['plan', 'pkg', 'pkg-copy', '--exit-code'])).code).toBe(0);

      // A re-run downloads nothing, and a deleted folder comes back from the cache.
      fs.rmSync(path.join(home, 'opt', 'pkg'), { recursive: true });
      const again = await cli(['run', 'pkg', 'pkg-copy']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr + again.stdout).toMatch(/1 steps? run/);
      expect(fs.existsSync(path.join(home, 'opt', 'pkg', 'bin', 'tool'))).toBe(true);
      expect((await cli(['plan', 'pkg', 'pkg-copy', '--exit-code'])).code).toBe(0);

      expect(srv.count('/pkg.tar.gz')).toBe(1);
      expect(srv.count('/other/name.tgz')).toBe(0);
    } finally {
      await srv.close();
    }
  });

  it('a wrong checksum fails naming both hashes and the URL, and keeps nothing', async () => {
    const srv = await serve({ '/pkg.tar.gz': A.tgz });
    const wrong = '0'.repeat(64);
    const { home, cli } = setup({
      bad: recipe('bad', `{ url: "${srv.base}/pkg.tar.gz", sha256: "${wrong}", dest: ~/dl/pkg.tgz }`),
    });
    try {
      const run = await cli(['run', 'bad']);
      expect(run.code).toBe(1);
      const out = run.stderr + run.stdout;
      expect(out).toContain(`sha256 mismatch for ${srv.base}/pkg.tar.gz: expected ${wrong}, got ${SUM.tgz}`);
      expect(out).toMatch(/hint: +nothing was kept/);
      expect(out).not.toMatch(/^\s+at /m);
      expect(fs.existsSync(path.join(home, 'dl'))).toBe(false);
      expect(cacheFiles(home)).toEqual([]);
      expect(leftovers(home)).toEqual([]);
      expect((await cli(['plan', 'bad', '--exit-code'])).code).toBe(3);
    } finally {
      await srv.close();
    }
  });

  it('a connection dropped mid-body is retried; one that always drops fails clearly after 3 tries', async () => {
    const srv = await serve({
      '/flaky.tgz': (req, res, n) =>
        n === 1 ? halfThenDrop(A.tgz)(req, res) : res.writeHead(200, { 'content-length': A.tgz.length }).end(A.tgz),
      '/dead.tgz': halfThenDrop(A.tgz),
    });
    const { home, cli } = setup({
      flaky: recipe('flaky', `{ url: "${srv.base}/flaky.tgz", sha256: ${SUM.tgz}, extract: ~/opt/flaky, strip: 1 }`),
    });
    // Its own HOME: the same sha256 would otherwise come from the cache the first run filled.
    const other = setup({
      dead: recipe('dead', `{ url: "${srv.base}/dead.tgz", sha256: ${SUM.tgz}, extract: ~/opt/dead }`),
    });
    try {
      const run = await cli(['run', 'flaky', '-v']);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(srv.count('/flaky.tgz')).toBe(2);
      expect(fs.readFileSync(path.join(home, '.local', 'state', 'envkit', 'logs', 'latest.log'), 'utf8')).toMatch(
        /download failed: the transfer broke after .*; trying again in .* \(try 2 of 3\)/,
      );
      expect((await cli(['plan', 'flaky', '--exit-code'])).code).toBe(0);

      const dead = await other.cli(['run', 'dead']);
      expect(dead.code).toBe(1);
      expect(dead.stderr + dead.stdout).toMatch(
        new RegExp(
          `download of ${srv.base}/dead.tgz failed: the transfer broke after 0\\.\\d MB of 0\\.\\d MB \\(.*\\) \\(gave up after 3 tries\\)`,
        ),
      );
      expect(srv.count('/dead.tgz')).toBe(3);
      expect(fs.existsSync(path.join(other.home, 'opt', 'dead'))).toBe(false);
      expect(leftovers(other.home)).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it('a 404 is a clear error, not retried', async () => {
    const srv = await serve({});
    const { cli } = setup({
      gone: recipe('gone', `{ url: "${srv.base}/gone.tgz", sha256: ${SUM.tgz}, dest: ~/dl/x }`),
    });
    try {
      const run = await cli(['run', 'gone']);
      expect(run.code).toBe(1);
      const out = run.stderr + run.stdout;
      expect(out).toContain(`download of ${srv.base}/gone.tgz failed: ${srv.base}/gone.tgz answered 404 Not Found`);
      expect(out).toMatch(/hint: +check the url \(and the mirror profile's urls\.rewrite, shown applied in the plan\)/);
      expect(srv.count('/gone.tgz')).toBe(1);
    } finally {
      await srv.close();
    }
  });

  it('unpacks tar.xz, tar.bz2 and zip with strip; a file:// URL works too', async () => {
    const srv = await serve({ '/p.tar.xz': A.txz, '/p.tar.bz2': A.tbz, '/p.zip': A.zip });
    const local = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-dl-mirror-')), 'p.tgz');
    fs.writeFileSync(local, A.tgz);
    const { home, cli } = setup({
      formats: recipe(
        'formats',
        `{ url: "${srv.base}/p.tar.xz", sha256: ${SUM.txz}, extract: ~/opt/xz, strip: 1 }`,
        `{ url: "${srv.base}/p.tar.bz2", sha256: ${SUM.tbz}, extract: ~/opt/bz2, strip: 1 }`,
        `{ url: "${srv.base}/p.zip", sha256: ${SUM.zip}, extract: ~/opt/zip, strip: 1 }`,
        `{ url: "${pathToFileURL(local).href}", sha256: ${SUM.tgz}, extract: ~/opt/file, strip: 2 }`,
      ),
    });
    try {
      const run = await cli(['run', 'formats']);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      for (const f of ['xz', 'bz2', 'zip']) {
        expect(execFileSync(path.join(home, 'opt', f, 'bin', 'tool'), { encoding: 'utf8' }), f).toBe('tool 1.0\n');
        expect(fs.readlinkSync(path.join(home, 'opt', f, 'bin', 't')), f).toBe('tool');
      }
      expect(fs.readdirSync(path.join(home, 'opt', 'file')).sort()).toEqual([
        '.envkit-extracted',
        'doc.txt',
        't',
        'tool',
      ]);
      expect((await cli(['plan', 'formats', '--exit-code'])).code).toBe(0);
    } finally {
      await srv.close();
    }
  });

  it('refuses hostile archives and writes nothing outside (nor anything at all)', async () => {
    const abs = path.join(os.tmpdir(), `envkit-evil-abs-${process.pid}-${Date.now()}`);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-dl-outside-'));
    const zipFile = path.join(outside, '..', `envkit-dl-${process.pid}-${Date.now()}.zip`);
    rawZip(zipFile, [
      { name: 'pkg/ok', body: 'fine' },
      { name: '../evil', body: 'pwned' },
    ]);
    const evil: Record<string, Route> = {
      '/dotdot.tgz': zlib.gzipSync(
        rawTar([
          { path: 'pkg/ok', body: 'fine' },
          { path: 'pkg/../../evil', body: 'pwned' },
        ]),
      ),
      '/abs.tgz': zlib.gzipSync(rawTar([{ path: abs, body: 'pwned' }])),
      '/link.tgz': zlib.gzipSync(
        rawTar([
          { path: 'pkg/escape', type: 'SymbolicLink', linkpath: outside },
          { path: 'pkg/escape/evil', body: 'pwned' },
        ]),
      ),
      '/rel-link.tgz': zlib.gzipSync(
        rawTar([
          { path: 'pkg/escape', type: 'SymbolicLink', linkpath: '../../../..' },
          { path: 'pkg/escape/evil', body: 'pwned' },
        ]),
      ),
      '/evil.zip': fs.readFileSync(zipFile),
    };
    fs.rmSync(zipFile);
    const srv = await serve(evil);
    const names = ['tar-dotdot', 'tar-abs', 'tar-link', 'tar-rel-link', 'zip-dotdot'];
    const { home, cli } = setup(
      Object.fromEntries(
        Object.keys(evil).map((p, i) => [
          names[i]!,
          recipe(
            names[i]!,
            `{ url: "${srv.base}${p}", sha256: ${sha256(evil[p] as Buffer)}, extract: ~/opt/${names[i]}/inner, strip: 1 }`,
          ),
        ]),
      ),
    );
    try {
      const runs = await Promise.all(names.map((n) => cli(['run', n])));
      const messages = [
        /entry "pkg\/..\/..\/evil" contains ".."/,
        /has an absolute path/,
        /symlink "pkg\/escape" points at the absolute path/,
        /symlink "pkg\/escape" points outside the folder/,
        /entry "..\/evil" contains ".."/,
      ];
      runs.forEach((r, i) => {
        expect(r.code, names[i]).toBe(1);
        expect(r.stderr + r.stdout, names[i]).toMatch(/refused to unpack .*: /);
        expect(r.stderr + r.stdout, names[i]).toMatch(messages[i]!);
      });
      expect(fs.readdirSync(outside)).toEqual([]);
      expect(fs.existsSync(abs)).toBe(false);
      expect(fs.existsSync(path.join(home, 'opt'))).toBe(false);
      expect(leftovers(home)).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it('insecure: true and http:// are warnings in the plan; an insecure download converges', async () => {
    const srv = await serve({ '/tool': Buffer.from('#!/bin/sh\necho hi\n') });
    const { home, cli } = setup({
      loose: recipe('loose', `{ url: "${srv.base}/tool", insecure: true, dest: ~/bin/tool, mode: "0755" }`),
      plain: recipe('plain', `{ url: "http://example.invalid/x.tar.gz", sha256: ${SUM.tgz}, extract: ~/opt/x }`),
    });
    try {
      const plan = await cli(['plan', 'loose', 'plain']);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain('insecure: no checksum, nothing verifies tool');
      expect(plan.stdout).toContain(`plain http: ${srv.base}/tool is not encrypted\n`);
      expect(plan.stdout).toContain(
        'plain http: http://example.invalid/x.tar.gz is not encrypted (the sha256 still verifies the file)',
      );
      const json = JSON.parse((await cli(['plan', 'loose', '--json'])).stdout);
      expect(JSON.stringify(json)).toContain('insecure: no checksum');
      const run = await cli(['run', 'loose']);
      expect(run.code, run.stderr).toBe(0);
      expect(execFileSync(path.join(home, 'bin', 'tool'), { encoding: 'utf8' })).toBe('hi\n');
      const after = await cli(['plan', 'loose', '--exit-code']);
      expect(after.code).toBe(0);
      expect(after.stdout).toContain('exists (not verified: insecure)');
    } finally {
      await srv.close();
    }
  });

  it("a profile's urls.rewrite sends the download to the mirror: the plan shows it, the run uses it", async () => {
    const srv = await serve({ '/mirror/dl/pkg.tar.gz': A.tgz });
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-dl-profile-'));
    const profile = path.join(profileDir, 'local.yaml');
    fs.writeFileSync(
      profile,
      `name: local\nurls:\n  rewrite:\n    "https://example.invalid/dl/": "${srv.base}/mirror/dl/"\n`,
    );
    const { home, cli } = setup(
      {
        up: recipe(
          'up',
          `{ url: "https://example.invalid/dl/pkg.tar.gz", sha256: ${SUM.tgz}, extract: ~/opt/up, strip: 1 }`,
        ),
      },
      ['--mirror', profile],
    );
    try {
      const plan = await cli(['plan', 'up']);
      expect(plan.stdout).toContain(`url ${srv.base}/mirror/dl/pkg.tar.gz`);
      expect(plan.stdout).not.toContain('url https://example.invalid');
      const run = await cli(['run', 'up']);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(srv.count('/mirror/dl/pkg.tar.gz')).toBe(1);
      expect(fs.existsSync(path.join(home, 'opt', 'up', 'bin', 'tool'))).toBe(true);
      expect((await cli(['plan', 'up', '--exit-code'])).code).toBe(0);
    } finally {
      await srv.close();
    }
  });

  it('a malformed or missing sha256 is invalid input (exit 2)', async () => {
    const { cli } = setup({
      short: recipe('short', `{ url: "https://example.invalid/a.tgz", sha256: abc123, dest: ~/a }`),
      none: recipe('none', `{ url: "https://example.invalid/a.tgz", dest: ~/a }`),
    });
    const v = await cli(['validate']);
    expect(v.code).toBe(2);
    expect(v.stderr + v.stdout).toMatch(
      /short\.yaml:3:\d+: error: sha256 is 64 hex digits \(as `sha256sum FILE` prints\)/,
    );
    expect(v.stderr + v.stdout).toMatch(
      /none\.yaml:3:\d+: error: a download needs sha256, the hash that verifies it \(copy it from the release page/,
    );
    expect((await cli(['plan', 'short'])).code).toBe(2);
  });

  it('says which program is missing when xz is not installed', async () => {
    const srv = await serve({ '/p.tar.xz': A.txz });
    const { home, cli } = setup({
      xz: recipe('xz', `{ url: "${srv.base}/p.tar.xz", sha256: ${SUM.txz}, extract: ~/opt/xz }`),
    });
    try {
      const run = await cli(['run', 'xz'], { PATH: path.join(home, 'no-bin') });
      expect(run.code).toBe(1);
      // Blocked by the host before anything runs (nothing earlier in the run could install xz).
      expect(run.stderr + run.stdout).toContain(
        'unpacking a tar.xz archive needs the `xz` program, which is not on PATH: install xz-utils (dnf: xz, brew: xz)',
      );
      expect(run.stderr + run.stdout).toContain('nothing was run');
      expect(run.stderr + run.stdout).not.toMatch(/^\s+at /m); // no stack trace
      expect(fs.existsSync(path.join(home, 'opt'))).toBe(false);
    } finally {
      await srv.close();
    }
  });
});

describe('published SHA-512 sums', () => {
  it('verifies against a pinned sha512 or a checksum-url; a wrong one keeps nothing', async () => {
    const { createHash } = await import('node:crypto');
    const body = Buffer.from('a release that only has a SHA-512 published\n'.repeat(100));
    const sha512 = createHash('sha512').update(body).digest('hex');
    const srv = await serve({
      '/rel.bin': body,
      '/rel.bin.sha512': Buffer.from(`${sha512}  rel.bin\n`),
      '/bad.bin.sha512': Buffer.from(`${'0'.repeat(128)}  rel.bin\n`),
    });
    try {
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'recipes'), {
        'pinned.yaml': `name: pinned\nsteps:\n  - download: { url: "${srv.base}/rel.bin", sha512: ${sha512}, dest: ~/dl/pinned.bin }\n`,
        'published.yaml': `name: published\nsteps:\n  - download: { url: "${srv.base}/rel.bin", checksum-url: "${srv.base}/rel.bin.sha512", dest: ~/dl/published.bin }\n`,
        'wrong.yaml': `name: wrong\nsteps:\n  - download: { url: "${srv.base}/rel.bin", checksum-url: "${srv.base}/bad.bin.sha512", dest: ~/dl/wrong.bin }\n`,
      });
      for (const name of ['pinned', 'published']) {
        const run = await runCli(['--recipes', recipes, 'run', name], home);
        expect(run.code, run.stderr).toBe(0);
        expect(fs.readFileSync(path.join(home, 'dl', `${name}.bin`)).equals(body)).toBe(true);
        expect((await runCli(['--recipes', recipes, 'plan', name, '--exit-code'], home)).code).toBe(0);
      }
      const wrong = await runCli(['--recipes', recipes, 'run', 'wrong'], home);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(`sha512 mismatch for ${srv.base}/rel.bin`);
      expect(fs.existsSync(path.join(home, 'dl', 'wrong.bin'))).toBe(false);
    } finally {
      await srv.close();
    }
  });
});
