#!/usr/bin/env node
// Two builds of setup, side by side: the same commands over the bundled catalogue, run interleaved (so load
// drifts hit both alike), medians and the ratio new/old per command. For "a change made nothing slower":
//   node bench/compare.mjs OLD_CHECKOUT [NEW_CHECKOUT] [--runs N]
// Each checkout must be built (npm run build). NEW_CHECKOUT defaults to this one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt === -1 ? 21 : Number(args[runsAt + 1]);
const dirs = args.filter((a, i) => !a.startsWith('--') && !(runsAt !== -1 && i === runsAt + 1));
const oldDir = dirs[0];
const newDir = dirs[1] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!oldDir || !RUNS) {
  console.error('usage: node bench/compare.mjs OLD_CHECKOUT [NEW_CHECKOUT] [--runs N]');
  process.exit(2);
}
const bin = (dir) => path.join(path.resolve(dir), 'bin', 'setup');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-compare-'));
const env = { ...process.env, HOME: home, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (k.startsWith('XDG_')) delete env[k];

const COMMANDS = [
  ['--help'],
  ['list'],
  ['validate'],
  ['show', 'faiss'],
  ['plan', 'faiss', '--json'],
  ['plan', 'ml-stack', '--no-resolve'],
  ['doctor', 'cmake'],
];

function once(dir, cmd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin(dir), ...cmd], { env, cwd: home, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`${dir}: setup ${cmd.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`old: ${oldDir}\nnew: ${newDir}\n${RUNS} interleaved runs each, medians\n`);
console.log('| command | old ms | new ms | new/old |\n|---|---:|---:|---:|');
try {
  for (const cmd of COMMANDS) {
    const t = { old: [], new: [] };
    for (let i = -1; i < RUNS; i++) {
      // Alternate which goes first, so neither always runs on a warmer cache.
      const order = i % 2 ? ['old', 'new'] : ['new', 'old'];
      for (const which of order) {
        const ms = once(which === 'old' ? oldDir : newDir, cmd);
        if (i >= 0) t[which].push(ms);
      }
    }
    const [o, n] = [median(t.old), median(t.new)];
    console.log(`| setup ${cmd.join(' ')} | ${o.toFixed(1)} | ${n.toFixed(1)} | ${(n / o).toFixed(2)} |`);
  }
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
