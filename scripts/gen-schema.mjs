#!/usr/bin/env node
// Writes schema/*.json from the zod schemas the loader uses (npm run schema). test/unit/schema.test.ts
// fails when the committed files differ from what this would write.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemas } from '../dist/catalog/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const [name, schema] of Object.entries(jsonSchemas())) {
  fs.writeFileSync(path.join(root, 'schema', name), JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote schema/${name}`);
}
