#!/usr/bin/env node
// Two (or more) builds of envkit compared on the bundled catalogue: `setup plan faiss` (text and --json),
// `setup list` and `setup validate`, run by each build's bin/setup against its own recipes/. Runs are
// interleaved (the order flips each round) after two untimed rounds; for each build it prints the median
// wall time and CPU time (user + sys of the command and its children, from /usr/bin/time) and the median
// of the per-round ratios to the first build. On a shared machine the CPU ratio is the steadier figure.
//   node bench/ab.mjs [--runs N] [--cases plan,json,list,validate,help,show,doctor] DIR_A DIR_B ...
// (doctor may exit 1: a check that fails on this host is still timed.)
// Each DIR is a built checkout, or a copy of its bin/, dist/, recipes/, schema/ and package.json, e.g.
//   npm run build && mkdir /tmp/a && cp -r bin dist recipes schema package.json /tmp/a   (then change, rebuild, copy to /tmp/b)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args.splice(i, 2)[1];
};
const RUNS = Number(option('--runs', '15'));
const CASES = option('--cases', 'plan,json,list,validate').split(',');
const dirs = args.map((d) => path.resolve(d));
if (dirs.length < 2)
  throw new Error('usage: node bench/ab.mjs [--runs N] [--cases plan,json,list,validate] DIR_A DIR_B ...');

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-ab-'));
const env = { ...process.env, HOME: home, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (k.startsWith('XDG_')) delete env[k];
const commands = {
  plan: ['plan', 'faiss'],
  json: ['plan', 'faiss', '--json'],
  list: ['list'],
  validate: ['validate'],
  help: ['--help'],
  show: ['show', 'faiss'],
  doctor: ['doctor', 'cmake'],
};
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

console.log(`${RUNS} runs per command, interleaved; ${os.cpus().length} CPUs; ratios are to ${path.basename(dirs[0])}`);
for (const name of CASES) {
  const command = commands[name];
  const wall = dirs.map(() => []);
  const cpu = dirs.map(() => []);
  for (let round = -2; round < RUNS; round++) {
    const order = dirs.map((_, j) => (round % 2 ? j : dirs.length - 1 - j));
    for (const j of order) {
      const r = spawnSync(
        '/usr/bin/time',
        ['-f', 'TIME %e %U %S', process.execPath, path.join(dirs[j], 'bin', 'setup'), ...command],
        { env, cwd: home, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
      );
      const m = /TIME (\S+) (\S+) (\S+)\s*$/.exec(r.stderr);
      if (![0, 1, 3].includes(r.status) || !m)
        throw new Error(`${dirs[j]}: setup ${command.join(' ')} exited ${r.status}: ${r.stderr}`);
      if (round < 0) continue;
      wall[j].push(Number(m[1]) * 1000);
      cpu[j].push((Number(m[2]) + Number(m[3])) * 1000);
    }
  }
  const ratio = (t, j) => median(t[j].map((x, k) => x / t[0][k])).toFixed(2);
  console.log(`setup ${command.join(' ')} (load ${os.loadavg()[0].toFixed(1)})`);
  dirs.forEach((d, j) =>
    console.log(
      `  ${path.basename(d)}: wall ${median(wall[j]).toFixed(0)} ms (${ratio(wall, j)}×), cpu ${median(cpu[j]).toFixed(0)} ms (${ratio(cpu, j)}×)`,
    ),
  );
}
fs.rmSync(home, { recursive: true, force: true });
