import type { Recipe } from './types.js';

/** The `requires` graph of some recipes: nodes by name, an edge from each recipe to each it requires. */
export interface RecipeGraph {
  nodes: { name: string; description: string }[];
  edges: { from: string; to: string }[];
}

/** The graph of these recipes (give them with their requirements: see orderWithRequires). Sorted by name. */
export function recipeGraph(recipes: readonly Recipe[]): RecipeGraph {
  const byName = new Map(recipes.map((r) => [r.name, r]));
  const names = [...byName.keys()].sort();
  return {
    nodes: names.map((n) => ({ name: n, description: byName.get(n)!.description })),
    // Declared order: the order the recipe's author gave, which is also the order they run in.
    edges: names.flatMap((n) =>
      byName
        .get(n)!
        .requires.filter((d) => byName.has(d))
        .map((d) => ({ from: n, to: d })),
    ),
  };
}

const dotString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, ' ')}"`;

/** Graphviz dot: `setup plan --graph | dot -Tsvg > graph.svg`. */
export function graphToDot(g: RecipeGraph): string {
  return [
    'digraph recipes {',
    '  // A -> B: recipe A requires recipe B (B runs first)',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    ...g.nodes.map((n) => `  ${dotString(n.name)}${n.description ? ` [tooltip=${dotString(n.description)}]` : ''};`),
    ...g.edges.map((e) => `  ${dotString(e.from)} -> ${dotString(e.to)};`),
    '}',
    '',
  ].join('\n');
}

/** A Mermaid node id for a recipe name (`-` is not safe in every Mermaid position; `end` is a keyword). */
function mermaidId(name: string): string {
  const id = name.replace(/-/g, '_');
  return id === 'end' ? 'end_' : id;
}

/** Mermaid flowchart (GitHub renders it in a ```mermaid block). */
export function graphToMermaid(g: RecipeGraph): string {
  return [
    'flowchart LR',
    '  %% A --> B: recipe A requires recipe B (B runs first)',
    ...g.nodes.map((n) => `  ${mermaidId(n.name)}["${n.name}"]`),
    ...g.edges.map((e) => `  ${mermaidId(e.from)} --> ${mermaidId(e.to)}`),
    '',
  ].join('\n');
}
