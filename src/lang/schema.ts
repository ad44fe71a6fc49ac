import * as z from '../util/zod.js';
import { VAR_TYPES } from './var-types.js';
import { MAX_DURATION_MS, parseDuration } from '../util/duration.js';

/** Schemas shared by recipes, step kinds, profiles and the user config. Only data here: no I/O. */

export const RECIPE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A step tag (`tags: [gpu, slow]`): one lowercase word, as `--tags` takes them comma-separated. */
export const TAG = /^[a-z0-9][a-z0-9_-]*$/;

/** Why an environment variable name was refused (shared by every schema that checks ENV_NAME). */
export const ENV_NAME_MESSAGE = 'environment variable names are letters, digits and _, not starting with a digit';

/** `My_Recipe` → `my-recipe`: the kebab-case name someone probably meant. */
function kebab(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** A recipe name: kebab-case; the message suggests the kebab-case spelling. */
const recipeNameSchema = (what: string) =>
  z.string().regex(RECIPE_NAME, {
    error: (iss) => {
      const k = typeof iss.input === 'string' ? kebab(iss.input) : '';
      return `${what} names are kebab-case: lowercase letters, digits and -${k ? ` (e.g. "${k}")` : ''}`;
    },
  });

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or true/false' });

/** A command: a string run by `bash -e -o pipefail -c`, or an argv list run without a shell. */
export const commandSchema = z
  .union([z.string().min(1, 'command must not be empty'), z.array(z.string()).min(1, 'argv list must not be empty')], {
    error: 'expected a command string or a list of arguments',
  })
  .meta({
    description:
      'A shell command (run by bash -e -o pipefail; template values reach it as environment variables, never as script text) or an argv list (no shell).',
    examples: ['cmake --version', ['git', 'status']],
  });

export const durationSchema = z
  .union([z.number(), z.string()], { error: 'expected a duration: seconds, or e.g. "10m", "1h30m"' })
  .refine((v) => parseDuration(v) !== undefined, {
    error: (iss) =>
      typeof iss.input === 'number'
        ? `must be a positive number of seconds, got ${String(iss.input)}`
        : `bad duration ${JSON.stringify(iss.input)}: write seconds (90) or units ("10m", "1h30m", "45s")`,
  })
  .refine((v) => (parseDuration(v) ?? 0) <= MAX_DURATION_MS, {
    error: (iss) =>
      `duration ${typeof iss.input === 'number' ? `${String(iss.input)}s` : JSON.stringify(iss.input)} is longer than the maximum, 7 days (168h)`,
    abort: true,
  })
  .meta({
    description: 'Seconds, or a duration with units: "90s", "10m", "1h30m"; at most 7 days.',
    examples: [600, '10m'],
  });

export const whenSchema = z
  .record(
    z.string(),
    z.union([scalar, z.array(scalar).min(1)], { error: 'expected a value, a list of values or a version range' }),
  )
  .meta({
    description:
      'Facts that must all hold for the step to run: a value, a list (any of), or a version range. See `setup doctor` for facts.',
    examples: [{ distro: ['debian', 'ubuntu'], arch: 'x86_64', gpu: false, python: '>=3.8' }],
  });

export const envMapSchema = z.record(z.string().regex(ENV_NAME, ENV_NAME_MESSAGE), scalar);

/** Keys every step may carry besides its kind. */
export const commonStepShape = {
  name: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'What the step does, shown in plan and progress.', examples: ['Build and install'] }),
  when: whenSchema.optional(),
  check: commandSchema.optional().meta({ description: 'A command that exits 0 when the step is already satisfied.' }),
  unless: commandSchema.optional().meta({
    description:
      'A command that exits 0 when the step is not needed here at all (what it would install is already there another way, e.g. a new enough tool on PATH): the step then counts as satisfied and nothing else is checked. Its last output line is the reason the plan shows.',
    examples: ['command -v rustc'],
  }),
  creates: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected a path or a list of paths' })
    .optional()
    .meta({
      description: 'Path(s) that exist once the step is done; the step is satisfied when all exist.',
      examples: ['{{ prefix }}/lib/libopenblas.a', ['{{ prefix }}/bin/cmake', '{{ prefix }}/bin/ctest']],
    }),
  env: envMapSchema.optional().meta({
    description: 'Environment variables for the step’s commands.',
    examples: [{ CC: 'gcc-12', MAKEFLAGS: '-j8' }],
  }),
  cwd: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Working folder for the step’s commands.', examples: ['{{ src }}'] }),
  timeout: durationSchema.optional(),
  retries: z
    .int()
    .min(0)
    .max(10)
    .optional()
    .meta({ description: 'How many times to retry a failed step (with backoff).', examples: [2] }),
  root: z
    .boolean()
    .optional()
    .meta({ description: 'Run as root: directly when setup runs as root, else through `sudo -n`.', examples: [true] }),
  tags: z
    .array(
      z.string().regex(TAG, {
        error: (iss) =>
          `not a tag: ${JSON.stringify(iss.input)} (tags are lowercase words: letters, digits, - and _, starting with a letter or digit)`,
      }),
      { error: 'expected a list of tags, e.g. [gpu, slow]' },
    )
    .optional()
    .meta({
      description:
        'Words that name the step for `--tags` / `--skip-tags` on `setup plan` and `setup run` (select or leave out every step that carries one).',
      examples: [['gpu', 'slow']],
    }),
} as const;

export const COMMON_STEP_KEYS = Object.keys(commonStepShape);

/** A variable with a declared type: its value is checked (default, `--set`, config.yaml) before anything runs. */
export const typedVarSchema = z
  .strictObject({
    default: scalar.meta({ description: 'The default value.', examples: [4] }),
    type: z.enum(VAR_TYPES).meta({
      description:
        'What a value must be: int (digits), bool (true/false), version (letters, digits, . + ~ _ -), path (no control characters, quotes, backslashes or ` $ ; & | < > ( )), enum (one of `values`), string (anything).',
      examples: ['int'],
    }),
    values: z
      .array(z.string())
      .min(1)
      .optional()
      .meta({ description: 'The allowed values of an enum.', examples: [['HASWELL', 'SKYLAKEX']] }),
    description: z
      .string()
      .optional()
      .meta({ description: 'What the variable is for.', examples: ['Parallel jobs'] }),
  })
  .refine((v) => (v.type === 'enum') === !!v.values, {
    message: 'an enum needs `values:` (and only an enum has them)',
  });

export const varsSchema = z
  .record(
    z.string().regex(VAR_NAME, 'variable names are letters, digits, _ and -, starting with a letter or _'),
    z.union([scalar, typedVarSchema], { error: 'expected a value, or a map with default and type' }),
  )
  .meta({
    description:
      'Variables with their defaults; `--set name=value` or `--set recipe.name=value` overrides them. A variable written as `{ default: 4, type: int }` has its values checked.',
    examples: [{ version: '1.7.4', src: '{{ dirs.src }}/faiss', jobs: { default: 4, type: 'int' } }],
  });

/** The top level of a recipe; `steps` and `verify` items are validated per kind (see steps/registry, verify/registry). */
export const recipeTopShape = {
  $schema: z
    .string()
    .optional()
    .meta({
      description:
        'This file’s JSON Schema, for editors (the `# yaml-language-server: $schema=…` comment does the same).',
      examples: ['../schema/recipe.schema.json'],
    }),
  format: z
    .literal(1, { error: (iss) => `unsupported recipe format ${JSON.stringify(iss.input)}: this setup reads format 1` })
    .optional()
    .meta({ description: 'Version of the recipe format; 1 today.', examples: [1] }),
  name: recipeNameSchema('recipe').meta({
    description: 'kebab-case, equal to the file name.',
    examples: ['faiss', 'pip-mirror'],
  }),
  description: z
    .string()
    .optional()
    .meta({
      description: 'One line: what this recipe sets up.',
      examples: ['faiss (CPU) built from source against OpenBLAS'],
    }),
  requires: z
    .array(recipeNameSchema('recipe'))
    .optional()
    .meta({ description: 'Recipes that run first when needed.', examples: [['build-tools', 'cmake', 'openblas']] }),
  vars: varsSchema.optional(),
} as const;

/** Keys every `verify:` item may carry besides its form's (the forms are in src/verify/). */
export const verifyCommonShape = {
  name: z
    .string()
    .optional()
    .meta({ description: 'Label shown by doctor.', examples: ['cmake is new enough'] }),
  fix: z
    .string()
    .optional()
    .meta({
      description: 'What to do when the check fails (default: setup run <recipe>).',
      examples: ['setup run cmake --set cmake.version=3.27.9'],
    }),
  when: whenSchema.optional(),
} as const;

/**
 * Why a git URL (a profile's rewrite target) is refused, or undefined. Only plain transports: git's
 * `ext::` runs a command, `fd::` reads a descriptor, any `<transport>::` picks a remote helper, and a
 * value starting with `-` would be read as an option. `=` would cut the `-c url.<to>.insteadOf=` pair.
 */
export function gitUrlProblem(url: string, asOption = true): string | undefined {
  if (url.startsWith('-')) return 'starts with "-", which git would read as an option';
  if (url.includes('::')) return 'names a git remote helper ("<transport>::", e.g. ext:: runs a command)';
  if (asOption && /[\s=]/.test(url)) return 'holds white space or "=", which the git -c option cannot carry';
  if (
    /^(https?|ssh|git|file):\/\/./.test(url) ||
    /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:[^/]?/.test(url) ||
    url.startsWith('/')
  )
    return undefined;
  return 'is not an http(s)://, ssh://, git:// or file:// URL, a user@host:path address or an absolute path';
}

const gitUrlSchema = z.string().superRefine((v, ctx) => {
  const why = gitUrlProblem(v);
  if (why) ctx.addIssue({ code: 'custom', message: `git rewrite target ${JSON.stringify(v)} ${why}` });
});

/** A mirror profile: where pip, conda, Go, git and downloads go instead of their upstreams. */
export const profileSchema = z.strictObject({
  $schema: z
    .string()
    .optional()
    .meta({
      description:
        'This file’s JSON Schema, for editors (the `# yaml-language-server: $schema=…` comment does the same).',
      examples: ['../../schema/profile.schema.json'],
    }),
  name: z
    .string()
    .regex(RECIPE_NAME, 'profile names are kebab-case')
    .meta({
      description: 'kebab-case, equal to the file name; `--mirror NAME` picks it.',
      examples: ['tuna', 'company-mirror'],
    }),
  description: z
    .string()
    .optional()
    .meta({
      description: 'One line: whose mirrors these are.',
      examples: ['Tsinghua University open-source mirrors (mirrors.tuna.tsinghua.edu.cn)'],
    }),
  pip: z
    .strictObject({
      'index-url': z
        .string()
        .optional()
        .meta({
          description:
            'The PyPI index pip steps and the pip-mirror recipe use (`{{ mirror.pip.index-url }}`); unset (the default profile): pip’s own config or PIP_INDEX_URL decides.',
          examples: ['https://pypi.tuna.tsinghua.edu.cn/simple', 'http://127.0.0.1:8080/simple'],
        }),
      'extra-index-url': z
        .string()
        .optional()
        .meta({
          description: 'More indexes, space-separated (`{{ mirror.pip.extra-index-url }}`).',
          examples: ['https://download.pytorch.org/whl/cpu'],
        }),
      'trusted-host': z
        .string()
        .optional()
        .meta({
          description: 'Hosts pip may reach without valid TLS, space-separated (`{{ mirror.pip.trusted-host }}`).',
          examples: ['pypi.tuna.tsinghua.edu.cn'],
        }),
      'find-links': z
        .string()
        .optional()
        .meta({
          description:
            'Folders or URLs of wheels pip may install from besides the indexes, space-separated (`{{ mirror.pip.find-links }}`).',
          examples: ['/opt/wheels', 'file:///srv/wheels https://example.com/wheels/'],
        }),
      constraint: z
        .string()
        .optional()
        .meta({
          description:
            'A constraints file (path or URL) every pip step installs under (`pip install -c`), e.g. a fleet’s pinned versions.',
          examples: ['/etc/envkit/constraints.txt'],
        }),
      retries: z
        .int()
        .min(0)
        .max(20)
        .optional()
        .meta({
          description:
            'How often pip retries a connection (default 2, pip’s own is 5): an unreachable index fails in seconds, not minutes.',
          examples: [2],
        }),
      timeout: z
        .number()
        .positive()
        .max(600)
        .optional()
        .meta({
          description:
            'pip’s socket timeout in seconds (default 15). Also how long setup’s one probe of each index host per run waits: an index that does not answer within it fails every pip step that needs it at once.',
          examples: [15],
        }),
    })
    .optional()
    .meta({
      description: 'Where pip installs from.',
      examples: [
        { 'index-url': 'https://pypi.tuna.tsinghua.edu.cn/simple', 'trusted-host': 'pypi.tuna.tsinghua.edu.cn' },
      ],
    }),
  conda: z
    .strictObject({
      channels: z
        .array(z.string())
        .optional()
        .meta({
          description: 'The `channels:` list of .condarc (`{{ mirror.conda.channels }}`).',
          examples: [['defaults']],
        }),
      default_channels: z
        .array(z.string())
        .optional()
        .meta({
          description: 'The `default_channels:` list of .condarc.',
          examples: [
            [
              'https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main',
              'https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/r',
            ],
          ],
        }),
      custom_channels: z
        .record(z.string(), z.string())
        .optional()
        .meta({
          description: 'The `custom_channels:` map of .condarc: channel name → base URL.',
          examples: [
            {
              'conda-forge': 'https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud',
              pytorch: 'https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud',
            },
          ],
        }),
      show_channel_urls: z
        .boolean()
        .optional()
        .meta({ description: 'The `show_channel_urls:` setting of .condarc.', examples: [true] }),
    })
    .optional()
    .meta({
      description: 'What the conda-mirror recipe writes into ~/.condarc.',
      examples: [
        {
          channels: ['defaults'],
          custom_channels: { 'conda-forge': 'https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud' },
        },
      ],
    }),
  go: z
    .strictObject({
      proxy: z
        .string()
        .optional()
        .meta({ description: 'GOPROXY (`{{ mirror.go.proxy }}`).', examples: ['https://goproxy.cn,direct'] }),
      sumdb: z
        .string()
        .optional()
        .meta({ description: 'GOSUMDB (`{{ mirror.go.sumdb }}`).', examples: ['sum.golang.google.cn'] }),
    })
    .optional()
    .meta({
      description: 'Go module proxy and checksum database.',
      examples: [{ proxy: 'https://goproxy.cn,direct' }],
    }),
  git: z
    .strictObject({
      rewrite: z
        .record(z.string().min(1), gitUrlSchema)
        .optional()
        .meta({
          description:
            'URL prefix → replacement (http(s)://, ssh://, git://, file://, user@host:path or an absolute path), applied to every git clone and submodule (https and git@ forms alike), for that command only: the user’s git config is not touched.',
          examples: [
            {
              'https://github.com/': 'https://gitclone.com/github.com/',
              'git@github.com:': 'https://gitclone.com/github.com/',
            },
          ],
        }),
    })
    .optional()
    .meta({
      description: 'Where git clones come from.',
      examples: [{ rewrite: { 'https://github.com/': 'file:///srv/mirrors/github/' } }],
    }),
  apt: z
    .strictObject({
      repository: z
        .string()
        .min(1)
        .meta({
          description:
            'A local apt repository folder (one `setup bundle` wrote: `.deb` files and their `Packages` index) that packages steps install from instead of the host’s sources, with no network; relative paths are relative to the profile file.',
          examples: ['./apt', '/srv/envkit-bundle/apt'],
        }),
    })
    .optional()
    .meta({
      description: 'Where packages steps (apt) install from, when not from the host’s own sources.',
      examples: [{ repository: './apt' }],
    }),
  urls: z
    .strictObject({
      rewrite: z
        .record(z.string(), z.string())
        .optional()
        .meta({
          description: 'URL prefix → replacement for download steps; the plan shows each URL after rewriting.',
          examples: [{ 'https://go.dev/dl/': 'https://mirrors.ustc.edu.cn/golang/' }],
        }),
    })
    .optional()
    .meta({
      description: 'Where downloads come from.',
      examples: [{ rewrite: { 'https://go.dev/dl/': 'https://mirrors.tuna.tsinghua.edu.cn/golang/' } }],
    }),
});
export type Profile = z.infer<typeof profileSchema>;

/** `$XDG_CONFIG_HOME/envkit/config.yaml`. */
export const configSchema = z.strictObject({
  $schema: z
    .string()
    .optional()
    .meta({
      description:
        'This file’s JSON Schema, for editors (the `# yaml-language-server: $schema=…` comment does the same).',
      examples: ['file:///usr/local/lib/node_modules/envkit/schema/config.schema.json'],
    }),
  mirror: z
    .string()
    .optional()
    .meta({ description: 'Default mirror profile: a name or a file.', examples: ['tuna', './my-mirror.yaml'] }),
  prefix: z
    .string()
    .optional()
    .meta({ description: 'Default install prefix.', examples: ['~/.local', '/opt/tools'] }),
  recipes: z
    .array(z.string())
    .optional()
    .meta({ description: 'Extra recipe folders.', examples: [['~/my-recipes']] }),
  secrets: z
    .string()
    .optional()
    .meta({
      description:
        'A file of NAME=value lines read for {{ secrets.NAME }} when the environment lacks NAME (keep it mode 0600).',
      examples: ['~/.config/envkit/secrets.env'],
    }),
  vars: z
    .record(
      recipeNameSchema('recipe'),
      z.record(
        z.string().regex(VAR_NAME, 'variable names are letters, digits, _ and -, starting with a letter or _'),
        z.union([z.string(), z.number()], { error: 'expected a string or a number (quote other values)' }),
      ),
    )
    .optional()
    .meta({
      description:
        'Variable values per recipe, for every command, as if each were given with `--set recipe.name=value` (a `--set` still wins). Values are literal; a number is read as written (3.10 stays "3.10").',
      examples: [{ modelscope: { datasets: '2.14.0' }, openblas: { target_x86_64: 'HASWELL' } }],
    }),
});
export type UserConfig = z.infer<typeof configSchema>;
