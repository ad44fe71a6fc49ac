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
  // The bundled libraries' license comments go to a .LEGAL.txt beside each bundle (undici's holds non-ASCII
  // text, and bin/setup reads the bundles as latin1).
  legalComments: 'external',
  banner: { js: "const __envkitModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};
