import { UsageError } from '../util/errors.js';
import { graphToDot, graphToMermaid, recipeGraph } from '../catalog/graph.js';
import { selectRecipes } from '../plan/session.js';
import { sessionFrom } from './common.js';
import { makeOutput, writeJson, type GlobalOpts } from './output.js';

/** `setup plan --graph [--format dot|mermaid]`: the dependency graph of the chosen recipes; nothing is checked. */
export async function printGraph(
  names: string[],
  opts: GlobalOpts & { graph?: boolean; format?: string },
): Promise<number> {
  if (!opts.graph)
    throw new UsageError('--format goes with --graph', 'e.g. setup plan ml-stack --graph --format mermaid');
  const o = makeOutput(opts);
  const session = await sessionFrom(opts, names);
  const graph = recipeGraph(selectRecipes(session, names));
  if (o.json) writeJson(o, 'graph', graph);
  else o.out(opts.format === 'mermaid' ? graphToMermaid(graph) : graphToDot(graph));
  return 0;
}
