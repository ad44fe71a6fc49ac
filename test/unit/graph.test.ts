import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/util/errors.js';
import { graphToDot, graphToMermaid, recipeGraph } from '../../src/catalog/graph.js';
import { parseRecipe } from '../../src/catalog/load.js';
import type { Recipe } from '../../src/catalog/types.js';

function recipe(name: string, requires: string[], description = `the ${name} recipe`): Recipe {
  const text = `name: ${name}\ndescription: ${JSON.stringify(description)}\nrequires: ${JSON.stringify(requires)}\nsteps: []\n`;
  const { recipe: r, problems } = parseRecipe(`${name}.yaml`, Buffer.from(text));
  if (!r) throw new Error(problems.map(formatProblem).join('\n'));
  return r;
}

describe('recipe dependency graph', () => {
  const recipes = [
    recipe('base', []),
    recipe('tool-b', ['base']),
    recipe('end', ['tool-b', 'base'], 'says "end"'),
    recipe('a-first', ['base']),
  ];

  it('is the same whatever order the recipes come in: nodes by name, edges in requires order', () => {
    const g = recipeGraph(recipes);
    expect(g.nodes.map((n) => n.name)).toEqual(['a-first', 'base', 'end', 'tool-b']);
    expect(g.edges).toEqual([
      { from: 'a-first', to: 'base' },
      { from: 'end', to: 'tool-b' },
      { from: 'end', to: 'base' },
      { from: 'tool-b', to: 'base' },
    ]);
    expect(recipeGraph([...recipes].reverse())).toEqual(g);
  });

  it('leaves out requirements that are not among the recipes given', () => {
    expect(recipeGraph([recipe('x', ['y'])]).edges).toEqual([]);
  });

  it('writes Graphviz dot with quoted names and escaped tooltips', () => {
    expect(graphToDot(recipeGraph(recipes))).toBe(
      [
        'digraph recipes {',
        '  // A -> B: recipe A requires recipe B (B runs first)',
        '  rankdir=LR;',
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  "a-first" [tooltip="the a-first recipe"];',
        '  "base" [tooltip="the base recipe"];',
        '  "end" [tooltip="says \\"end\\""];',
        '  "tool-b" [tooltip="the tool-b recipe"];',
        '  "a-first" -> "base";',
        '  "end" -> "tool-b";',
        '  "end" -> "base";',
        '  "tool-b" -> "base";',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('writes Mermaid with safe ids (no "-", not the keyword end) and the names as labels', () => {
    expect(graphToMermaid(recipeGraph(recipes))).toBe(
      [
        'flowchart LR',
        '  %% A --> B: recipe A requires recipe B (B runs first)',
        '  a_first["a-first"]',
        '  base["base"]',
        '  end_["end"]',
        '  tool_b["tool-b"]',
        '  a_first --> base',
        '  end_ --> tool_b',
        '  end_ --> base',
        '  tool_b --> base',
        '',
      ].join('\n'),
    );
  });
});
