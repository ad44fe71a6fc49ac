import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { which } from '../../src/util/which.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 17, item 3: cmake and make steps compile through ccache when it is on PATH (installed from Debian
 * here when missing, as the ansible export test installs ansible), so a rebuild is a cache hit; without
 * ccache on PATH nothing changes. Every run has its own CCACHE_DIR, so the hits counted are this test's.
 */
const isRoot = process.getuid?.() === 0;

function ensureCcache(): boolean {
  if (which('ccache')) return true;
  if (!isRoot || !which('apt-get')) return false;
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'ccache'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    return false;
  }
  return !!which('ccache');
}

let haveCcache = false;
beforeAll(() => {
  haveCcache = ensureCcache();
}, 300_000);

/** ccache's counters for one cache folder: hits (direct and preprocessed) and misses. */
function stats(dir: string): { hits: number; misses: number } {
  const out = execFileSync('ccache', ['--print-stats'], { encoding: 'utf8', env: { ...process.env, CCACHE_DIR: dir } });
  const n = (key: string): number => Number(new RegExp(`^${key}\\t(\\d+)$`, 'm').exec(out)?.[1] ?? 0);
  return { hits: n('direct_cache_hit') + n('preprocessed_cache_hit'), misses: n('cache_miss') };
}

/** Four C and C++ files, a cmake project around them (GREETING is a compile definition of every file) and a Makefile. */
function writeProject(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const n of ['one', 'two', 'three'])
    fs.writeFileSync(
      path.join(dir, `${n}.cpp`),
      `#include <string>\n#include <vector>\nstd::string ${n}() { std::vector<std::string> v{GREETING, "${n}"}; return v[0]; }\n`,
    );
  fs.writeFileSync(
    path.join(dir, 'main.c'),
    '#include <stdio.h>\nconst char *greet(void);\nint main(void) { printf("%s\\n", greet()); return 0; }\nconst char *greet(void) { return GREETING; }\n',
  );
  fs.writeFileSync(
    path.join(dir, 'CMakeLists.txt'),
    'cmake_minimum_required(VERSION 3.13)\nproject(hello C CXX)\nset(GREETING "world" CACHE STRING "who")\nset(UNRELATED "x" CACHE STRING "not used")\nadd_executable(hello main.c one.cpp two.cpp three.cpp)\ntarget_compile_definitions(hello PRIVATE GREETING="${GREETING}")\n',
  );
  // The Makefile never says CC: make's default `cc` is what runs (through /usr/lib/ccache/cc when setup puts it first).
  fs.writeFileSync(
    path.join(dir, 'Makefile'),
    'OBJS = a.o b.o c.o d.o\nall: libdemo.a\nlibdemo.a: $(OBJS)\n\tar rcs $@ $^\n%.o: %.c\n\t$(CC) -O2 -c $< -o $@\nclean:\n\trm -f $(OBJS) libdemo.a\n',
  );
  for (const n of ['a', 'b', 'c', 'd'])
    fs.writeFileSync(
      path.join(dir, `${n}.c`),
      `#include <stdio.h>\nint ${n}_fn(int x) { return x * 3 + ${n.charCodeAt(0)}; }\n`,
    );
}

/** The recipe; `off`: every step says `ccache: false`. */
const recipe = (off = false): string => `name: hello
vars: { greeting: world, unrelated: x, label: one }
steps:
  - name: Configure
    cmake:
      source: ~/src/hello
      build: ~/src/hello/build
      defines: { GREETING: "{{ greeting }}", UNRELATED: "{{ unrelated }}" }
      ccache: ${!off}
  - name: Build
    cmake: { build: ~/src/hello/build, target: all, ccache: ${!off} }
  - name: Make the library
    make: { dir: ~/src/hello, vars: { LABEL: "{{ label }}" }, clean: [clean], ccache: ${!off} }
    creates: ~/src/hello/libdemo.a
`;

function setUp(off = false): { home: string; args: string[]; env: Record<string, string>; cache: string } {
  const home = tempHome();
  writeProject(path.join(home, 'src', 'hello'));
  const recipes = writeRecipes(path.join(home, 'recipes'), { 'hello.yaml': recipe(off) });
  const cache = path.join(home, 'ccache');
  return { home, args: ['--recipes', recipes], env: { CCACHE_DIR: cache }, cache };
}

const hello = (home: string): string =>
  execFileSync(path.join(home, 'src', 'hello', 'build', 'hello'), { encoding: 'utf8' }).trim();

/** A PATH with every program of /usr/bin but ccache (Debian 12 merges /bin into /usr/bin): a host without it. */
function pathWithoutCcache(home: string): string {
  const bin = path.join(home, 'bin-no-ccache');
  fs.mkdirSync(bin);
  for (const name of fs.readdirSync('/usr/bin'))
    if (name !== 'ccache') fs.symlinkSync(path.join('/usr/bin', name), path.join(bin, name));
  return bin;
}

describe.skipIf(!isRoot && !which('ccache'))('ccache (issue 17, item 3)', () => {
  it('cmake and make compile through ccache: a rebuild after a changed define is a cache hit', async (ctx) => {
    if (!haveCcache) ctx.skip();
    const { home, args, env, cache } = setUp();
    const plan = await runCli([...args, 'plan', 'hello'], home, env);
    expect(plan.stdout).toMatch(/-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache/);
    expect(plan.stdout).toMatch(/\$ make -C ~\/src\/hello -j\d+ LABEL=one {3}\(through ccache\)/);
    const json = JSON.parse((await runCli([...args, 'plan', 'hello', '--json'], home, env)).stdout) as unknown;
    expect(JSON.stringify(json)).toContain(`cmake: configure ${home}/src/hello/build (ccache)`);

    const cold = await runCli([...args, 'run', 'hello'], home, env);
    expect(cold.code, cold.stderr).toBe(0);
    expect(hello(home)).toBe('world');
    const afterCold = stats(cache);
    expect(afterCold.hits).toBe(0);
    expect(afterCold.misses).toBeGreaterThanOrEqual(8); // 4 cmake objects, 4 make objects
    expect((await runCli([...args, 'plan', 'hello', '--exit-code'], home, env)).code).toBe(3); // build steps always run
    const configured = await runCli([...args, 'plan', 'hello'], home, env);
    expect(configured.stdout).toContain('~/src/hello/build is configured with these options');

    // Another greeting: every object changes (misses); back to the first: every object is in the cache.
    const other = await runCli([...args, '--set', 'hello.greeting=envkit', 'run', 'hello'], home, env);
    expect(other.code, other.stderr).toBe(0);
    expect(hello(home)).toBe('envkit');
    const back = await runCli([...args, 'run', 'hello'], home, env);
    expect(back.code, back.stderr).toBe(0);
    expect(hello(home)).toBe('world');
    const afterBack = stats(cache);
    expect(afterBack.hits - afterCold.hits).toBeGreaterThanOrEqual(4);
    // The run's log says how many compiles the cache answered.
    const logs = path.join(home, '.local', 'state', 'envkit', 'logs');
    const last = fs.readdirSync(logs).sort().pop()!;
    expect(fs.readFileSync(path.join(logs, last), 'utf8')).toMatch(/ccache: 4 of 4 compiles from the cache/);

    // make: a changed variable makes the step clean first (its `clean:`), and the rebuild of the same sources is all hits.
    const before = stats(cache);
    const relabel = await runCli([...args, '--set', 'hello.label=two', 'run', 'hello'], home, env);
    expect(relabel.code, relabel.stderr).toBe(0);
    expect(relabel.stdout + fs.readFileSync(path.join(home, 'src', 'hello', 'libdemo.a'), 'latin1')).toContain('a_fn');
    expect(stats(cache).hits - before.hits).toBeGreaterThanOrEqual(4);
  }, 300_000);

  it('without ccache on PATH nothing changes; a folder configured with it keeps its stamp and drops the launcher', async (ctx) => {
    if (!haveCcache) ctx.skip();
    const { home, args, env } = setUp();
    const first = await runCli([...args, 'run', 'hello'], home, env);
    expect(first.code, first.stderr).toBe(0);
    const cacheFile = path.join(home, 'src', 'hello', 'build', 'CMakeCache.txt');
    expect(fs.readFileSync(cacheFile, 'utf8')).toMatch(/^CMAKE_CXX_COMPILER_LAUNCHER:\w+=ccache$/m);

    const noCcache = { ...env, PATH: pathWithoutCcache(home) };
    const plan = await runCli([...args, 'plan', 'hello'], home, noCcache);
    expect(plan.stdout).not.toContain('ccache');
    // The configure step stays satisfied: ccache leaving the host is no reason to reconfigure.
    expect(plan.stdout).toContain('~/src/hello/build is configured with these options');
    const run = await runCli([...args, 'run', 'hello'], home, noCcache);
    expect(run.code, run.stderr).toBe(0);
    expect(hello(home)).toBe('world');
    expect(fs.readFileSync(cacheFile, 'utf8')).not.toMatch(/^CMAKE_CXX_COMPILER_LAUNCHER/m);

    // A fresh project on a host without ccache: no launcher, no masquerade, nothing said.
    const bare = setUp();
    const barePath = { ...bare.env, PATH: pathWithoutCcache(bare.home) };
    const barePlan = await runCli([...bare.args, 'plan', 'hello'], bare.home, barePath);
    expect(barePlan.stdout).not.toContain('ccache');
    const bareRun = await runCli([...bare.args, 'run', 'hello'], bare.home, barePath);
    expect(bareRun.code, bareRun.stderr).toBe(0);
    expect(hello(bare.home)).toBe('world');
    expect(fs.existsSync(bare.cache)).toBe(false);
  }, 300_000);

  it('`ccache: false` keeps a step off ccache even where it is installed', async (ctx) => {
    if (!haveCcache) ctx.skip();
    const { home, args, env, cache } = setUp(true);
    const plan = await runCli([...args, 'plan', 'hello'], home, env);
    expect(plan.stdout).not.toContain('ccache');
    const run = await runCli([...args, 'run', 'hello'], home, env);
    expect(run.code, run.stderr).toBe(0);
    expect(hello(home)).toBe('world');
    expect(fs.existsSync(cache)).toBe(false);

    // CCACHE_DISABLE (ccache's own switch) for a whole run: setup adds no launcher and says nothing either.
    const other = setUp();
    const disabled = { ...other.env, CCACHE_DISABLE: '1' };
    expect((await runCli([...other.args, 'plan', 'hello'], other.home, disabled)).stdout).not.toContain('ccache');
    const off = await runCli([...other.args, 'run', 'hello'], other.home, disabled);
    expect(off.code, off.stderr).toBe(0);
    const cmakeCache = fs.readFileSync(path.join(other.home, 'src', 'hello', 'build', 'CMakeCache.txt'), 'utf8');
    expect(cmakeCache).not.toMatch(/^CMAKE_CXX_COMPILER_LAUNCHER/m);
    expect(fs.existsSync(other.cache)).toBe(false);
  }, 300_000);
});
