#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/setup/: one module graph in a few
// files, so a command starts without resolving hundreds of files in node_modules (docs/performance.md).
// Dynamic imports stay lazy chunks: each command still loads only what it uses.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'setup');
fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  logLevel: 'warning',
  // A few dependencies are CommonJS (require(), __filename): give the ESM chunks what they expect.
  banner: {
    js: [
      "import { createRequire as __envkitRequire } from 'node:module';",
      "import { fileURLToPath as __envkitPath } from 'node:url';",
      'const require = __envkitRequire(import.meta.url);',
      'const __filename = __envkitPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
});
