#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli, from tsc) into two files: dist/setup/main.cjs, the command line
// (parsing, --help, usage errors), and dist/setup/engine.cjs, everything a command runs, loaded only then.
// Each gets a V8 code cache (<bundle>.cache) recorded by running a representative command: bin/setup then
// starts without resolving hundreds of files in node_modules and without compiling most of the code again
// (docs/performance.md). Dynamic imports stay lazy: each command still runs only the modules it uses.
// A cache from another Node version is simply rejected by V8, and the code is compiled as usual.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { common } from './esbuild-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'setup');
fs.rmSync(outdir, { recursive: true, force: true });

/**
 * In main.cjs, `import('./engine.js')` loads the other bundle: through bin/setup's loader (with its code
 * cache) when there is one, else with require (`node dist/setup/main.cjs`, as when profiling).
 */
const engineApart = {
  name: 'engine-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/engine\.js$/ }, () => ({ path: 'engine', namespace: 'envkit-engine' }));
    b.onResolve({ filter: /^\.\/engine\.cjs$/ }, () => ({ path: './engine.cjs', external: true }));
    b.onLoad({ filter: /.*/, namespace: 'envkit-engine' }, () => ({
      contents:
        "const load = globalThis[Symbol.for('envkit.load')];\nmodule.exports = load ? load('engine.cjs') : require('./engine.cjs');\n",
      loader: 'js',
    }));
  },
};

await build({
  ...common,
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  outfile: path.join(outdir, 'main.cjs'),
  plugins: [engineApart],
});
await build({
  ...common,
  entryPoints: [path.join(root, 'dist', 'cli', 'engine.js')],
  outfile: path.join(outdir, 'engine.cjs'),
});

// bin/setup reads the bundles as latin1, which is only right for ASCII (esbuild escapes non-ASCII text).
for (const name of ['main.cjs', 'engine.cjs']) {
  // eslint-disable-next-line no-control-regex -- the range is all of ASCII, controls included
  if (/[^\x00-\x7f]/.test(fs.readFileSync(path.join(outdir, name), 'latin1')))
    throw new Error(`dist/setup/${name} is not ASCII; bin/setup reads it as latin1`);
}

// Warm up, then each bundle's code cache is written by the loader: main.cjs's from `--help`, engine.cjs's
// from one plan over bundled recipes (--json, so locations are computed too), in a throwaway HOME.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-warmup-'));
const warmUp = (bundle, args) => {
  try {
    execFileSync(process.execPath, [path.join(root, 'bin', 'setup'), ...args], {
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: '',
        XDG_STATE_HOME: '',
        XDG_CACHE_HOME: '',
        ENVKIT_WRITE_CODE_CACHE: bundle,
        NO_COLOR: '1',
      },
      stdio: 'ignore',
    });
  } catch {
    // A plan with work to do exits 0; anything else only means no cache: the CLI works without one.
  }
};
try {
  warmUp('main.cjs', ['--help']);
  warmUp('engine.cjs', ['plan', 'pip-mirror', 'prefix-env', 'cmake', 'build-tools', '--json']);
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
