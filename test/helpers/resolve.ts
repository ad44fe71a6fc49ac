import { expect } from 'vitest';
import { parseRecipe } from '../../src/catalog/load.js';
import { resolveRecipe, type ResolvedRecipe } from '../../src/catalog/resolve.js';

/** A recipe's text loaded (no problems expected) and resolved with HOME /h, no mirror, no --set, these facts. */
export function resolveText(file: string, text: string, facts: Record<string, string> = {}): ResolvedRecipe {
  const { recipe, problems } = parseRecipe(file, Buffer.from(text));
  expect(problems).toEqual([]);
  return resolveRecipe(recipe!, {
    facts,
    dirs: { home: '/h', src: '/h/src', cache: '/h/cache', state: '/h/state', config: '/h/config' },
    prefix: '/h/.local',
    mirror: {},
    overrides: { global: new Map(), perRecipe: new Map() },
  });
}
