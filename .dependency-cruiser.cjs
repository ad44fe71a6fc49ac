// The import rules `npm test` checks (npm run lint:deps): no circles, and layers that point one way
// (docs/architecture.md, "Layers"). A folder may import its own files and any folder below it:
//
//   util ← facts ← lang ← steps ← verify ← catalog ← plan ← run, doctor, export, import ← completion, docs ← cli
//
const LAYERS = [
  'util',
  'facts',
  'lang',
  'steps',
  'verify',
  'catalog',
  'plan',
  'run|doctor|export|import',
  'completion|docs',
  'cli',
];

const above = (i) => LAYERS.slice(i + 1).join('|');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: the modules cannot be understood (or bundled) apart. Move what both need below them.',
      from: {},
      to: { circular: true },
    },
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer.replace('|', '-')}`,
      severity: 'error',
      comment: `src/${layer} may import only itself and the layers below it (docs/architecture.md, "Layers").`,
      from: { path: `^src/(${layer})/` },
      to: { path: `^src/(${above(i)})/` },
    })),
    {
      name: 'run-doctor-apart',
      severity: 'error',
      comment: 'run, doctor, export and import are siblings: none imports another.',
      from: { path: '^src/(run|doctor|export|import)/' },
      to: { path: '^src/(run|doctor|export|import)/', pathNot: '^src/$1/' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports is dead code (entry points and type declarations aside).',
      from: { orphan: true, pathNot: ['^src/cli/(main|engine|sea-main)\\.ts$', '\\.d\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
