import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../src/catalog/json-schema.js';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('schema/*.json', () => {
  it.each(Object.entries(jsonSchemas()))('%s is up to date with the zod schemas (npm run schema)', (name, schema) => {
    const committed = JSON.parse(fs.readFileSync(path.join(root, 'schema', name), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it('every bundled recipe and profile starts with its yaml-language-server line', () => {
    const dir = path.join(root, 'recipes');
    const files = [
      ...fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => [path.join(dir, f), '../schema/recipe.schema.json']),
      ...fs
        .readdirSync(path.join(dir, 'profiles'))
        .map((f) => [path.join(dir, 'profiles', f), '../../schema/profile.schema.json']),
    ];
    expect(files.length).toBeGreaterThan(0);
    for (const [file, ref] of files) {
      expect(fs.readFileSync(file!, 'utf8').split('\n')[0], file).toBe(`# yaml-language-server: $schema=${ref}`);
    }
  });
});
