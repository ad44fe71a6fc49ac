import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/** A tiny C library and program: configured, built and installed by cmake steps, then by make. */
function writeProject(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'hello.c'),
    '#include <stdio.h>\nint main(void) { printf("hello %s\\n", GREETING); return 0; }\n',
  );
  fs.writeFileSync(
    path.join(dir, 'CMakeLists.txt'),
    'cmake_minimum_required(VERSION 3.13)\nproject(hello C)\nset(GREETING "world" CACHE STRING "who")\nadd_executable(hello hello.c)\ntarget_compile_definitions(hello PRIVATE GREETING="${GREETING}")\ninstall(TARGETS hello DESTINATION bin)\n',
  );
  fs.writeFileSync(
    path.join(dir, 'Makefile'),
    'PREFIX ?= /nonexistent\nMSG ?= none\nall: out.txt\nout.txt:\n\t$(file >out.txt,$(MSG))\ninstall: out.txt\n\tmkdir -p $(PREFIX)/share && cp out.txt $(PREFIX)/share/msg.txt\n',
  );
}

describe('cmake and make steps', () => {
  it('configure, build, install into the prefix; reconfigure only when defines change', async () => {
    const home = tempHome();
    const src = path.join(home, 'src', 'hello');
    writeProject(src);
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'hello.yaml': `name: hello
description: cmake project into the prefix
vars: { greeting: world, msg: "a b, c = d ~ * ? [x] {y}" }
steps:
  - name: Configure
    cmake: { source: ~/src/hello, build: ~/src/hello/build, defines: { GREETING: "{{ greeting }}", CMAKE_BUILD_TYPE: Release } }
  - name: Build and install
    cmake: { build: ~/src/hello/build, install: true }
    check: ["sh", "-c", 'test "$("$0")" = "hello $1"', "{{ prefix }}/bin/hello", "{{ greeting }}"]
  - name: Make with variables
    make: { dir: ~/src/hello, targets: [install], vars: { PREFIX: "{{ prefix }}", MSG: "{{ msg }}" } }
    creates: "{{ prefix }}/share/msg.txt"
`,
    });
    const args = ['--recipes', recipes, '--prefix', path.join(home, 'prefix')];
    const plan = await runCli([...args, 'plan', 'hello'], home);
    expect(plan.stdout).toContain('will run: ~/src/hello/build is not configured yet');
    const run = await runCli([...args, 'run', 'hello'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(execFileSync(path.join(home, 'prefix', 'bin', 'hello'), { encoding: 'utf8' })).toBe('hello world\n');
    expect(fs.readFileSync(path.join(home, 'prefix', 'share', 'msg.txt'), 'utf8')).toBe('a b, c = d ~ * ? [x] {y}\n');
    expect(fs.existsSync(path.join(home, 'pwned'))).toBe(false);
    expect((await runCli([...args, 'plan', 'hello', '--exit-code'], home)).code).toBe(0);

    // A changed define: the configure step is pending again, and the run rebuilds with it.
    // (cmake --install skips a file whose mtime is within one second of the installed copy's: a rebuild
    // that quick, as on an idle machine, would install nothing. Age the installed copy as real time would.)
    const installed = path.join(home, 'prefix', 'bin', 'hello');
    const aged = (fs.statSync(installed).mtimeMs - 60_000) / 1000;
    fs.utimesSync(installed, aged, aged);
    const set = [...args, '--set', 'greeting=envkit'];
    const changed = await runCli([...set, 'plan', 'hello', '--exit-code'], home);
    expect(changed.code).toBe(3);
    expect(changed.stdout).toContain('will run: the configure options changed');
    const rerun = await runCli([...set, 'run', 'hello'], home);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(execFileSync(path.join(home, 'prefix', 'bin', 'hello'), { encoding: 'utf8' })).toBe('hello envkit\n');
    expect((await runCli([...set, 'plan', 'hello', '--exit-code'], home)).code).toBe(0);
  });

  it('a build judged by `creates` notices changed inputs: the plan says what changed, the run cleans first, then a no-op', async () => {
    const home = tempHome();
    const src = path.join(home, 'src', 'lib');
    fs.mkdirSync(src, { recursive: true });
    // Like OpenBLAS: the build names its output after TARGET, and `install` must be given the same TARGET.
    fs.writeFileSync(
      path.join(src, 'Makefile'),
      'TARGET ?= GENERIC\nall: lib.a\nlib.a:\n\techo built for $(TARGET) > lib.a\n\techo $(TARGET) >> builds.txt\nclean:\n\trm -f lib.a\n\techo clean >> builds.txt\ninstall:\n\tmkdir -p $(PREFIX)/lib && cp lib.a $(PREFIX)/lib/lib.a\n',
    );
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'lib.yaml': `name: lib
vars: { target: NEHALEM, src: ~/src/lib }
steps:
  - name: Build for {{ target }}
    make: { dir: "{{ src }}", vars: &v { TARGET: "{{ target }}" }, clean: [clean] }
    creates: "{{ src }}/lib.a"
  - name: Install
    make: { dir: "{{ src }}", targets: [install], vars: { <<: *v, PREFIX: "{{ prefix }}" } }
    creates: "{{ prefix }}/lib/lib.a"
`,
    });
    const args = ['--recipes', recipes, '--prefix', path.join(home, 'prefix')];
    const first = await runCli([...args, 'run', 'lib'], home);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'prefix', 'lib', 'lib.a'), 'utf8')).toBe('built for NEHALEM\n');
    expect((await runCli([...args, 'plan', 'lib', '--exit-code'], home)).code).toBe(0);

    const set = [...args, '--set', 'lib.target=HASWELL'];
    const plan = await runCli([...set, 'plan', 'lib', '--exit-code'], home);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain(
      'Build for HASWELL  will run: its inputs changed since it last ran: TARGET: NEHALEM → HASWELL',
    );
    expect(plan.stdout).toContain(
      'Install  will run: its inputs changed since it last ran: TARGET: NEHALEM → HASWELL; Build for HASWELL: TARGET: NEHALEM → HASWELL',
    );
    expect(plan.stdout).toMatch(
      /make -C \S+ -j\d+ TARGET=HASWELL clean {3}\(when its inputs changed since it last ran\)/,
    );
    const rerun = await runCli([...set, 'run', 'lib'], home);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(fs.readFileSync(path.join(src, 'builds.txt'), 'utf8')).toBe('NEHALEM\nclean\nHASWELL\n');
    expect(fs.readFileSync(path.join(home, 'prefix', 'lib', 'lib.a'), 'utf8')).toBe('built for HASWELL\n');
    expect((await runCli([...set, 'plan', 'lib', '--exit-code'], home)).code).toBe(0);
    // Back to the recipe's value: a change again, not a memory of an older build.
    expect((await runCli([...args, 'plan', 'lib'], home)).stdout).toContain('TARGET: HASWELL → NEHALEM');
  });
});

const canApt = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get') && fs.existsSync('/var/lib/dpkg/status');

describe.skipIf(!canApt)('apt step (real apt-get, as root)', () => {
  it('installs a missing package, then is satisfied from dpkg status', async () => {
    const pkg = 'sl';
    try {
      execFileSync('dpkg', ['-r', pkg], { stdio: 'ignore' });
    } catch {
      /* not installed */
    }
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'toy.yaml': `name: toy\ndescription: one small real package\nsteps:\n  - apt: [${pkg}, { debian: coreutils, ubuntu: coreutils, default: coreutils }]\n`,
    });
    const plan = await runCli(['--recipes', recipes, 'plan', 'toy', '--exit-code'], home);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain(`not installed: ${pkg}`);
    const run = await runCli(['--recipes', recipes, 'run', 'toy'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(execFileSync('dpkg-query', ['-W', '-f', '${Status}', pkg], { encoding: 'utf8' })).toBe(
      'install ok installed',
    );
    expect((await runCli(['--recipes', recipes, 'plan', 'toy', '--exit-code'], home)).code).toBe(0);
    execFileSync('dpkg', ['-r', pkg], { stdio: 'ignore' });
  }, 300_000);
});
