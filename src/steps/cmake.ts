import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from '../util/zod.js';
import { tempListFor } from '../util/safe-write.js';
import { argvToString } from '../util/shell.js';
import { argvShell } from './command.js';
import { writeVerified } from '../util/verified-write.js';
import { ccacheConfig, ccacheKey, ccacheUnwanted, countingHits, usesCcache } from './ccache.js';
import { defineKind } from './types.js';

const cmakeSchema = z.strictObject({
  source: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Source folder (with CMakeLists.txt); needed to configure.', examples: ['{{ src }}'] }),
  build: z
    .string()
    .min(1)
    .meta({ description: 'Build folder.', examples: ['{{ src }}/build'] }),
  defines: z
    .record(
      z
        .string()
        .regex(
          /^[^\s=-][^\s=]*$/,
          'a define name is a cmake variable (NAME or NAME:TYPE): no "=", white space or leading "-"',
        ),
      z.union([z.string(), z.number(), z.boolean()]),
    )
    .optional()
    .meta({
      description: '-D cache entries, e.g. { CMAKE_BUILD_TYPE: Release, BUILD_SHARED_LIBS: ON }.',
      examples: [
        { CMAKE_BUILD_TYPE: 'Release', FAISS_ENABLE_GPU: 'OFF', BLAS_LIBRARIES: '{{ prefix }}/lib/libopenblas.a' },
      ],
    }),
  generator: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Generator, e.g. Ninja.', examples: ['Ninja', 'Unix Makefiles'] }),
  target: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Target to build (`install` builds and installs).', examples: ['install', 'faiss'] }),
  install: z
    .boolean()
    .optional()
    .meta({ description: 'Run `cmake --install` to the prefix after building.', examples: [true] }),
  jobs: z
    .int()
    .min(1)
    .optional()
    .meta({ description: 'Parallel build jobs (default: CPUs).', examples: [8] }),
  config: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Build configuration (--config), for multi-config generators.', examples: ['Release'] }),
  ccache: ccacheKey,
});

/** A cmake step, rendered (also the shape `setup import` drafts one in). */
export interface CmakeConfig {
  source?: string;
  build: string;
  defines: Record<string, string>;
  generator?: string;
  target?: string;
  install: boolean;
  jobs?: number;
  config?: string;
  /** `ccache: false` in the recipe (absent: compile through ccache when it is on PATH). */
  ccache?: false;
}

const STAMP = '.envkit-configure';

/**
 * A rendered define value, refused when cmake would not keep it as written: `-DNAME=value` drops
 * whitespace after the last other character and a pair of single quotes around the value, and the cache
 * (read again on every re-run of cmake) cuts a value at a newline and drops a final carriage return.
 */
function literalDefine(name: string, value: string): string {
  const why = /\n/.test(value)
    ? 'contains a newline, which the CMake cache cannot hold'
    : /\r$/.test(value) || /[^\t\r ][\t\r ]+$/.test(value)
      ? 'ends with whitespace, which cmake drops'
      : value.length >= 2 && value.startsWith("'") && value.endsWith("'")
        ? 'is wrapped in single quotes, which cmake strips'
        : undefined;
  if (why) throw new Error(`define ${name}=${JSON.stringify(value)} ${why}: cmake would not get the value as written`);
  return value;
}

/** The cache entries that make cmake's generated rules run the compilers through ccache. */
const LAUNCHERS = ['CMAKE_C_COMPILER_LAUNCHER', 'CMAKE_CXX_COMPILER_LAUNCHER'];

/** The recipe sets a compiler launcher itself (`CMAKE_CXX_COMPILER_LAUNCHER: sccache`): then setup adds none. */
const ownLauncher = (c: CmakeConfig): boolean =>
  Object.keys(c.defines).some((k) => /^CMAKE_[A-Z]+_COMPILER_LAUNCHER(:|$)/.test(k));

/**
 * The configure command, with ccache as the compiler launcher when `ccache` says so. Its hash is stamped in
 * the build folder so a change of defines reconfigures; the stamp is always taken WITHOUT the launcher, so
 * ccache appearing on (or leaving) the host never makes a configured folder pending by itself.
 */
function configureArgv(c: CmakeConfig, prefix: string, ccache = false): string[] {
  const launch = ccache && !ownLauncher(c) ? Object.fromEntries(LAUNCHERS.map((k) => [k, 'ccache'])) : {};
  const defines = { CMAKE_INSTALL_PREFIX: prefix, ...launch, ...c.defines };
  return [
    'cmake',
    '-S',
    c.source!,
    '-B',
    c.build,
    ...(c.generator ? ['-G', c.generator] : []),
    ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`),
  ];
}

const stampOf = (argv: string[]): string => createHash('sha256').update(JSON.stringify(argv)).digest('hex');

async function configured(c: CmakeConfig, prefix: string): Promise<string | null> {
  if (!c.source)
    return (await fs.stat(path.join(c.build, 'CMakeCache.txt')).catch(() => null))
      ? null
      : `${c.build} is not configured (and the step has no source)`;
  const stamp = await fs.readFile(path.join(c.build, STAMP), 'utf8').catch(() => null);
  if (!(await fs.stat(path.join(c.build, 'CMakeCache.txt')).catch(() => null)))
    return `${c.build} is not configured yet`;
  if (stamp?.trim() !== stampOf(configureArgv(c, prefix))) return 'the configure options changed';
  return null;
}

/** The build folder's cache names ccache as a compiler launcher. */
async function launchesCcache(build: string): Promise<boolean> {
  const cache = await fs.readFile(path.join(build, 'CMakeCache.txt'), 'utf8').catch(() => '');
  return /^CMAKE_(C|CXX)_COMPILER_LAUNCHER(:[A-Z]+)?=(\S*\/)?ccache\s*$/m.test(cache);
}

const buildArgv = (c: CmakeConfig, jobs: number): string[] => [
  'cmake',
  '--build',
  c.build,
  ...(c.target ? ['--target', c.target] : []),
  ...(c.config ? ['--config', c.config] : []),
  '--parallel',
  String(c.jobs ?? jobs),
];
const installArgv = (c: CmakeConfig, prefix: string): string[] => [
  'cmake',
  '--install',
  c.build,
  '--prefix',
  prefix,
  ...(c.config ? ['--config', c.config] : []),
];

/** `cmake`: configure when needed (missing build folder or changed defines), build a target, install to the prefix. */
export const cmakeKind = defineKind<z.infer<typeof cmakeSchema>, CmakeConfig>({
  kind: 'cmake',
  description:
    'Configures a CMake project when the build folder is missing or its defines changed, builds `target` with `jobs` (default: CPUs), and runs `cmake --install` to the prefix when `install: true`. Compiles through ccache (as the compiler launcher) when it is on PATH.',
  satisfiedWhen:
    'a configure-only step: the build folder is configured with these options; a build/install step: its `creates` / `check` (else it always runs).',
  schema: cmakeSchema,
  lint: (spec) =>
    !spec.source && !spec.target && !spec.install
      ? [{ path: [], message: 'a cmake step needs `source` (to configure), `target` or `install: true`' }]
      : [],
  resolve: (spec, t) => ({
    source: spec.source === undefined ? undefined : t.path(spec.source),
    build: t.path(spec.build),
    defines: Object.fromEntries(
      Object.entries(spec.defines ?? {}).map(([k, v]) => [
        k,
        typeof v === 'boolean' ? (v ? 'ON' : 'OFF') : literalDefine(k, t.str(String(v))),
      ]),
    ),
    generator: spec.generator === undefined ? undefined : t.str(spec.generator),
    target: spec.target === undefined ? undefined : t.str(spec.target),
    install: spec.install ?? false,
    jobs: spec.jobs,
    config: spec.config === undefined ? undefined : t.str(spec.config),
    ...ccacheConfig(spec),
  }),
  facts: ['ccache'],
  describe: (step, env, facts) => {
    const c = step.config;
    const ccache = usesCcache(c, facts, env.processEnv) && !!c.source && !ownLauncher(c);
    const cmds = [
      ...(c.source
        ? [argvToString(configureArgv(c, env.prefix, ccache)) + '   (when not configured with these options)']
        : []),
      ...(c.target || c.install ? [argvToString(buildArgv(c, env.cpus))] : []),
      ...(c.install ? [argvToString(installArgv(c, env.prefix))] : []),
    ];
    const what =
      c.target || c.install
        ? `build ${c.target ?? 'all'}${c.install ? ' and install' : ''} in ${c.build}`
        : `configure ${c.build}`;
    return { summary: `cmake: ${what}${ccache ? ' (ccache)' : ''}`, commands: cmds };
  },
  selfCheck: (c) => !c.target && !c.install,
  check: async (step, env) => {
    const why = await configured(step.config, env.prefix);
    return why
      ? { state: 'unsatisfied', reason: why }
      : { state: 'satisfied', reason: `${step.config.build} is configured with these options` };
  },
  shell: (step, ctx) => {
    const c = step.config;
    const prefix = ctx.env.prefix;
    const build = ctx.q(c.build);
    const configure = c.source ? configureArgv(c, prefix) : undefined;
    const stamp = configure ? stampOf(configure) : undefined;
    const configuredCheck = stamp
      ? `[ -e ${build}/CMakeCache.txt ] && [ "$(cat ${build}/${STAMP} 2>/dev/null)" = ${stamp} ]`
      : `[ -e ${build}/CMakeCache.txt ]`;
    return {
      check: !c.target && !c.install ? configuredCheck : undefined,
      apply: [
        ...(configure
          ? [
              `if ! { ${configuredCheck}; }; then`,
              `  ${argvShell(configure, ctx.q)}`,
              `  printf '%s\\n' ${stamp} | _write ${build}/${STAMP} ''`,
              'fi',
            ]
          : []),
        ...(c.target || c.install ? [argvShell(buildArgv(c, ctx.env.cpus), ctx.q)] : []),
        ...(c.install ? [argvShell(installArgv(c, prefix), ctx.q)] : []),
      ].join('\n'),
      limits: [
        'make and cmake: builds use the exporting machine’s CPU count for -j unless the step sets jobs; a changed input does not trigger the step (setup records what a step ran with)',
      ],
    };
  },
  apply: async (step, env) => {
    const c = step.config;
    const facts = { ccache: await env.facts.get('ccache') };
    const ccache = usesCcache(c, facts, env.processEnv);
    // A folder configured with ccache as its launcher cannot build once ccache is gone (its rules would run a
    // missing program), and should not once the step says `ccache: false`: then the launcher leaves its cache.
    const drop =
      ccacheUnwanted(c, facts) && !ownLauncher(c) && (await launchesCcache(c.build))
        ? LAUNCHERS.map((k) => `-U${k}`)
        : [];
    if (c.source && (await configured(c, env.prefix))) {
      if (ccache && !ownLauncher(c))
        env.log('ccache: the compilers run through ccache (CMAKE_<LANG>_COMPILER_LAUNCHER)');
      await env.exec({ argv: [...configureArgv(c, env.prefix, ccache), ...drop] });
      await writeVerified(path.join(c.build, STAMP), stampOf(configureArgv(c, env.prefix)) + '\n', {
        tempList: tempListFor(env.paths.backups),
      });
    } else if (drop.length && (c.target || c.install)) {
      env.log(`ccache is not used now: dropping it as the compiler launcher of ${c.build}`);
      await env.exec({ argv: ['cmake', ...drop, c.build] });
    }
    if (c.target || c.install) {
      const build = async (): Promise<void> => void (await env.exec({ argv: buildArgv(c, env.cpus) }));
      if (ccache && (await launchesCcache(c.build))) await countingHits(env, step.common.env, build);
      else await build();
    }
    if (c.install) await env.exec({ argv: installArgv(c, env.prefix) });
  },
  examples: [
    `- name: Configure faiss\n  cmake:\n    source: "{{ dirs.src }}/faiss"\n    build: "{{ dirs.src }}/faiss/build"\n    defines: { FAISS_ENABLE_GPU: "OFF", FAISS_ENABLE_PYTHON: "OFF", BUILD_SHARED_LIBS: "ON" }`,
    `- name: Build and install faiss\n  cmake: { build: "{{ dirs.src }}/faiss/build", target: install }\n  creates: "{{ prefix }}/lib/libfaiss.so"`,
  ],
});
