import fs from 'node:fs/promises';
import path from 'node:path';

/** Names of the `*.yaml` / `*.yml` files directly in these folders, sorted, each once. Missing folders are skipped. */
async function yamlNames(dirs: readonly string[]): Promise<string[]> {
  const names = new Set<string>();
  for (const dir of dirs) {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries)
      if ((e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name)) names.add(e.name.replace(/\.ya?ml$/, ''));
  }
  return [...names].sort();
}

/**
 * Recipe names in these recipe folders, for shell completion: read from file names only (a recipe's
 * name equals its file name), so completing is fast and works even while a recipe has errors.
 */
export function recipeNames(recipeDirs: readonly string[]): Promise<string[]> {
  return yamlNames(recipeDirs);
}

/** Mirror profile names: the files in each recipe folder's `profiles/`. */
export function profileNames(recipeDirs: readonly string[]): Promise<string[]> {
  return yamlNames(recipeDirs.map((d) => path.join(d, 'profiles')));
}
