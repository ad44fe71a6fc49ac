#!/usr/bin/env node
// Builds dist/setup-linux-x64 (`npm run build:sea`, after `npm run build`): setup as one executable for a host
// without Node — Node's single executable application (SEA), https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html.
// The whole CLI (main and engine together) is bundled into one CommonJS script, since an SEA's `require`
// loads only Node's builtins; recipes/, schema/ and package.json go in as assets, with a manifest
// (src/util/sea-root.ts unpacks them on first use). Node makes the blob (`--experimental-sea-config`) and
// postject injects it into a copy of this Node (stripped of its debug information when `strip` is there).
//
// The binary is built beside its place and renamed in, under a lock: a second build at the same time (two
// test files) waits, then finds it up to date. Up to date means: the stamp beside it (a hash of the script,
// the assets, this build script, this Node and postject) is the one this build would write; then nothing is built.
// `--force` builds anyway.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { common } from './esbuild-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

/** Stops the build with one line on stderr (what, and how to fix it), exit 2. */
function refuse(message) {
  process.stderr.write(`build:sea: ${message}\n`);
  process.exit(2);
}

if (process.platform !== 'linux' || process.arch !== 'x64')
  refuse(
    `builds setup-linux-x64, which needs a linux x64 host and its Node (this is ${process.platform}-${process.arch}); build it on one (a linux x64 container will do)`,
  );
const sea = await import('node:sea').catch(() => undefined);
if (typeof sea?.getRawAsset !== 'function')
  refuse(
    `needs a Node with single executable applications and their assets (20.12 or later); this is ${process.version}`,
  );
if (!fs.existsSync(path.join(dist, 'cli', 'sea-main.js')) || !fs.existsSync(path.join(dist, 'util', 'sea-root.js')))
  refuse('dist/cli is not built; run `npm run build` first (or `npm run build:sea`, which does both)');

// Shared with the code that unpacks them, so the manifest and hash cannot drift apart.
const { SEA_FILE } = await import(path.join(dist, 'util', 'sea.js'));
const { SEA_MANIFEST, seaHash } = await import(path.join(dist, 'util', 'sea-root.js'));
const out = path.join(dist, SEA_FILE);
const force = process.argv.includes('--force');

/** package.json, recipes/** and schema/**, each as { path (relative, `/`), file (absolute), data }. */
function assetFiles() {
  const files = [];
  const walk = (rel) => {
    const abs = path.join(root, rel);
    if (fs.statSync(abs).isDirectory()) for (const name of fs.readdirSync(abs).sort()) walk(`${rel}/${name}`);
    else files.push({ path: rel, file: abs, data: fs.readFileSync(abs) });
  };
  for (const rel of ['package.json', 'recipes', 'schema']) walk(rel);
  return files;
}

const started = Date.now();
const [bundle] = (
  await build({
    ...common,
    // The licenses of the bundled libraries stay inside the one file (dist/setup keeps them beside its bundles).
    legalComments: 'eof',
    entryPoints: [path.join(dist, 'cli', 'sea-main.js')],
    outfile: 'sea.cjs',
    write: false,
  })
).outputFiles;
const assets = assetFiles();
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const manifest = { version, hash: seaHash(assets), files: assets.map((a) => a.path) };
const postject = require.resolve('postject/dist/cli.js');
const stamp = createHash('sha256')
  .update(bundle.contents)
  .update(JSON.stringify(manifest))
  .update(fs.readFileSync(fileURLToPath(import.meta.url))) // how it is built
  .update(`${process.version} ${fs.statSync(process.execPath).size} ${require('postject/package.json').version}`)
  .digest('hex');
const stampFile = path.join(dist, `.${SEA_FILE}.stamp`);
const upToDate = () => {
  try {
    return !force && fs.existsSync(out) && fs.readFileSync(stampFile, 'utf8') === stamp;
  } catch {
    return false; // no stamp
  }
};

const { default: lockfile } = await import('proper-lockfile');
let release;
if (!upToDate()) {
  // Waits for a build in progress (another test file's), up to about 10 minutes.
  release = await lockfile.lock(dist, {
    lockfilePath: path.join(dist, `.${SEA_FILE}.lock`),
    retries: { retries: 600, minTimeout: 1000, maxTimeout: 1000 },
    stale: 30_000,
  });
}
try {
  if (upToDate()) {
    process.stdout.write(`build:sea: dist/${SEA_FILE} is up to date\n`);
  } else {
    buildBinary();
    const { size } = fs.statSync(out);
    process.stdout.write(
      `build:sea: wrote dist/${SEA_FILE} (${(size / 2 ** 20).toFixed(1)} MiB, Node ${process.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
} finally {
  await release?.();
}

function buildBinary() {
  const work = fs.mkdtempSync(path.join(dist, `.${SEA_FILE}.build-`));
  try {
    const script = path.join(work, 'sea.cjs');
    fs.writeFileSync(script, bundle.contents);
    fs.writeFileSync(path.join(work, SEA_MANIFEST), JSON.stringify(manifest));
    const config = {
      main: script,
      output: path.join(work, 'sea.blob'),
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets: Object.fromEntries([
        [SEA_MANIFEST, path.join(work, SEA_MANIFEST)],
        ...assets.map((a) => [a.path, a.file]),
      ]),
    };
    fs.writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
    const quiet = { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' };
    run(process.execPath, ['--experimental-sea-config', 'sea-config.json'], quiet);

    const binary = path.join(work, SEA_FILE);
    try {
      execFileSync('strip', ['-o', binary, process.execPath], quiet);
    } catch {
      fs.copyFileSync(process.execPath, binary); // no strip (binutils): the same, a little larger
    }
    fs.chmodSync(binary, 0o755);
    run(
      process.execPath,
      [
        postject,
        binary,
        'NODE_SEA_BLOB',
        'sea.blob',
        '--sentinel-fuse',
        'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      ],
      quiet,
    );
    // It must start before it takes the place of the last good one.
    const said = run(binary, ['--version'], { ...quiet, env: { PATH: '/nonexistent' } }).trim();
    if (said !== version) throw new Error(`the new binary says ${JSON.stringify(said)} to --version, not ${version}`);
    fs.renameSync(binary, out);
    fs.writeFileSync(`${stampFile}.tmp`, stamp);
    fs.renameSync(`${stampFile}.tmp`, stampFile);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runs a build tool; its chatter is shown only when it fails. */
function run(file, args, opts) {
  try {
    return execFileSync(file, args, opts);
  } catch (e) {
    process.stderr.write(
      `build:sea: ${path.basename(file)} ${args.join(' ')} failed\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    throw e;
  }
}
