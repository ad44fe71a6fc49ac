#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) into one file, dist/setup/main.cjs, and records a
// V8 code cache for it (dist/setup/main.cjs.cache) by running one representative command: bin/setup then
// starts without resolving hundreds of files in node_modules and without compiling most of the code again
// (docs/performance.md). Dynamic imports stay lazy: each command still runs only the modules it uses.
// A cache from another Node version is simply rejected by V8, and the code is compiled as usual.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'setup');
fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  outfile: path.join(outdir, 'main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  logLevel: 'warning',
  // Smaller to read and hash at every start; names stay, so a stack trace (-v) still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  // The sources are ESM and read import.meta.url (to find the package root): give it the file's URL.
  define: { 'import.meta.url': '__envkitModuleUrl' },
  banner: { js: "const __envkitModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// bin/setup reads the bundle as latin1, which is only right for ASCII (esbuild escapes non-ASCII text).
if (/[^\x00-\x7f]/.test(fs.readFileSync(path.join(outdir, 'main.cjs'), 'latin1'))) throw new Error('dist/setup/main.cjs is not ASCII; bin/setup reads it as latin1');

// Warm up: one plan over bundled recipes in a throwaway HOME, then the loader writes the code cache.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-warmup-'));
try {
  execFileSync(process.execPath, [path.join(root, 'bin', 'setup'), 'plan', 'pip-mirror', 'prefix-env', 'cmake', 'build-tools', '--json'], {
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: '', XDG_STATE_HOME: '', XDG_CACHE_HOME: '', ENVKIT_WRITE_CODE_CACHE: '1', NO_COLOR: '1' },
    stdio: 'ignore',
  });
} catch {
  // A plan with work to do exits 0; anything else only means no cache: the CLI works without one.
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
