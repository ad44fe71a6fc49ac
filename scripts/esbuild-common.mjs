// The esbuild options every bundle of the CLI shares: dist/setup/*.cjs (scripts/bundle.mjs) and the single
// file's script (scripts/build-sea.mjs).
export const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  logLevel: 'warning',
  // Smaller to read at every start; names stay, so a stack trace (-v) still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  // The sources are ESM and read import.meta.url (to find the package root): give it the file's URL.
  define: { 'import.meta.url': '__envkitModuleUrl' },
  banner: { js: "const __envkitModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};
