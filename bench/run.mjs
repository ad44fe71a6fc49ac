#!/usr/bin/env node
// `npm run bench`: builds its inputs in a temp folder, times each figure against a baseline measured in
// the same run (interleaved, medians), and prints a table of ratios against the targets of issue 6.
// No timing is asserted in the test suite; this script is where speed is measured.
//   node bench/run.mjs [--runs N] [--full]   (--full adds the googletest build: setup run vs by hand)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin', 'setup');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 15;
const FULL = args.includes('--full');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-bench-'));
const home = path.join(work, 'home');
fs.mkdirSync(home);
const env = { ...process.env, HOME: home, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (k.startsWith('XDG_')) delete env[k];

/** Median wall time (ms) of each command, measured interleaved so load drifts hit all of them alike. */
function measure(cmds, runs = RUNS, { warmUp = true } = {}) {
  const times = cmds.map(() => []);
  // One untimed round first: the first start of each command pays for cold caches, not for its design.
  for (let i = warmUp ? -1 : 0; i < runs; i++) {
    cmds.forEach((c, j) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(c[0], c.slice(1), { env, cwd: home, stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0 && r.status !== 3) throw new Error(`${c.join(' ')} exited ${r.status}: ${r.stderr}`);
      if (i >= 0) times[j].push(ms);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

const installed = execFileSync('dpkg-query', ['-W', '-f', '${Status} ${Package}\n'], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => l.startsWith('install ok installed '))
  .map((l) => l.split(' ').pop());
const pkgs20 = installed.slice(0, 20);
const pkgs200 = installed.slice(0, 200);

// The 31-check no-op: 20 installed packages (one packages step), 20 commands guarded by creates, 10 files.
const recipes = path.join(work, 'recipes');
fs.mkdirSync(recipes);
const marks = path.join(work, 'marks');
fs.mkdirSync(marks);
const steps = [`  - packages: [${pkgs20.join(', ')}]`];
for (let i = 0; i < 20; i++) {
  fs.writeFileSync(path.join(marks, `done-${i}`), '');
  steps.push(`  - run: touch ${marks}/done-${i}\n    creates: ${marks}/done-${i}`);
}
for (let i = 0; i < 10; i++) {
  fs.writeFileSync(path.join(marks, `file-${i}.conf`), `setting ${i}\n`);
  steps.push(`  - file: { path: ${marks}/file-${i}.conf, content: "setting ${i}\\n" }`);
}
fs.writeFileSync(
  path.join(recipes, 'noop.yaml'),
  `name: noop\ndescription: 31 satisfied checks\nsteps:\n${steps.join('\n')}\n`,
);
fs.writeFileSync(path.join(recipes, 'apt1.yaml'), `name: apt1\nsteps:\n  - packages: [${installed[0]}]\n`);
fs.writeFileSync(path.join(recipes, 'apt200.yaml'), `name: apt200\nsteps:\n  - packages: [${pkgs200.join(', ')}]\n`);

// The same checks by hand: one dpkg-query per package, test -e, cmp of each file.
const sh = [
  '#!/bin/bash',
  'set -e',
  ...pkgs20.map((p) => `dpkg-query -W -f '\${Status}' ${p} | grep -q 'install ok installed'`),
  ...Array.from({ length: 20 }, (_, i) => `test -e ${marks}/done-${i}`),
  ...Array.from({ length: 10 }, (_, i) => `[ "$(cat ${marks}/file-${i}.conf)" = "setting ${i}" ]`),
].join('\n');
fs.writeFileSync(path.join(work, 'checks.sh'), sh + '\n', { mode: 0o755 });

// The same as an Ansible playbook (connection local, fact gathering on), when ansible-playbook is there.
const ansible = spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
if (ansible) {
  const tasks = [
    `    - ansible.builtin.package_facts: {}`,
    ...pkgs20.map((p) => `    - ansible.builtin.assert: { that: "'${p}' in ansible_facts.packages", quiet: true }`),
    ...Array.from(
      { length: 20 },
      (_, i) => `    - ansible.builtin.command: { cmd: "touch ${marks}/done-${i}", creates: "${marks}/done-${i}" }`,
    ),
    ...Array.from(
      { length: 10 },
      (_, i) => `    - ansible.builtin.copy: { dest: "${marks}/file-${i}.conf", content: "setting ${i}\\n" }`,
    ),
  ];
  fs.writeFileSync(
    path.join(work, 'play.yml'),
    `- hosts: localhost\n  connection: local\n  gather_facts: true\n  tasks:\n${tasks.join('\n')}\n`,
  );
}

// Synthetic catalogues: 100 recipes x 10 satisfied steps, and 1,000 x 10.
const treeNames = {};
function tree(name, n) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const all = (treeNames[dir] = []);
  for (let r = 0; r < n; r++) {
    const rs = Array.from({ length: 10 }, (_, s) => `  - run: "true"\n    creates: ${marks}/done-${(r + s) % 20}`);
    fs.writeFileSync(path.join(dir, `r${r}.yaml`), `name: r${r}\ndescription: synthetic\nsteps:\n${rs.join('\n')}\n`);
    all.push(`r${r}`);
  }
  return dir;
}
const t100 = tree('tree100', 100);
const t1000 = tree('tree1000', 1000);

const rows = [];
const row = (figure, ms, baseName, baseMs, target, ok) =>
  rows.push({ figure, ms, baseName, baseMs, ratio: ms / baseMs, target, ok });
const setup = (...a) => [process.execPath, BIN, ...a];

console.error(`envkit bench: ${RUNS} runs per figure, medians; ${os.cpus().length} CPUs; inputs in ${work}`);
{
  const [node0, version, help] = measure([[process.execPath, '-e', '0'], setup('--version'), setup('--help')]);
  row('setup --version', version, 'node -e 0', node0, '≤ 1.5×', version / node0 <= 1.5);
  row('setup --help', help, 'node -e 0', node0, '≤ 1.5×', help / node0 <= 1.5);
}
{
  const cmds = [setup('--recipes', recipes, 'plan', 'noop', '--exit-code'), ['bash', path.join(work, 'checks.sh')]];
  if (ansible) cmds.push(['ansible-playbook', '-i', 'localhost,', path.join(work, 'play.yml')]);
  const [plan, bash, play] = measure(cmds, ansible ? Math.min(RUNS, 5) : RUNS);
  row('plan, 31-check no-op recipe', plan, 'same checks in bash', bash, '≤ 1.0×', plan / bash <= 1.0);
  if (ansible) row('plan, 31-check no-op recipe', plan, 'ansible-playbook', play, '≤ 1/50', plan / play <= 1 / 50);
  else
    rows.push({
      figure: 'plan vs Ansible',
      note: 'ansible-playbook not installed: skipped (apt-get install ansible to measure)',
    });
}
{
  const [one, many] = measure([
    setup('--recipes', recipes, 'plan', 'apt1'),
    setup('--recipes', recipes, 'plan', 'apt200'),
  ]);
  row(`plan, ${pkgs200.length} installed apt packages`, many, 'plan, 1 package', one, '≤ 1.5×', many / one <= 1.5);
}
{
  // Named, so the bundled catalogue (whose pip checks start Python) stays out of the comparison.
  const [version, small, big] = measure(
    [
      setup('--version'),
      setup('--recipes', t100, 'plan', ...treeNames[t100]),
      setup('--recipes', t1000, 'plan', ...treeNames[t1000]),
    ],
    Math.min(RUNS, 7),
  );
  row('plan, 10,000 steps / 1,000 recipes', big, 'plan, 1,000 steps / 100 recipes', small, '≤ 12×', big / small <= 12);
  row('plan, 10,000 steps / 1,000 recipes', big, 'setup --version', version, '≤ 10×', big / version <= 10);
}
{
  // Checks that spawn run concurrently: 8 checks of 0.3 s each.
  const dir = path.join(work, 'slowchecks');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'slow.yaml'),
    `name: slow\nsteps:\n${Array.from({ length: 8 }, () => '  - run: "true"\n    check: sleep 0.3').join('\n')}\n`,
  );
  const [plan] = measure([setup('--recipes', dir, 'plan', 'slow')], 5);
  const sequential = 8 * 300;
  row(
    'plan, 8 checks of 0.3 s each',
    plan,
    'the checks one after another (2.4 s)',
    sequential,
    `≤ ${(1 / Math.min(8, os.cpus().length) + 0.15).toFixed(2)}×`,
    plan / sequential <= 1 / Math.min(8, os.cpus().length) + 0.15,
  );
}
if (FULL && fs.existsSync('/usr/src/googletest/CMakeLists.txt')) {
  // setup run vs the same commands by hand, on the googletest build. Both cold: setup would compile through
  // ccache where it is installed, and its second round would be all cache hits (the rebuild figure is another).
  env.CCACHE_DISABLE = '1';
  const src = path.join(work, 'gtest');
  const build = (dir) => path.join(dir, 'build');
  const prefix = (dir) => path.join(dir, 'prefix');
  const hand = (dir) => [
    'bash',
    '-c',
    `set -e; cmake -S ${src} -B ${build(dir)} -DCMAKE_INSTALL_PREFIX=${prefix(dir)} -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build ${build(dir)} --parallel ${os.cpus().length} >/dev/null; cmake --install ${build(dir)} --prefix ${prefix(dir)} >/dev/null`,
  ];
  fs.cpSync('/usr/src/googletest', src, { recursive: true });
  const rdir = path.join(work, 'gtest-recipe');
  fs.mkdirSync(rdir);
  const recipe = (dir) =>
    `name: gt\nsteps:\n  - cmake: { source: ${src}, build: ${build(dir)}, defines: { CMAKE_BUILD_TYPE: Release } }\n  - cmake: { build: ${build(dir)}, install: true }\n    creates: ${prefix(dir)}/lib/libgtest.a\n`;
  const byHand = [];
  const bySetup = [];
  for (let i = 0; i < 3; i++) {
    const a = path.join(work, `hand-${i}`);
    const b = path.join(work, `setup-${i}`);
    fs.writeFileSync(path.join(rdir, 'gt.yaml'), recipe(b));
    byHand.push(measure([hand(a)], 1, { warmUp: false })[0]);
    bySetup.push(measure([setup('--recipes', rdir, '--prefix', prefix(b), 'run', 'gt')], 1, { warmUp: false })[0]);
  }
  const med = (a) => a.sort((x, y) => x - y)[1];
  row(
    'setup run, googletest build',
    med(bySetup),
    'same commands by hand',
    med(byHand),
    '≤ 1.05×',
    med(bySetup) / med(byHand) <= 1.05,
  );
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
console.log('| figure | time | baseline | baseline time | ratio | target | met |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  if (r.note) console.log(`| ${r.figure} | | ${r.note} | | | | |`);
  else
    console.log(
      `| ${r.figure} | ${fmt(r.ms)} | ${r.baseName} | ${fmt(r.baseMs)} | ${r.ratio < 0.1 ? `1/${Math.round(1 / r.ratio)}` : `${r.ratio.toFixed(2)}×`} | ${r.target} | ${r.ok ? 'yes' : 'no'} |`,
    );
}
fs.rmSync(work, { recursive: true, force: true });
