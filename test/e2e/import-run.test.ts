import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptInstalled, aptWhyNot, purgeApt } from '../helpers/apt.js';
import { serve, sha256 } from '../helpers/archives.js';
import { git, mirrorRepo, type MirrorRepo } from '../helpers/git-mirror.js';
import { localProfile } from '../helpers/local-profile.js';
import { makeIndex } from '../helpers/pip-index.js';
import { which } from '../../src/util/which.js';
import { BIN, cliEnv, tempHome, type CliResult } from './helpers.js';
import { hostHasVenv, pipCli, python3 } from './pip-cli.js';

/**
 * Issue 16, end to end: a page of install notes written the way people write them (Markdown, prose in two
 * languages, `$ ` prompts, comments, dead ends, a line of output) → `setup import` → a draft that validates,
 * plans as typed steps, refuses to run while its download has no checksum, and once the user fills that in
 * runs in a fresh HOME and leaves what the notes meant: the package, the venv with the pinned version from
 * the notes' mirror (through a profile), the clone at the tag with its submodule, the program built and
 * installed, the variables in a new shell. Then, with the `creates:` the TODOs ask for, a run is a no-op.
 */

/** A small Debian package no other test installs (export-sh: sl, bundle: hello, apt-bundle: fortune-mod). */
const APT_PKG = 'pv';
/** Why the notes install coreutils (there already) instead, or undefined. */
const aptSkip = aptWhyNot(APT_PKG);
if (aptSkip) console.warn(`[import-run] the notes install coreutils, not ${APT_PKG}: ${aptSkip}`);
const pkg = aptSkip ? 'coreutils' : APT_PKG;

/** The notes, as someone kept them while setting up a box by hand. */
const NOTES = `# Demo box 装机笔记

新机器上先装系统包，再建 venv。Notes to self — keep them short.

## 系统包

\`\`\`bash
# 先更新索引
$ sudo apt-get update
$ sudo apt-get install -y ${pkg}
\`\`\`

## Python 环境

用清华源装 demo 包（国内快很多）：

\`\`\`bash
python3 -m venv ~/venvs/demo
source ~/venvs/demo/bin/activate
pip install -i https://pypi.tuna.tsinghua.edu.cn/simple envkit-demo-a==1.0 envkit-demo-b
pip freeze > r.txt   # 记一下版本
\`\`\`

## 源码

\`\`\`bash
$ git clone --recursive https://github.com/envkit/demo-app.git
Cloning into 'demo-app'...
$ cd demo-app
$ git checkout v1.0
\`\`\`

## 编译 demo-tool

Download the release and build it (needs make and a C compiler):

\`\`\`bash
cd ~
wget https://downloads.example.invalid/tool-1.0.tar.gz
tar xzf tool-1.0.tar.gz
cd tool-1.0
make
make PREFIX=$HOME/.local install
\`\`\`

## 环境变量

\`\`\`bash
export DEMO_HOME=$HOME/demo
echo 'export PATH="$HOME/demo/bin:$PATH"' >> ~/.bashrc
\`\`\`
`;

/** The release the notes download: a C program and a Makefile that installs it and a .pc file naming PREFIX. */
function toolTarball(root: string): Buffer {
  const stage = path.join(root, 'stage');
  const src = path.join(stage, 'tool-1.0');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(
    path.join(src, 'tool.c'),
    '#include <stdio.h>\nint main(void) { puts("demo-tool 1.0"); return 0; }\n',
  );
  fs.writeFileSync(
    path.join(src, 'Makefile'),
    [
      'PREFIX ?= /usr/local',
      'demo-tool: tool.c',
      '\t$(CC) -O2 -o $@ tool.c',
      'install: demo-tool',
      '\tmkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig',
      '\tcp demo-tool $(DESTDIR)$(PREFIX)/bin/demo-tool',
      "\tprintf 'prefix=%s\\nName: demo-tool\\nVersion: 1.0\\n' '$(PREFIX)' > $(DESTDIR)$(PREFIX)/lib/pkgconfig/demo-tool.pc",
      '.PHONY: install',
      '',
    ].join('\n'),
  );
  const file = path.join(root, 'tool-1.0.tar.gz');
  execFileSync('tar', ['-C', stage, '--owner=0', '--group=0', '-czf', file, 'tool-1.0']);
  return fs.readFileSync(file);
}

/** `setup …` with `input` on stdin. */
function cliWithStdin(args: string[], home: string, input: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: cliEnv(home), cwd: home, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: null, stdout, stderr });
      },
    );
    child.stdin!.end(input);
  });
}

const timings: [string, number][] = [];
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    timings.push([what, Date.now() - t0]);
  }
}

const canRun = hostHasVenv && !!which('make') && !!which('cc') && !!which('tar');

describe.skipIf(!canRun)('setup import → validate → plan → run, on a page of notes', { timeout: 300_000 }, () => {
  const root = tempHome('envkit-import-run-');
  const dir = path.join(root, 'drafts');
  const notes = path.join(root, 'notes.md');
  const draft = path.join(dir, 'demo.yaml');
  const profile = path.join(root, 'local.yaml');
  let server: Awaited<ReturnType<typeof serve>>;
  let tarball: Buffer;
  let app: MirrorRepo;
  let lib: MirrorRepo;

  beforeAll(async () => {
    tarball = toolTarball(root);
    server = await serve({ '/dl/tool-1.0.tar.gz': tarball });
    // demo-app on "github.com", with a submodule; v1.0 is its first commit (main has moved on since).
    lib = await mirrorRepo(root, 'envkit/demo-lib');
    app = await mirrorRepo(root, 'envkit/demo-app', [
      { path: 'third_party/lib', url: 'https://github.com/envkit/demo-lib.git', commit: lib.recorded },
    ]);
    await git(root, ['-C', app.bare, 'tag', 'v1.0', app.recorded]);
    makeIndex(python3!, path.join(root, 'index'));
    // The user's own mirror: it stands in for tuna's pip index, github.com and the download host.
    fs.writeFileSync(profile, localProfile(root, server.base));
    fs.mkdirSync(dir);
    fs.writeFileSync(notes, NOTES);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (!aptSkip) purgeApt(APT_PKG);
    console.log(`[import-run] timings: ${timings.map(([w, ms]) => `${w} ${(ms / 1000).toFixed(1)}s`).join(', ')}`);
  });

  it('imports the notes, validates, plans typed steps, runs them for real, and a second run is a no-op', async () => {
    const home = tempHome();
    const cli = (args: string[]) => pipCli(args, home);
    const at = ['--recipes', dir, '--mirror', profile];
    const sha = sha256(tarball);

    // 1. The import: the draft in the file, and a summary on stderr that counts what it kept and names each dead end.
    const imp = await timed('import', () => cli(['import', notes, '-o', draft]));
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toBe('');
    expect(imp.stderr).toContain(
      `wrote ${draft}: kept 15 lines as 8 steps, skipped 7 (2 prose, 1 comment, 2 dead end, 2 not a command)`,
    );
    expect(imp.stderr).toContain('line 9: sudo apt-get update — the packages kind refreshes the package lists');
    expect(imp.stderr).toContain('line 21: pip freeze > r.txt — pip freeze only reports what is installed');
    expect(imp.stderr).toContain(`setup plan demo --recipes ${dir}`);
    const drafted = fs.readFileSync(draft, 'utf8');
    expect(drafted).toContain(
      'pip -i in the notes is a bundled mirror profile: tuna (line 20); pick one with --mirror NAME',
    );
    expect(drafted).not.toContain('pypi.tuna'); // the index is the profile's to say, not the step's
    expect(drafted).toContain("TODO: required: the file's sha256 (sha256sum tool-1.0.tar.gz) in vars");
    expect(drafted).toContain('TODO: add creates: (what the build makes), or the step runs every time');
    // Each step names the notes' lines it came from (a cd and a checkout folded in) and their section.
    expect(drafted.match(/^ {2}# lines? .*$/gm)).toEqual([
      '  # line 10 (系统包)',
      '  # line 18 (Python 环境)',
      '  # line 20 (Python 环境)',
      '  # lines 27, 30 (源码)',
      '  # lines 39-40 (编译 demo-tool)',
      '  # line 42 (编译 demo-tool)',
      '  # line 43 (编译 demo-tool)',
      '  # lines 49-50 (环境变量)',
    ]);
    const recipe = parseYaml(drafted) as { vars: Record<string, string>; steps: Record<string, unknown>[] };
    expect(recipe.vars).toEqual({ envkit_demo_a: '1.0', demo_app_ref: 'v1.0', tool_1_0_sha256: 'TODO' });
    const kindOf = (st: Record<string, unknown>): string =>
      Object.keys(st).find((k) => k !== 'name' && k !== 'creates')!;
    expect(recipe.steps.map(kindOf)).toEqual(['packages', 'venv', 'pip', 'git', 'download', 'make', 'make', 'env']);
    // Where each step works is where the notes' shell was: the tarball under ~ (cd ~), make in what it unpacked.
    expect(recipe.steps.slice(3, 8).map((st) => Object.values(st)[1])).toEqual([
      {
        repo: 'https://github.com/envkit/demo-app.git',
        ref: '{{ demo_app_ref }}',
        dest: '{{ dirs.src }}/demo-app',
        submodules: true,
      },
      {
        url: 'https://downloads.example.invalid/tool-1.0.tar.gz',
        sha256: '{{ tool_1_0_sha256 }}',
        extract: '~/tool-1.0',
        strip: 1,
      },
      { dir: '~/tool-1.0' },
      { dir: '~/tool-1.0', targets: ['install'], vars: { PREFIX: '{{ dirs.home }}/.local' } },
      { set: { DEMO_HOME: '{{ dirs.home }}/demo' }, path: ['~/demo/bin'] },
    ]);

    // 2. It validates, and plans as typed steps in the notes' order: no run step.
    const valid = await timed('validate', () => cli(['validate', draft]));
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stderr).toContain('1 recipe, 0 profiles: 0 errors, 0 warnings');

    // 3. As drafted it cannot run: the checksum is a TODO. One line, naming the var and how to set it; nothing done.
    for (const cmd of ['plan', 'run']) {
      const early = await timed(`${cmd} (TODO)`, () => cli([...at, cmd, 'demo']));
      expect(early.code, early.stdout + early.stderr).toBe(2);
      const [line, ...more] = early.stderr.split('\n');
      expect(more).toEqual(['']);
      expect(line?.startsWith(`${draft}:`), line).toBe(true);
      expect(line).toMatch(/^[^:]+:\d+:\d+: error: step 5 of demo: /);
      expect(line).toContain(
        `sha256 "TODO" (from {{ tool_1_0_sha256 }}) is not 64 hex digits: set tool_1_0_sha256 to the file's sha256 (sha256sum FILE prints it), in the recipe's vars or with --set tool_1_0_sha256=…`,
      );
    }
    expect(fs.readdirSync(home).sort()).toEqual(['.local']); // setup's own state folder, no step's work
    expect(fs.readdirSync(path.join(home, '.local'))).toEqual(['state']);
    if (!aptSkip) expect(aptInstalled(APT_PKG)).toBe(false);

    const set = ['--set', `tool_1_0_sha256=${sha}`];
    const plan = await timed('plan', () => cli([...at, 'plan', 'demo', ...set, '--json']));
    expect(plan.code, plan.stderr).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { recipes: { steps: { kind: string; state: string }[] }[] }).recipes[0]!
      .steps;
    expect(planned.map((st) => st.kind)).toEqual(['packages', 'venv', 'pip', 'git', 'download', 'make', 'make', 'env']);
    expect(planned.map((st) => st.state)).toEqual([aptSkip ? 'satisfied' : 'pending', ...Array(7).fill('pending')]);
    const human = await cli([...at, 'plan', 'demo', ...set]);
    expect(human.stdout).toContain(`--index-url file://${root}/index/simple envkit-demo-a==1.0 envkit-demo-b`);
    expect(human.stdout).toContain(`url file://${root}/mirror/github.com/envkit/demo-app.git`);
    expect(human.stdout).toContain(`url ${server.base}/dl/tool-1.0.tar.gz`);
    // (through ccache) where the host has ccache: the build compiles through it.
    expect(human.stdout).toMatch(/\$ make -C ~\/tool-1\.0 -j\d+( +\(through ccache\))?\n/);
    expect(human.stdout).toMatch(/\$ make -C ~\/tool-1\.0 -j\d+ PREFIX=~\/\.local install( +\(through ccache\))?\n/); // ~ as plans show the HOME

    // With the checksum: it runs, and what the notes meant is there.
    const run = await timed('run', () => cli([...at, 'run', 'demo', ...set]));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain(`Done: ${aptSkip ? 7 : 8} steps run`);
    if (!aptSkip) expect(aptInstalled(APT_PKG)).toBe(true);
    const py = path.join(home, 'venvs', 'demo', 'bin', 'python');
    expect(
      execFileSync(py, ['-c', 'import envkit_demo_a, envkit_demo_b; print(envkit_demo_a.__version__)'], {
        encoding: 'utf8',
      }),
    ).toBe('1.0\n'); // the pin, though the index has 2.0 and envkit-demo-b takes any >=1.0
    const clone = path.join(home, '.local', 'state', 'envkit', 'src', 'demo-app');
    const head = (d: string): string =>
      execFileSync('git', ['-C', d, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(head(clone)).toBe(app.recorded); // v1.0, not main's tip
    expect(head(path.join(clone, 'third_party', 'lib'))).toBe(lib.recorded);
    expect(fs.readFileSync(path.join(clone, 'third_party', 'lib', 'README.md'), 'utf8')).toBe('envkit/demo-lib\n');
    const tool = path.join(home, '.local', 'bin', 'demo-tool');
    expect(execFileSync(tool, { encoding: 'utf8' })).toBe('demo-tool 1.0\n');
    expect(fs.readFileSync(path.join(home, '.local', 'lib', 'pkgconfig', 'demo-tool.pc'), 'utf8')).toContain(
      `prefix=${home}/.local\n`,
    );
    const shell = spawnSync('bash', ['-ic', 'printf "%s\\n%s\\n" "$DEMO_HOME" "$PATH"'], {
      env: cliEnv(home),
      cwd: home,
      encoding: 'utf8',
    });
    const [demoHome, pathVar] = shell.stdout.split('\n');
    expect(demoHome).toBe(`${home}/demo`);
    expect(pathVar?.split(':')[0]).toBe(`${home}/demo/bin`);

    // Again: everything satisfied but the two make steps, which have no creates: yet (as their TODOs say).
    const again = await timed('run again', () => cli([...at, 'run', 'demo', ...set]));
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stderr).toContain('2 steps to run');
    expect(again.stderr).toContain('demo › make in ~/tool-1.0 done (no check)');
    expect(again.stderr).toContain('demo › make install done (no check)');

    // The user does what the TODOs ask: the checksum in vars, creates: on the builds. Then a run is a no-op.
    const edited = drafted
      .replace('tool_1_0_sha256: TODO', `tool_1_0_sha256: ${sha}`)
      .replace('      dir: ~/tool-1.0\n  #', '      dir: ~/tool-1.0\n    creates: ~/tool-1.0/demo-tool\n  #')
      .replace(/(PREFIX: "\{\{ dirs\.home \}\}\/\.local"\n)/, '$1    creates: ~/.local/bin/demo-tool\n');
    expect(edited.match(/^ {4}creates: /gm)).toHaveLength(2);
    fs.writeFileSync(draft, edited);
    const done = await timed('run (no-op)', () => cli([...at, 'run', 'demo']));
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout + done.stderr).toContain('Nothing to do: 8 steps already satisfied.');
    const check = await timed('plan --exit-code', () => cli([...at, 'plan', 'demo', '--exit-code']));
    expect(check.code, check.stdout + check.stderr).toBe(0);

    // 4. The same notes on stdin: the draft as first written, on stdout, but for where it came from.
    const piped = await timed('import -', () => cliWithStdin(['import', '-', '--name', 'demo'], home, NOTES));
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe(drafted.replaceAll('from notes.md', 'from stdin'));
    expect(piped.stderr).toContain('demo: kept 15 lines as 8 steps, skipped 7');
  });
});
