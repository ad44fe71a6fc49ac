import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { git } from '../helpers/git-mirror.js';
import { ROOT, runCli, tempHome } from '../e2e/helpers.js';

/**
 * The real thing: OpenBLAS 0.3.24, LAPACK 3.11.0 and faiss 1.7.4 from their exact upstream sources
 * (../shared/upstream, beside the checkout), each made a git repo with the recipe's tag behind a
 * `file://` mirror profile, built and installed by `setup run` into a temporary prefix exactly as from
 * GitHub. About 17 minutes on 2 cores (OpenBLAS alone about 12).
 */
const UPSTREAM = process.env.ENVKIT_UPSTREAM ?? path.resolve(ROOT, '..', 'shared', 'upstream');
const SOURCES = [
  { tarball: 'OpenBLAS-0.3.24.tar.gz', repo: 'OpenMathLib/OpenBLAS', tag: 'v0.3.24' },
  { tarball: 'lapack-3.11.0.tar.gz', repo: 'Reference-LAPACK/lapack', tag: 'v3.11.0' },
  { tarball: 'faiss-1.7.4.tar.gz', repo: 'facebookresearch/faiss', tag: 'v1.7.4' },
];
const isRoot = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');
const have = SOURCES.every((s) => fs.existsSync(path.join(UPSTREAM, s.tarball)));
if (!have)
  console.warn(
    `[test:real] skipped the source stack: ${UPSTREAM} does not hold ${SOURCES.map((s) => s.tarball).join(', ')}`,
  );
else if (!isRoot)
  console.warn('[test:real] skipped the source stack: build-tools installs gfortran with apt-get, which needs root');

/** A bare mirror at <root>/mirror/github.com/<repo>.git holding the tarball's tree at `tag`. */
async function mirror(root: string, s: (typeof SOURCES)[number]): Promise<void> {
  const work = path.join(root, 'work', path.basename(s.repo));
  fs.mkdirSync(work, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(UPSTREAM, s.tarball), '-C', work, '--strip-components=1']);
  await git(root, ['init', '--quiet', '--initial-branch=main', work]);
  await git(root, ['-C', work, 'add', '-A', '--force']); // upstream tracks files its .gitignore names (LAPACK's INSTALL/test*)
  await git(root, [
    '-C',
    work,
    '-c',
    'user.name=Upstream',
    '-c',
    'user.email=upstream@example.com',
    'commit',
    '--quiet',
    '-m',
    `${s.repo} ${s.tag}`,
  ]);
  await git(root, ['-C', work, 'tag', s.tag]);
  await git(root, ['clone', '--quiet', '--bare', work, path.join(root, 'mirror', 'github.com', `${s.repo}.git`)]);
  fs.rmSync(work, { recursive: true, force: true });
}

describe.skipIf(!have || !isRoot)('the source stack from the real upstream sources (OpenBLAS → LAPACK → faiss)', () => {
  it(
    'builds, installs, verifies with smoke programs, re-runs as a no-op, and notices a changed target',
    { timeout: 60 * 60_000 },
    async () => {
      const home = tempHome('envkit-real-');
      sha256Check();
      await Promise.all(SOURCES.map((s) => mirror(home, s)));
      const profile = path.join(home, 'local.yaml');
      fs.writeFileSync(
        profile,
        `name: local\ngit: { rewrite: { "https://github.com/": "file://${home}/mirror/github.com/" } }\n`,
      );
      const prefix = path.join(home, 'prefix');
      const args = ['--mirror', profile, '--prefix', prefix];
      const env = { ENVKIT_HEARTBEAT_SECONDS: '60' };

      const started = performance.now();
      const run = await runCli([...args, 'run', 'lapack', 'faiss'], home, env);
      const minutes = (performance.now() - started) / 60_000;
      console.log(`[test:real] setup run lapack faiss: ${minutes.toFixed(1)} min (exit ${run.code})`);
      expect(run.code, run.stderr.slice(-4000)).toBe(0);
      // Without a TTY a long build is visibly alive: heartbeat lines with its elapsed time.
      expect(run.stderr).toMatch(/\n {2}… \d+m\d{2}s: \S/);

      const plan = await runCli([...args, 'plan', 'lapack', 'faiss', '--exit-code'], home);
      expect(plan.code, plan.stdout).toBe(0);
      const t0 = performance.now();
      const again = await runCli([...args, 'run', 'lapack', 'faiss'], home);
      console.log(`[test:real] no-op re-run: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('Nothing to do');

      // The smoke programs compute their known results, through `setup doctor`, without LD_LIBRARY_PATH.
      const doctor = await runCli([...args, 'doctor', 'openblas', 'lapack', 'faiss', '--offline', '--json'], home, {
        LD_LIBRARY_PATH: '',
      });
      const report = JSON.parse(doctor.stdout) as {
        items: { recipe?: string; label: string; status: string; message: string }[];
      };
      const smoke = report.items.filter((i) => /program|multiplies|solves|nearest/.test(i.label));
      for (const i of report.items.filter((x) => x.recipe))
        expect(i.status, `${i.recipe}: ${i.label}: ${i.message}`).toBe('ok');
      expect(smoke.map((i) => i.message).join('\n')).toContain('19 22 43 50');
      expect(smoke.map((i) => i.message).join('\n')).toContain('info=0 x=2 3');
      expect(smoke.map((i) => i.message).join('\n')).toContain('ntotal=3 nearest=2');
      expect(doctor.code, doctor.stdout).toBe(0);

      // Each library's files are its own. CMake lists what LAPACK and faiss installed: none of it is a file
      // OpenBLAS installed (its headers and libraries), LAPACK's headers are in include/lapack/, and the
      // LAPACKE headers at the top are still OpenBLAS's own copies.
      const src = path.join(home, '.local', 'state', 'envkit', 'src');
      const manifest = (lib: string): string[] =>
        fs
          .readFileSync(path.join(src, lib, 'build', 'install_manifest.txt'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((f) => path.relative(prefix, f));
      const openblasFiles = [
        'cblas.h',
        'f77blas.h',
        'lapack.h',
        'lapacke.h',
        'lapacke_config.h',
        'lapacke_mangling.h',
        'lapacke_utils.h',
        'openblas_config.h',
      ].map((h) => `include/${h}`);
      for (const lib of ['lapack', 'faiss']) {
        const files = manifest(lib);
        expect(files.length, lib).toBeGreaterThan(3);
        expect(
          files.filter((f) => openblasFiles.includes(f) || /^lib\/libopenblas|^lib\/libblas/.test(f)),
          lib,
        ).toEqual([]);
      }
      expect(manifest('lapack').filter((f) => f.endsWith('.h') && !f.startsWith('include/lapack/'))).toEqual([]);
      expect(manifest('faiss').filter((f) => f.endsWith('.h') && !f.startsWith('include/faiss/'))).toEqual([]);
      for (const h of ['lapacke.h', 'lapack.h', 'lapacke_mangling.h']) {
        expect(fs.readFileSync(path.join(prefix, 'include', h), 'utf8'), h).toBe(
          fs.readFileSync(path.join(src, 'OpenBLAS', 'lapack-netlib', 'LAPACKE', 'include', h), 'utf8'),
        );
      }
      expect(fs.readdirSync(path.join(prefix, 'lib')).filter((f) => /^libblas\./.test(f))).toEqual([]);
      expect(execFileSync('readelf', ['-d', path.join(prefix, 'lib', 'libfaiss.so')], { encoding: 'utf8' })).toMatch(
        new RegExp(`(RUNPATH|RPATH).*${prefix}/lib`),
      );
      expect(
        execFileSync('ldd', [path.join(prefix, 'lib', 'libfaiss.so')], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH },
        }),
      ).toMatch(new RegExp(`libopenblas\\.so\\.0 => ${prefix}/lib/`));

      // Another target is another build: the plan says so, and what changed.
      const haswell = await runCli(
        [...args, '--set', 'openblas.target_x86_64=HASWELL', 'plan', 'openblas', '--exit-code'],
        home,
      );
      expect(haswell.code).toBe(3);
      expect(haswell.stdout).toContain(
        'Build for HASWELL  will run: its inputs changed since it last ran: TARGET: NEHALEM → HASWELL',
      );
      expect(haswell.stdout).toMatch(
        /\$ make -C \S+ -j\d+ TARGET=HASWELL .*clean {3}\(when its inputs changed since it last ran\)/,
      );
    },
  );
});

/** The tarballs are the ones upstream published (their SHA256SUMS). */
function sha256Check(): void {
  execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: UPSTREAM, stdio: 'pipe' });
}
