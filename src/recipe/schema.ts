import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

/** Schemas shared by recipes, step kinds, profiles and the user config. Only data here: no I/O. */

export const RECIPE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why an environment variable name was refused (shared by every schema that checks ENV_NAME). */
export const ENV_NAME_MESSAGE = 'environment variable names are letters, digits and _, not starting with a digit';

/** `My_Recipe` → `my-recipe`: the kebab-case name someone probably meant. */
function kebab(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
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
  .meta({ description: 'A shell command (run by bash -e -o pipefail; template values are shell-quoted) or an argv list (no shell).', examples: ['cmake --version', ['git', 'status']] });

export const durationSchema = z
  .union([z.number(), z.string()], { error: 'expected a duration: seconds, or e.g. "10m", "1h30m"' })
  .refine((v) => parseDuration(v) !== undefined, {
    error: (iss) =>
      typeof iss.input === 'number'
        ? `must be a positive number of seconds, got ${String(iss.input)}`
        : `bad duration ${JSON.stringify(iss.input)}: write seconds (90) or units ("10m", "1h30m", "45s")`,
  })
  .meta({ description: 'Seconds, or a duration with units: "90s", "10m", "1h30m".', examples: [600, '10m'] });

export const whenSchema = z
  .record(z.string(), z.union([scalar, z.array(scalar).min(1)], { error: 'expected a value, a list of values or a version range' }))
  .meta({
    description: 'Facts that must all hold for the step to run: a value, a list (any of), or a version range. See `setup doctor` for facts.',
    examples: [{ distro: ['debian', 'ubuntu'], arch: 'x86_64', gpu: false, python: '>=3.8' }],
  });

export const envMapSchema = z.record(z.string().regex(ENV_NAME, ENV_NAME_MESSAGE), scalar);

/** Keys every step may carry besides its kind. */
export const commonStepShape = {
  name: z.string().min(1).optional().meta({ description: 'What the step does, shown in plan and progress.' }),
  when: whenSchema.optional(),
  check: commandSchema.optional().meta({ description: 'A command that exits 0 when the step is already satisfied.' }),
  creates: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected a path or a list of paths' })
    .optional()
    .meta({ description: 'Path(s) that exist once the step is done; the step is satisfied when all exist.' }),
  env: envMapSchema.optional().meta({ description: 'Environment variables for the step’s commands.' }),
  cwd: z.string().min(1).optional().meta({ description: 'Working folder for the step’s commands.' }),
  timeout: durationSchema.optional(),
  retries: z.int().min(0).max(10).optional().meta({ description: 'How many times to retry a failed step (with backoff).' }),
  root: z.boolean().optional().meta({ description: 'Run as root: directly when setup runs as root, else through `sudo -n`.' }),
} as const;

export const COMMON_STEP_KEYS = Object.keys(commonStepShape);

export const varsSchema = z
  .record(z.string().regex(VAR_NAME, 'variable names are letters, digits, _ and -, starting with a letter or _'), scalar)
  .meta({ description: 'Variables with their defaults; `--set name=value` or `--set recipe.name=value` overrides them.' });

/** The top level of a recipe; `steps` and `verify` items are validated per kind (see steps/registry). */
export const recipeTopShape = {
  $schema: z.string().optional(),
  format: z.literal(1, { error: (iss) => `unsupported recipe format ${JSON.stringify(iss.input)}: this setup reads format 1` }).optional().meta({ description: 'Version of the recipe format; 1 today.' }),
  name: recipeNameSchema('recipe').meta({ description: 'kebab-case, equal to the file name.' }),
  description: z.string().optional().meta({ description: 'One line: what this recipe sets up.' }),
  requires: z.array(recipeNameSchema('recipe')).optional().meta({ description: 'Recipes that run first when needed.' }),
  vars: varsSchema.optional(),
} as const;

/** `verify:` items, one kind key each, for `setup doctor`. */
export const verifyShapes = {
  command: {
    command: commandSchema,
    version: z.string().optional().meta({ description: 'A version range the command’s output must satisfy, e.g. ">=3.21".' }),
  },
  file: { file: z.string().min(1).meta({ description: 'A path that must exist.' }) },
  env: {
    env: z.string().regex(ENV_NAME, ENV_NAME_MESSAGE).meta({ description: 'A variable that must be set in the user’s shell environment.' }),
    value: z.string().optional(),
  },
} as const;

export const verifyCommonShape = {
  name: z.string().optional().meta({ description: 'Label shown by doctor.' }),
  fix: z.string().optional().meta({ description: 'What to do when the check fails (default: setup run <recipe>).' }),
  when: whenSchema.optional(),
} as const;

export const VERIFY_KINDS = Object.keys(verifyShapes) as (keyof typeof verifyShapes)[];

/** A mirror profile: where pip, conda, Go, git and downloads go instead of their upstreams. */
export const profileSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().regex(RECIPE_NAME, 'profile names are kebab-case'),
  description: z.string().optional(),
  pip: z
    .strictObject({
      'index-url': z.string().optional(),
      'extra-index-url': z.string().optional(),
      'trusted-host': z.string().optional(),
    })
    .optional(),
  conda: z
    .strictObject({
      channels: z.array(z.string()).optional(),
      default_channels: z.array(z.string()).optional(),
      custom_channels: z.record(z.string(), z.string()).optional(),
      show_channel_urls: z.boolean().optional(),
    })
    .optional(),
  go: z.strictObject({ proxy: z.string().optional(), sumdb: z.string().optional() }).optional(),
  git: z.strictObject({ rewrite: z.record(z.string(), z.string()).optional() }).optional(),
  urls: z.strictObject({ rewrite: z.record(z.string(), z.string()).optional() }).optional(),
});
export type Profile = z.infer<typeof profileSchema>;

/** `$XDG_CONFIG_HOME/envkit/config.yaml`. */
export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  mirror: z.string().optional().meta({ description: 'Default mirror profile: a name or a file.' }),
  prefix: z.string().optional().meta({ description: 'Default install prefix.' }),
  recipes: z.array(z.string()).optional().meta({ description: 'Extra recipe folders.' }),
  secrets: z.string().optional().meta({ description: 'A file of NAME=value lines read for {{ secrets.NAME }} when the environment lacks NAME (keep it mode 0600).' }),
});
export type UserConfig = z.infer<typeof configSchema>;
