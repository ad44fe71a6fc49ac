import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { STEP_KINDS } from '../steps/registry.js';
import type { StepKind } from '../steps/types.js';
import { VERIFY_FORMS } from '../verify/registry.js';
import { stepSchemaFor, verifySchemaFor } from './load.js';
import { configSchema, profileSchema, recipeTopShape } from '../lang/schema.js';

const draft = { target: 'draft-07', unrepresentable: 'any', io: 'input', reused: 'inline' } as const;

/** A kind's examples (YAML lists of one step each), parsed: the whole steps. */
export function kindExampleSteps(k: StepKind<unknown, unknown>): Record<string, unknown>[] {
  return k.examples.flatMap((text) => parseYaml(text) as Record<string, unknown>[]);
}

/** One step of a kind; its kind key carries the kind's description and the values of its examples. */
function stepZod(k: StepKind<unknown, unknown>): z.ZodObject {
  const examples = kindExampleSteps(k).map((s) => s[k.kind]);
  return stepSchemaFor(k.kind)
    .extend({ [k.kind]: k.schema.meta({ description: k.description, examples }) })
    .meta({
      title: `${k.kind} step`,
      description: `${k.description} Satisfied when ${k.satisfiedWhen}`,
      examples: kindExampleSteps(k),
    });
}

/** A step written with a kind's earlier name (`apt:`): still valid, marked deprecated so editors say which name to use. */
function aliasZod(k: StepKind<unknown, unknown>, alias: string): z.ZodObject {
  const description = `The earlier name of \`${k.kind}\`, still read as it: write \`${k.kind}:\`.`;
  const examples = kindExampleSteps(k).map(({ [k.kind]: spec, ...rest }) => ({ ...rest, [alias]: spec }));
  return stepSchemaFor(alias)
    .extend({ [alias]: k.schema.meta({ description, examples: examples.map((s) => s[alias]), deprecated: true }) })
    .meta({ title: `${alias} step (earlier name of ${k.kind})`, description, examples, deprecated: true });
}

/** The recipe schema, as the same zod schemas the loader validates with. */
export function recipeZod(): z.ZodObject {
  const step = z.union(
    STEP_KINDS.flatMap((k) => [stepZod(k), ...(k.aliases ?? []).map((a) => aliasZod(k, a))]) as unknown as [
      z.ZodObject,
      z.ZodObject,
    ],
  );
  const verify = z.union(
    VERIFY_FORMS.map((f) => verifySchemaFor(f).meta({ title: `${f.kind} check` })) as unknown as [
      z.ZodObject,
      z.ZodObject,
    ],
  );
  return z.strictObject({
    ...recipeTopShape,
    steps: z.array(step).meta({
      description: 'What to do, in order. Each step has exactly one kind key.',
      examples: [
        [
          { name: 'Build tools', packages: ['build-essential', 'git'] },
          { name: 'Configure', cmake: { source: '{{ src }}', build: '{{ src }}/build' } },
        ],
      ],
    }),
    verify: z
      .array(verify)
      .optional()
      .meta({
        description: 'Checks `setup doctor` runs to tell whether the recipe is installed and working.',
        examples: [
          [
            { command: 'cmake --version', version: '>=3.21' },
            { file: '{{ prefix }}/lib/libfaiss.a' },
            { env: 'JAVA_HOME' },
          ],
        ],
      }),
  });
}

function withHeader(id: string, title: string, schema: object): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://envkit.dev/schema/${id}`,
    title,
    ...schema,
  };
}

/** The JSON Schema files shipped in schema/, by file name. Generated; a test keeps the committed files current. */
export function jsonSchemas(): Record<string, object> {
  const strip = (s: object): object => {
    const { $schema: _s, ...rest } = s as Record<string, unknown>;
    return rest;
  };
  return {
    'recipe.schema.json': withHeader('recipe.schema.json', 'envkit recipe', strip(z.toJSONSchema(recipeZod(), draft))),
    'profile.schema.json': withHeader(
      'profile.schema.json',
      'envkit mirror profile',
      strip(z.toJSONSchema(profileSchema, draft)),
    ),
    'config.schema.json': withHeader(
      'config.schema.json',
      'envkit user config',
      strip(z.toJSONSchema(configSchema, draft)),
    ),
  };
}
