import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../src/catalog/json-schema.js';

/** Every key (object property) of a schema, with its JSON pointer, walking into lists, unions and maps. */
function keysOf(schema: unknown, pointer = ''): { pointer: string; key: string; schema: Record<string, unknown> }[] {
  if (!schema || typeof schema !== 'object') return [];
  const s = schema as Record<string, unknown>;
  const out: { pointer: string; key: string; schema: Record<string, unknown> }[] = [];
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>)) {
    const p = `${pointer}/properties/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    out.push({ pointer: p, key: k, schema: v }, ...keysOf(v, p));
  }
  for (const u of ['anyOf', 'oneOf', 'allOf'] as const) {
    ((s[u] ?? []) as unknown[]).forEach((alt, i) => out.push(...keysOf(alt, `${pointer}/${u}/${i}`)));
  }
  if (s.items && typeof s.items === 'object') out.push(...keysOf(s.items, `${pointer}/items`));
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    out.push(...keysOf(s.additionalProperties, `${pointer}/additionalProperties`));
  return out;
}

const schemas = Object.entries(jsonSchemas()) as [string, Record<string, unknown>][];

describe('JSON Schemas explain every key to editors', () => {
  it.each(schemas)('%s: every key has a description and examples', (_name, schema) => {
    const keys = keysOf(schema);
    expect(keys.length).toBeGreaterThan(3);
    const lacking = keys.filter(
      (k) =>
        typeof k.schema.description !== 'string' ||
        !k.schema.description ||
        !Array.isArray(k.schema.examples) ||
        !k.schema.examples.length,
    );
    expect(lacking.map((k) => k.pointer)).toEqual([]);
  });

  it.each(schemas)('%s: every example is valid for its key', (_name, schema) => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema(schema);
    const bad: string[] = [];
    for (const k of keysOf(schema)) {
      const validate = ajv.getSchema(`${String(schema.$id)}#${k.pointer}`);
      expect(validate, k.pointer).toBeTruthy();
      for (const ex of (k.schema.examples ?? []) as unknown[]) {
        if (!validate!(ex)) bad.push(`${k.pointer}: ${JSON.stringify(ex)}: ${ajv.errorsText(validate!.errors)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every step kind in the recipe schema shows its examples as whole steps', () => {
    const recipe = schemas.find(([n]) => n === 'recipe.schema.json')![1];
    const alts = (recipe.properties as Record<string, { items: { anyOf: Record<string, unknown>[] } }>).steps.items
      .anyOf;
    for (const alt of alts)
      expect((alt.examples as unknown[] | undefined)?.length, String(alt.title)).toBeGreaterThan(0);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(recipe);
    for (const alt of alts) {
      for (const step of alt.examples as unknown[]) {
        const ok = validate({ name: 'example', steps: [step] });
        expect(ok, `${String(alt.title)}: ${JSON.stringify(step)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
    }
  });
});
