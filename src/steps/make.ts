import path from 'node:path';
import * as z from '../util/zod.js';
import { argvToString, SHELL_ACTIVE } from '../util/shell.js';
import { argvShell } from './command.js';
import { ccacheConfig, ccacheKey, countingHits, masqueradeDir, usesCcache } from './ccache.js';
import { defineKind, type StepEnv } from './types.js';

const makeSchema = z.strictObject({
  dir: z
    .string()
    .min(1)
    .meta({ description: 'Folder holding the Makefile (make -C).', examples: ['{{ src }}'] }),
  targets: z
    .array(z.string().min(1))
    .optional()
    .meta({
      description: 'Targets, in order (default: the Makefile’s default).',
      examples: [['libs', 'netlib'], ['install']],
    }),
  vars: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'make variable names are letters, digits and _'),
      z.union([z.string(), z.number(), z.boolean()]),
    )
    .optional()
    .meta({
      description:
        'Passed as NAME=value arguments (one argument each; never through a shell). A value a template inserts may not hold $, a backquote, ; & | < > ( ), a quote, a backslash or a newline: a Makefile runs its variables in shell lines. A value that renders empty is not passed at all (a Makefile that tests `ifdef NAME` sees it unset), so a recipe variable can switch an option off.',
      examples: [{ TARGET: 'NEHALEM', PREFIX: '{{ prefix }}', NO_SHARED: 1 }],
    }),
  jobs: z
    .int()
    .min(1)
    .optional()
    .meta({ description: 'Parallel jobs (default: CPUs).', examples: [8] }),
  file: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Makefile name (-f).', examples: ['Makefile.unix'] }),
  clean: z
    .array(z.string().min(1))
    .optional()
    .meta({
      description:
        'Targets run first (with the same vars) when the step runs again because its inputs changed since it last ran — a build for another TARGET must not reuse the old objects. Default: none.',
      examples: [['clean']],
    }),
  ccache: ccacheKey,
});

interface MakeConfig {
  dir: string;
  targets: string[];
  vars: Record<string, string>;
  jobs?: number;
  file?: string;
  clean: string[];
  /** `ccache: false` in the recipe (absent: compile through ccache when it is on PATH). */
  ccache?: false;
}

/** The PATH a make step runs with when it compiles through ccache (its masquerade folder first), else undefined. */
function ccachePath(stepEnv: Record<string, string>, env: StepEnv): string | undefined {
  const PATH = stepEnv['PATH'] ?? env.processEnv['PATH'];
  const dir = masqueradeDir(PATH);
  return dir ? `${dir}${PATH ? `${path.delimiter}${PATH}` : ''}` : undefined;
}

/** A template value for make variable `name`, refused when a Makefile's shell line would run part of it. */
function shellInert(name: string, value: string): string {
  const bad = SHELL_ACTIVE.exec(value);
  if (bad) {
    throw new Error(
      `make variable ${name}: a template value holds ${JSON.stringify(bad[0])}, which the shell lines of a Makefile would run as code (values may hold letters, digits, spaces and . _ - + = , : / @ % ~ # ! ^ * ? [ ] { })`,
    );
  }
  return value;
}

/** make strips leading whitespace from a `NAME=value` argument; an empty reference `$()` in front keeps it. */
const keepLeadingSpace = (v: string): string => (/^\s/.test(v) ? `$()${v}` : v);

/**
 * A rendered target, refused when make would not read it as a goal: `-…` is an option (`--eval=$(shell …)`
 * runs code) and `…=…` a variable assignment (`SHELL=…`).
 */
function goal(target: string): string {
  if (!target || target.startsWith('-') || target.includes('=')) {
    throw new Error(
      `make target ${JSON.stringify(target)} ${!target ? 'is empty' : target.startsWith('-') ? 'starts with "-" (make would read an option)' : 'contains "=" (make would read a variable assignment)'}`,
    );
  }
  return target;
}

const argv = (c: MakeConfig, cpus: number): string[] => [
  'make',
  '-C',
  c.dir,
  ...(c.file ? ['-f', c.file] : []),
  `-j${c.jobs ?? cpus}`,
  ...Object.entries(c.vars).map(([k, v]) => `${k}=${v}`),
  ...c.targets,
];

/** `make`: runs make in a folder with targets and NAME=value variables. */
export const makeKind = defineKind<z.infer<typeof makeSchema>, MakeConfig>({
  kind: 'make',
  description:
    'Runs make in `dir` with `targets`, `vars` as NAME=value arguments and `jobs` (default: CPUs). Compiles through ccache when it is on PATH (its compiler links first on PATH: `cc`, `gcc`, `g++`… run ccache).',
  satisfiedWhen: 'its `creates` / `check` (else it always runs).',
  schema: makeSchema,
  // Targets written out are checked when the file is read (validate sees them); templated ones once rendered.
  lint: (spec) =>
    (['targets', 'clean'] as const).flatMap((key) =>
      (spec[key] ?? []).flatMap((target, i) => {
        if (target.includes('{{')) return [];
        try {
          goal(target);
          return [];
        } catch (e) {
          return [{ path: [key, i], message: (e as Error).message }];
        }
      }),
    ),
  resolve: (spec, t) => ({
    dir: t.path(spec.dir),
    targets: (spec.targets ?? []).map((x) => goal(t.str(x))),
    // Values inserted by templates are data, and a Makefile pastes its variables into shell lines (`cp $(X) …`):
    // a value bash would read as code there is refused (see shellInert); `$` could also be expanded by make itself.
    vars: Object.fromEntries(
      Object.entries(spec.vars ?? {})
        .map(([k, v]) => [k, t.escaped(String(v), (x) => shellInert(k, x))] as const)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [k, keepLeadingSpace(v)]),
    ),
    jobs: spec.jobs,
    file: spec.file === undefined ? undefined : t.str(spec.file),
    clean: (spec.clean ?? []).map((x) => goal(t.str(x))),
    ...ccacheConfig(spec),
  }),
  facts: ['ccache'],
  describe: (step, env, facts) => {
    const ccache = usesCcache(step.config, facts, env.processEnv) && !!ccachePath(step.common.env, env);
    return {
      summary: `make ${step.config.targets.join(' ') || '(default target)'} in ${step.config.dir}${ccache ? ' (ccache)' : ''}`,
      commands: [
        ...(step.config.clean.length
          ? [
              `${argvToString(argv({ ...step.config, targets: step.config.clean }, env.cpus))}   (when its inputs changed since it last ran)`,
            ]
          : []),
        argvToString(argv(step.config, env.cpus)) + (ccache ? '   (through ccache)' : ''),
      ],
    };
  },
  shell: (step, ctx) => ({
    apply: argvShell(argv(step.config, ctx.env.cpus), ctx.q),
    limits: [
      'make and cmake: builds use the exporting machine’s CPU count for -j unless the step sets jobs; a changed input does not trigger the step (setup records what a step ran with)',
    ],
  }),
  apply: async (step, env) => {
    // ccache by PATH: its compiler links first, so `$(CC)` (whatever the Makefile detects or is given) goes through it.
    const PATH = usesCcache(step.config, { ccache: await env.facts.get('ccache') }, env.processEnv)
      ? ccachePath(step.common.env, env)
      : undefined;
    if (PATH) env.log(`ccache: the compilers run through ${PATH.split(path.delimiter)[0]}`);
    const opts = PATH ? { env: { PATH } } : {};
    const build = async (): Promise<void> => {
      if (env.inputsChanged && step.config.clean.length) {
        env.log(`its inputs changed: make ${step.config.clean.join(' ')} first`);
        await env.exec({ argv: argv({ ...step.config, targets: step.config.clean }, env.cpus) }, opts);
      }
      await env.exec({ argv: argv(step.config, env.cpus) }, opts);
    };
    await (PATH ? countingHits(env, step.common.env, build) : build());
  },
  examples: [
    `- name: Build OpenBLAS\n  make:\n    dir: "{{ dirs.src }}/OpenBLAS"\n    vars: { TARGET: "{{ target }}", USE_OPENMP: 1 }\n  creates: "{{ dirs.src }}/OpenBLAS/libopenblas.a"`,
    `- name: Install OpenBLAS\n  make: { dir: "{{ dirs.src }}/OpenBLAS", targets: [install], vars: { PREFIX: "{{ prefix }}" } }\n  creates: "{{ prefix }}/lib/libopenblas.a"`,
  ],
});
