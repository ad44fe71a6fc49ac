#!/usr/bin/env node
// Cold installs (issue 17): `setup run` of a Python stack of several recipes into one venv, from a local
// index, against the same commands typed by hand (python3 -m venv, then one `pip install` per recipe, as
// notes say them). Each round starts from nothing (a fresh HOME and pip cache for both sides); the sides are
// interleaved and the median of the per-round ratios is printed. Nothing here is asserted by the test suite.
//   node bench/cold.mjs [--runs N] [--no-stack] [--image] [--gtest] [--overlap]   (--no-stack: not (a) on the tests' index)
// --image adds the catalogue's transformers + jupyter from this image's own index (file:///opt/pypi/simple,
// when it is there): about a minute per side per round.
// --gtest adds (b): googletest (Debian's /usr/src/googletest) built cold by `setup run`, then with a changed
// define (Debug) and back (Release): that rebuild against the cold build, with ccache (a fresh CCACHE_DIR
// each round) and with CCACHE_DISABLE=1, the way a rebuild by hand goes.
// --overlap adds (c): two source builds (googletest, twice, ccache off) and three 16 MiB downloads from a
// server on 127.0.0.1 that sends each at 2 MiB/s (a mirror far away), in one `setup run`, against the
// same run with --jobs 0 (every step in its turn: the sequential baseline).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin', 'setup');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 5;
const IMAGE = args.includes('--image');
const GTEST = args.includes('--gtest');
const OVERLAP = args.includes('--overlap');
const STACK = !args.includes('--no-stack');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-cold-'));
const python = 'python3';

/** A fresh HOME with no pip configuration of the host; the pip cache inside it (so every round is cold). */
function freshEnv() {
  const home = fs.mkdtempSync(path.join(work, 'home-'));
  const env = { ...process.env, HOME: home, NO_COLOR: '1', PIP_CONFIG_FILE: '/dev/null' };
  for (const k of Object.keys(env))
    if (k.startsWith('XDG_') || (k.startsWith('PIP_') && k !== 'PIP_CONFIG_FILE')) delete env[k];
  env.PIP_CACHE_DIR = path.join(home, 'pip-cache');
  // rustup's rustc (the rust recipe's check) finds its toolchains through these, not the fresh HOME.
  for (const [k, dir] of [
    ['RUSTUP_HOME', '.rustup'],
    ['CARGO_HOME', '.cargo'],
  ])
    if (!env[k] && fs.existsSync(path.join(os.homedir(), dir))) env[k] = path.join(os.homedir(), dir);
  return { home, env };
}

function timed(argv, env, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** The by-hand side: a venv, then each recipe's `pip install` in turn. */
function byHand(index, installs) {
  const { home, env } = freshEnv();
  const venv = path.join(home, 'venvs', 'stack');
  const script = [
    `${python} -m venv ${venv}`,
    ...installs.map((pkgs) => `${venv}/bin/pip install -q --disable-pip-version-check --index-url ${index} ${pkgs}`),
  ].join(' && ');
  return timed(['bash', '-c', script], env, home);
}

function setupRun(recipes, profile, names) {
  const { home, env } = freshEnv();
  return timed([process.execPath, BIN, 'run', ...names, '--recipes', recipes, '--mirror', profile], env, home);
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

function compare(label, index, installs, recipes, profile, names) {
  const ours = [];
  const theirs = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate which side goes first: a round's load hits both.
    if (i % 2) {
      theirs.push(byHand(index, installs));
      ours.push(setupRun(recipes, profile, names));
    } else {
      ours.push(setupRun(recipes, profile, names));
      theirs.push(byHand(index, installs));
    }
  }
  const ratios = ours.map((t, i) => t / theirs[i]);
  console.log(
    `| ${label} | ${fmt(median(ours))} | same commands by hand | ${fmt(median(theirs))} | ${median(ratios).toFixed(2)}× | ≤ 0.8× | ${median(ratios) <= 0.8 ? 'yes' : 'no'} |`,
  );
}

console.log(`${RUNS} rounds each, interleaved, cold (fresh HOME and pip cache); ${os.cpus().length} CPUs\n`);
console.log('| figure | setup | baseline | baseline time | ratio | target | met |\n|---|---|---|---|---|---|---|');

// (a) three recipes into one venv from the wheel index the tests build.
if (STACK) {
  const demo = path.join(work, 'demo-index');
  execFileSync(python, [path.join(root, 'test', 'helpers', 'make-index.py'), demo]);
  const demoIndex = `file://${demo}/simple`;
  const demoRecipes = path.join(work, 'demo-recipes');
  fs.mkdirSync(demoRecipes);
  const stack = [
    ['stack-a', 'envkit-demo-a==1.0'],
    ['stack-b', 'envkit-demo-b'],
    ['stack-c', 'envkit-demo-c==1.0'],
  ];
  stack.forEach(([name, pkg], i) =>
    fs.writeFileSync(
      path.join(demoRecipes, `${name}.yaml`),
      `name: ${name}\n${i ? `requires: [${stack[i - 1][0]}]\n` : ''}steps:\n  - venv: { path: ~/venvs/stack }\n  - pip: { venv: ~/venvs/stack, packages: ["${pkg}"] }\n`,
    ),
  );
  const demoProfile = path.join(work, 'demo-profile.yaml');
  fs.writeFileSync(demoProfile, `name: demo\npip: { index-url: "${demoIndex}" }\n`);
  compare(
    'setup run, 3 recipes into one venv (test index)',
    demoIndex,
    stack.map(([, pkg]) => `'${pkg}'`),
    demoRecipes,
    demoProfile,
    ['stack-c'],
  );
}

// (a, image) transformers + jupyter from this image's index, as the catalogue has them.
if (IMAGE && fs.existsSync('/opt/pypi/simple')) {
  const imageProfile = path.join(work, 'image-profile.yaml');
  fs.writeFileSync(imageProfile, 'name: image\npip: { index-url: "file:///opt/pypi/simple" }\n');
  const recipes = path.join(root, 'recipes');
  // The newest transformers the index has (this image's index has recent versions only): both sides install it.
  const page = fs.readFileSync('/opt/pypi/simple/transformers/index.html', 'utf8');
  const versions = [...page.matchAll(/transformers-(\d+(?:\.\d+)*)-/g)].map((m) => m[1]);
  const newer = (a, b) => {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++)
      if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  const v = versions.sort(newer).at(-1) ?? '';
  compare(
    'setup run transformers jupyter (image index)',
    'file:///opt/pypi/simple',
    [`setuptools-rust transformers${v ? `==${v}` : ''}`, 'jupyter jupyterlab ipykernel'],
    recipes,
    imageProfile,
    ['transformers', 'jupyter', ...(v ? ['--set', `transformers.version=${v}`] : [])],
  );
}
// (b) googletest: cold, a changed define, and back; the rebuild back is what ccache serves from its cache.
if (GTEST && fs.existsSync('/usr/src/googletest/CMakeLists.txt')) {
  const src = path.join(work, 'gtest-src');
  fs.cpSync('/usr/src/googletest', src, { recursive: true });
  const recipes = path.join(work, 'gtest-recipes');
  fs.mkdirSync(recipes);
  fs.writeFileSync(
    path.join(recipes, 'gt.yaml'),
    `name: gt\nvars: { bt: Release, dir: build }\nsteps:\n  - cmake: { source: ${src}, build: "${work}/{{ dir }}", defines: { CMAKE_BUILD_TYPE: "{{ bt }}" } }\n  - cmake: { build: "${work}/{{ dir }}", target: all }\n`,
  );
  const rounds = { ccache: [], none: [] };
  for (let i = 0; i < RUNS; i++)
    for (const mode of i % 2 ? ['none', 'ccache'] : ['ccache', 'none']) {
      const { env } = freshEnv();
      if (mode === 'none') env.CCACHE_DISABLE = '1';
      env.CCACHE_DIR = path.join(work, `ccache-${i}-${mode}`);
      const run = (...set) =>
        timed(
          [process.execPath, BIN, 'run', 'gt', '--recipes', recipes, '--set', `gt.dir=b-${i}-${mode}`, ...set],
          env,
          work,
        );
      const cold = run();
      run('--set', 'gt.bt=Debug');
      const back = run();
      rounds[mode].push({ cold, back });
    }
  for (const mode of ['ccache', 'none']) {
    const r = rounds[mode];
    const ratio = median(r.map((x) => x.back / x.cold));
    const label =
      mode === 'ccache' ? 'rebuild after a changed define, with ccache' : 'the same rebuild without ccache (by hand)';
    console.log(
      `| ${label} | ${fmt(median(r.map((x) => x.back)))} | the cold build | ${fmt(median(r.map((x) => x.cold)))} | ${ratio.toFixed(2)}× | ${mode === 'ccache' ? '≤ 0.3×' : '—'} | ${mode === 'ccache' ? (ratio <= 0.3 ? 'yes' : 'no') : '—'} |`,
    );
  }
}
// (c) two builds and three downloads: fetched while building, against one thing at a time (--jobs 0).
if (OVERLAP && fs.existsSync('/usr/src/googletest/CMakeLists.txt')) {
  const RATE = 2 << 20; // bytes per second, per connection
  const files = [1, 2, 3].map((i) => ({ name: `asset-${i}.bin`, body: randomBytes(16 << 20) }));
  const server = http.createServer((req, res) => {
    const f = files.find((x) => req.url === `/${x.name}`);
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': f.body.length });
    if (req.method === 'HEAD') return res.end();
    let at = 0;
    const tick = setInterval(() => {
      const next = Math.min(f.body.length, at + RATE / 10);
      res.write(f.body.subarray(at, next));
      at = next;
      if (at >= f.body.length) {
        clearInterval(tick);
        res.end();
      }
    }, 100);
    res.on('close', () => clearInterval(tick));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const src = path.join(work, 'overlap-src');
  fs.cpSync('/usr/src/googletest', src, { recursive: true });
  const recipes = path.join(work, 'overlap-recipes');
  fs.mkdirSync(recipes);
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  const build = (n) =>
    `  - cmake: { source: ${src}, build: "{{ dirs.home }}/build-${n}", defines: { CMAKE_BUILD_TYPE: Release } }\n  - cmake: { build: "{{ dirs.home }}/build-${n}", target: all }\n`;
  const dl = (f) =>
    `  - download: { url: "${base}/${f.name}", sha256: ${sha(f.body)}, dest: "{{ dirs.home }}/${f.name}" }\n`;
  fs.writeFileSync(
    path.join(recipes, 'overlap.yaml'),
    `name: overlap\nsteps:\n${build(1)}${dl(files[0])}${build(2)}${dl(files[1])}${dl(files[2])}`,
  );
  const run = (jobs) => {
    const { home, env } = freshEnv();
    env.CCACHE_DISABLE = '1';
    // The server lives in this process: run setup without blocking it.
    return new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const p = spawn(process.execPath, [BIN, 'run', 'overlap', '--recipes', recipes, ...jobs], {
        env,
        cwd: home,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('close', (code) =>
        code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(err.slice(-2000))),
      );
    });
  };
  const ours = [];
  const seq = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2) {
      seq.push(await run(['--jobs', '0']));
      ours.push(await run([]));
    } else {
      ours.push(await run([]));
      seq.push(await run(['--jobs', '0']));
    }
  }
  server.close();
  const ratio = median(ours.map((t, i) => t / seq[i]));
  console.log(
    `| setup run, 2 source builds + 3 downloads (fetched while building) | ${fmt(median(ours))} | the same, one step at a time (--jobs 0) | ${fmt(median(seq))} | ${ratio.toFixed(2)}× | ≤ 0.7× | ${ratio <= 0.7 ? 'yes' : 'no'} |`,
  );
}
fs.rmSync(work, { recursive: true, force: true });
