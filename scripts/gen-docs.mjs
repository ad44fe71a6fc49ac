#!/usr/bin/env node
// Writes docs/recipes.md and docs/cli.md from the step registry, the schemas and the commander
// definitions (npm run docs). test/unit/docs.test.ts fails when the committed files differ.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliSpec } from '../dist/cli/program.js';
import { cliMarkdown } from '../dist/docs/cli-md.js';
import { recipesMarkdown } from '../dist/docs/recipes-md.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
for (const [name, text] of [
  ['recipes.md', recipesMarkdown()],
  ['cli.md', cliMarkdown(cliSpec())],
]) {
  fs.writeFileSync(path.join(root, 'docs', name), text);
  console.log(`wrote docs/${name}`);
}
