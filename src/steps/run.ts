import { commandSchema } from '../lang/schema.js';
import { commandShell, commandText } from './command.js';
import { defineKind, type Command } from './types.js';

/** `run`: a shell command (bash -e -o pipefail; values as environment variables) or an argv list; satisfied by `check` / `creates`. */
export const runKind = defineKind<string | string[], Command>({
  kind: 'run',
  description:
    'Runs a command: a string through `bash -e -o pipefail -c` (template values reach it as environment variables, never as script text), or an argv list without a shell.',
  satisfiedWhen:
    '`check` exits 0, or every `creates` path exists; with neither, the step always runs and the plan says "no check".',
  schema: commandSchema,
  resolve: (spec, t) => (typeof spec === 'string' ? t.sh(spec) : { argv: spec.map((a) => t.str(a)) }),
  describe: (step) => ({
    summary: `run ${commandText(step.config).split('\n')[0]}`,
    commands: [commandText(step.config)],
  }),
  apply: async (step, env) => {
    await env.exec(step.config);
  },
  shell: (step, ctx) => ({ apply: commandShell(step.config, ctx.q) }),
  examples: [
    `- name: Build OpenBLAS\n  run: make -j{{ host.cpus }} TARGET={{ target }}\n  cwd: "{{ src }}"\n  creates: "{{ src }}/libopenblas.a"`,
    `- name: Is git new enough\n  run: [git, --version]\n  check: git --version | grep -q 'version 2'`,
  ],
});
