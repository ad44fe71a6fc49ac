import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/util/errors.js';
import { cliSpec } from '../../src/cli/program.js';
import { cliMarkdown } from '../../src/docs/cli-md.js';
import { recipesMarkdown } from '../../src/docs/recipes-md.js';
import { md as prose } from '../../src/docs/schema-text.js';
import { parseRecipe } from '../../src/catalog/load.js';
import { isBuiltin } from '../../src/lang/names.js';
import { commonStepShape } from '../../src/lang/schema.js';
import { VERIFY_KINDS } from '../../src/verify/registry.js';
import { scanTemplate, walkStrings } from '../../src/lang/template.js';
import { STEP_KINDS } from '../../src/steps/registry.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const committed = (name: string): string => fs.readFileSync(path.join(root, 'docs', name), 'utf8');

describe('docs/ is generated and current (npm run docs)', () => {
  it('docs/recipes.md is what the step registry and schemas say', () => {
    expect(committed('recipes.md')).toBe(recipesMarkdown());
  });

  it('docs/cli.md is what the commander definitions say', () => {
    expect(committed('cli.md')).toBe(cliMarkdown(cliSpec()));
  });

  it('recipes.md covers every kind with its description, satisfied-when, keys and examples; the common keys; the verify kinds', () => {
    const md = recipesMarkdown();
    for (const k of STEP_KINDS) {
      expect(md).toContain(`### \`${k.kind}\``);
      expect(md).toContain(prose(k.description));
      expect(md).toContain(`**Satisfied when** ${prose(k.satisfiedWhen)}`);
      for (const e of k.examples) expect(md).toContain(e.trimEnd());
    }
    for (const key of Object.keys(commonStepShape)) expect(md).toContain(`| \`${key}\` |`);
    for (const v of VERIFY_KINDS) expect(md).toContain(`### \`${v}\``);
  });

  it('cli.md covers every visible command and every option, and no hidden command', () => {
    const spec = cliSpec();
    const md = cliMarkdown(spec);
    for (const c of spec.commands) {
      if (c.hidden) expect(md).not.toContain(`setup ${c.name}`);
      else {
        expect(md).toContain(`### \`setup ${c.name}\``);
        for (const o of c.options) expect(md).toContain(prose(o.description));
        if (c.helpAfter) expect(md).toContain(c.helpAfter);
      }
    }
    for (const o of spec.globalOptions) expect(md).toContain(prose(o.description));
    expect(md).toMatch(/\| `3` \| `plan --exit-code`/);
  });
});

/** A kind's example (a YAML list of one step) as a recipe: the variables it uses declared, nothing else added. */
function exampleRecipe(example: string): string {
  const steps = parseYaml(example) as unknown[];
  const vars = new Set<string>();
  walkStrings(steps, (value) => {
    for (const r of scanTemplate(value).refs) if (!isBuiltin(r.name) && !r.name.includes('.')) vars.add(r.name);
  });
  const head = stringify({
    name: 'example',
    description: 'a step kind example',
    ...(vars.size ? { vars: Object.fromEntries([...vars].map((v) => [v, 'x'])) } : {}),
  });
  return `${head}steps:\n${example.replace(/^/gm, '  ')}\n`;
}

describe('every step kind example is a valid step', () => {
  const cases = STEP_KINDS.flatMap((k) => k.examples.map((e, i) => [`${k.kind} #${i + 1}`, k.kind, e] as const));

  it('every kind has at least one example', () => {
    for (const k of STEP_KINDS) expect(k.examples.length, k.kind).toBeGreaterThan(0);
  });

  it.each(cases)('%s loads without problems', (_label, kind, example) => {
    const steps = parseYaml(example) as Record<string, unknown>[];
    expect(Array.isArray(steps) && steps.length === 1, 'an example is a YAML list of one step').toBe(true);
    expect(Object.keys(steps[0]!)).toContain(kind);
    const { recipe, problems } = parseRecipe('example.yaml', Buffer.from(exampleRecipe(example)));
    expect(problems.map(formatProblem)).toEqual([]);
    expect(recipe?.steps.map((s) => s.kind)).toEqual([kind]);
  });
});
